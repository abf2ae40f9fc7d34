"""`microe audit` on a real release: injected noise found, real noise ranked, time and memory.

    python benchmarks/bench_audit.py --release FERPLUS_RELEASE [--folds 4 --epochs 6]

1. The default audit of the release as it is: wall time and peak memory, and (real noise) the AUROC of
   its label quality score for "the FER+ crowd's majority share is under 0.6" (the release's `votes`
   column: FER+'s votes for the eight emotions), low scores counting as "split votes".
2. Injected noise: 5 % of the training labels flipped to another class at random (seeded), the same
   audit, then precision, recall and AUROC of the flagged set against the flipped ids; beside the
   trivial baseline of the same run: one model trained on all images (flipped labels included, no
   cross-validation), each image scored by its loss on the given label.
Floors (issue 21): AUROC >= 0.90, precision >= 0.5 at recall 0.5 (the images ranked by label quality);
default audit of ~30,000 images
<= 25 min on 2 cores. Results go to benchmarks/results/audit.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from microe_release.labels import CLASS_NAMES
from microe_release.training.audit import (
    EPOCHS,
    FOLDS,
    _read_release,
    assign_folds,
    audit_batch_size,
    find_issues,
    out_of_fold_probabilities,
)


def auroc(score: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random positive scores higher than a random negative (ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_at_recall(score: np.ndarray, positive: np.ndarray, recall: float) -> float:
    """Precision of the top-scored images at the first rank where ``recall`` of the positives are found."""
    order = np.argsort(-score, kind="stable")
    found = np.cumsum(positive[order])
    rank = int(np.searchsorted(found, recall * positive.sum()))  # first rank reaching the recall
    return float(found[rank] / (rank + 1))


def baseline_losses(images: np.ndarray, labels: np.ndarray, epochs: int, seed: int) -> np.ndarray:
    """One model on every image (no cross-validation); each image's cross-entropy on its given label."""
    import torch
    import torch.nn.functional as F

    from microe_release.training.data import carve_validation
    from microe_release.training.decision import predict_logits
    from microe_release.training.loop import TrainConfig, fit

    x, y = torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels)
    keep, carved = carve_validation(labels, 1 / 8, seed)
    config = TrainConfig(epochs=epochs, seed=seed, device="cpu", adjust_logits=False, batch_size=audit_batch_size(len(keep)))
    model, facts = fit({"train": (x[keep], y[keep]), "validation": (x[carved], y[carved])}, config,
                       num_classes=len(CLASS_NAMES))
    logits = predict_logits(model, x, mean=facts.mean, std=facts.std, side=facts.input_size,
                            device=torch.device("cpu"), precision=facts.precision, tta=True)
    return F.cross_entropy(logits.float(), y, reduction="none").numpy()


def run_audit(data: dict, labels: np.ndarray, folds: int, epochs: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    started = time.perf_counter()
    fold_of = assign_folds(labels, data["groups"], folds, seed)
    probs, _ = out_of_fold_probabilities(data["images"], labels, fold_of, epochs=epochs, seed=seed, device="cpu",
                                         progress=True)
    issues, scores = find_issues(labels, probs)
    return issues, scores, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--flip", type=float, default=0.05, help="share of the training labels flipped")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-clean", action="store_true", help="only the injected-noise run")
    parser.add_argument("--skip-baseline", action="store_true", help="no baseline model (saves one training run)")
    args = parser.parse_args()
    started = time.perf_counter()
    data = _read_release(args.release)
    labels = data["labels"]
    load_s = time.perf_counter() - started
    results: dict = {"images": len(labels), "folds": args.folds, "epochs": args.epochs, "load_seconds": round(load_s, 1)}
    if not args.skip_clean:
        issues, scores, seconds = run_audit(data, labels, args.folds, args.epochs, args.seed)
        results["clean"] = {"minutes": round((seconds + load_s) / 60, 1), "issues": int(issues.sum()),
                            "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}
        votes = {r.id: r.votes for r in data["manifest"].records if r.votes}
        if votes:  # the majority's share of each image's votes (1.0: no votes, counted as agreed)
            share = np.array([max(votes[i]) / sum(votes[i]) if i in votes else 1.0 for i in data["ids"]])
            results["clean"]["real_noise_auroc_split_votes"] = round(auroc(-scores, share < 0.6), 4)
            results["clean"]["split_vote_images"] = int((share < 0.6).sum())
        print(json.dumps(results, indent=1), flush=True)
    rng = np.random.default_rng(args.seed)
    train = np.flatnonzero(np.array(data["splits"]) == "train")
    flipped = rng.choice(train, size=int(round(args.flip * len(train))), replace=False)
    noisy = labels.copy()
    present = np.flatnonzero(np.bincount(labels, minlength=len(CLASS_NAMES)))
    for i in flipped:
        noisy[i] = rng.choice(present[present != labels[i]])
    truth = np.zeros(len(labels), dtype=bool)
    truth[flipped] = True
    issues, scores, seconds = run_audit(data, noisy, args.folds, args.epochs, args.seed)
    hit = int((issues & truth).sum())
    results["injected"] = {
        "flipped": len(flipped), "flagged": int(issues.sum()), "minutes": round(seconds / 60, 1),
        "precision": round(hit / max(int(issues.sum()), 1), 4), "recall": round(hit / len(flipped), 4),
        "auroc": round(auroc(-scores, truth), 4),
        "precision_at_recall_0.5": round(precision_at_recall(-scores, truth, 0.5), 4),
    }
    if not args.skip_baseline:
        base_started = time.perf_counter()
        losses = baseline_losses(data["images"], noisy, args.epochs, args.seed)
        results["injected"].update(baseline_auroc_loss_no_cv=round(auroc(losses, truth), 4),
                                   baseline_precision_at_recall_0_5=round(precision_at_recall(losses, truth, 0.5), 4),
                                   baseline_minutes=round((time.perf_counter() - base_started) / 60, 1))
    print(json.dumps(results, indent=1))
    out = Path(__file__).resolve().parent / "results" / "audit.json"
    out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
