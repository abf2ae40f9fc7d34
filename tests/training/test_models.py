"""The reference architectures: AlexNet's shape, their input sizes, and alexnet-48's cheap first layer."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from microe_release.errors import TrainingError  # noqa: E402
from microe_release.models import INPUT_SIZES, build_model  # noqa: E402


def _layers(model, kind):
    return [m for m in model.modules() if isinstance(m, kind)]


@pytest.mark.parametrize("arch", sorted(INPUT_SIZES))
def test_both_architectures_keep_alexnets_shape(arch):
    model = build_model(arch, num_classes=8).eval()
    convs, linears = _layers(model, torch.nn.Conv2d), _layers(model, torch.nn.Linear)
    assert (len(convs), len(linears)) == (5, 3)
    assert convs[0].in_channels == 1 and linears[-1].out_features == 8
    assert convs[0].stride[0] > 1  # a large, strided first kernel, as in Krizhevsky et al.
    side = INPUT_SIZES[arch]
    with torch.no_grad():
        out = model(torch.rand(2, 1, side, side))
    assert out.shape == (2, 8)
    assert len(_layers(model, torch.nn.Dropout)) == 2


def test_alexnet48_keeps_no_full_resolution_map():
    # The 48x48 maps of a stride-1 conv 1 made training 1.2x slower on 2 cores (README, Benchmarks).
    model = build_model("alexnet-48").eval()
    sides = []
    for module in model[0].modules():  # the feature extractor
        if isinstance(module, (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.MaxPool2d, torch.nn.ReLU)):
            module.register_forward_hook(lambda _m, _i, out: sides.append(out.shape[-1]))
    with torch.no_grad():
        model(torch.rand(1, 1, 48, 48))
    assert max(sides) == 24
    assert sides[-1] == 6  # 128 x 6 x 6 into the classifier
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(norms) == 5 and not _layers(model, torch.nn.LocalResponseNorm)


def test_unknown_architecture_names_the_choices():
    with pytest.raises(TrainingError, match="alexnet-48"):
        build_model("vgg13")
