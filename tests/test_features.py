"""The hand-written schema forms equal what the real ``datasets`` library produces."""

from __future__ import annotations

import json

from datasets import ClassLabel, DatasetInfo, Features, Image, List, Value

from microe_release.features import arrow_schema, features_dict, features_yaml
from microe_release.labels import CLASS_NAMES


def _real() -> Features:
    return Features({"image": Image(), "label": ClassLabel(names=list(CLASS_NAMES)), "id": Value("string"),
                     "index": Value("int64"), "source": Value("string"), "source_ref": Value("string"),
                     "license": Value("string"), "votes": List(Value("int32"))})


def test_features_dict_equals_datasets() -> None:
    assert features_dict(CLASS_NAMES) == _real().to_dict()
    assert Features.from_dict(features_dict(CLASS_NAMES)) == _real()


def test_arrow_schema_equals_datasets() -> None:
    ours, real = arrow_schema(CLASS_NAMES), _real().arrow_schema
    assert ours.remove_metadata() == real.remove_metadata()
    assert json.loads(ours.metadata[b"huggingface"]) == json.loads(real.metadata[b"huggingface"])


def test_features_yaml_equals_datasets() -> None:
    assert features_yaml(CLASS_NAMES) == DatasetInfo(features=_real())._to_yaml_dict()["features"]
