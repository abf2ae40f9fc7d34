"""Training throughput: the full pipeline (uint8 in memory -> augment -> normalise -> resize -> step)
against the bare model step on tensors already in memory (same model, same batch). Floor: 0.9.

    python benchmarks/bench_train.py [--steps 12] [--batch-size 128] [--arch alexnet-48 alexnet]

Each architecture trains in the precision ``--precision auto`` picks here, as in `microe train`
(fp32 on a CPU: decided from the hardware, never by timing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from microe_release.models import INPUT_SIZES, build_model
from microe_release.training.decision import autocast, to_input
from microe_release.training.loop import augment_batch, choose_precision

CPU = torch.device("cpu")

FLOOR = 0.9


def _step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
          precision: str) -> None:
    with autocast(CPU, precision):  # what `microe train` uses here
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def measure(arch: str, steps: int, batch: int) -> dict[str, Any]:
    precision, rule = choose_precision("auto", CPU)
    torch.manual_seed(0)
    side = INPUT_SIZES[arch]
    images = torch.randint(0, 256, (batch * 8, 1, 48, 48), dtype=torch.uint8)  # the in-memory release
    labels = torch.randint(0, 8, (batch * 8,))
    generator = torch.Generator().manual_seed(0)
    model = build_model(arch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ready = to_input(images[:batch].float() / 255.0, 0.5, 0.25, side)  # bare: prepared once

    def bare() -> None:
        _step(model, optimizer, ready, labels[:batch], precision)

    def pipeline(i: int) -> None:
        idx = torch.randperm(len(images), generator=generator)[:batch]
        x = augment_batch(images[idx].float() / 255.0, generator)
        _step(model, optimizer, to_input(x, 0.5, 0.25, side), labels[idx], precision)

    bare()
    pipeline(0)  # warm-up
    times = {"bare": 0.0, "pipeline": 0.0}
    for i in range(steps):  # interleaved, so drifts in machine speed hit both alike
        started = time.perf_counter()
        bare()
        times["bare"] += time.perf_counter() - started
        started = time.perf_counter()
        pipeline(i)
        times["pipeline"] += time.perf_counter() - started
    bare_rate, pipe_rate = steps * batch / times["bare"], steps * batch / times["pipeline"]
    return {"arch": arch, "precision": precision, "precision_rule": rule, "bare_img_s": bare_rate,
            "pipeline_img_s": pipe_rate, "ratio": pipe_rate / bare_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--arch", nargs="+", default=["alexnet-48", "alexnet"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}")
    results, ok = [], True
    for arch in args.arch:
        steps = args.steps if arch == "alexnet-48" else max(2, args.steps // 4)
        r = measure(arch, steps, args.batch_size)
        results.append(r)
        ok &= r["ratio"] >= FLOOR
        print(f"  {arch:11} {r['precision']} ({r['precision_rule']}) bare step {r['bare_img_s']:7.1f} img/s   full pipeline {r['pipeline_img_s']:7.1f} img/s"
              f"   ratio {r['ratio']:.2f} (floor {FLOOR}) {'ok' if r['ratio'] >= FLOOR else 'BELOW FLOOR'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
