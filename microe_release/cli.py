"""``microe``: thin commands over the library; the only module that prints."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from .cli_support import CommandGroup, check_repo_id, check_url, engine_options, progress_enabled
from .training.loop import AUDIT_EPOCHS, AUDIT_FOLDS, TrainConfig
from .workers import STOP

_EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
_release_dir = click.argument("release_dir", type=_EXISTING_DIR)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="microe-release", prog_name="microe")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("-v", "--verbose", count=True, help="Log progress (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bars and no warnings on stderr: only results and errors (microe -q build ...).")
def main(debug: bool, verbose: int, quiet: bool) -> None:
    """Build, validate and publish FAIR releases of the Microe facial-expression dataset."""
    level = (logging.DEBUG if (verbose > 1 or debug) else logging.INFO if verbose
             else logging.ERROR if quiet else logging.WARNING)
    # the toolkit's own warnings at `level`; other libraries' (mlcroissant warns once per row) only with -v
    logging.basicConfig(level=level if (verbose or debug) else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("microe_release").setLevel(level)
    # SIGTERM (a scheduler's stop, `timeout`) unwinds like Ctrl-C: a build removes its staging folders
    signal.signal(signal.SIGTERM, lambda signum, _frame: (STOP.set(), sys.exit(128 + signum)))


@main.command(epilog="""
\b
Examples:
  microe init my-release
  microe build --config my-release/release.toml --out my-release/1.0.0
  microe init my-release --force        # write the starter files again
""")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite starter files that already exist.")
def init(directory: str, force: bool) -> None:
    """Write starter release.toml, dataset.yaml, exclusions.csv and relabels.csv into DIRECTORY.

    They build and validate as they are, on the embedded demo source; edit them to describe your
    dataset (every dataset.yaml field is commented) and replace the source with yours.
    """
    from .starter import write_starter_files

    for path in write_starter_files(directory, force=force):
        click.echo(f"wrote {path}")
    folder = Path(directory)
    click.echo(f"next: microe build --config {folder / 'release.toml'} --out {folder / 'release'}")


@main.command(epilog="""
\b
Examples:
  microe build --demo --out demo-release
  microe build --demo --metadata my-release/dataset.yaml --out demo-release
  microe build --config release.toml --out releases/microe-1.0.0 --images
  microe build --config release.toml --out out --force --strict --workers 4
  microe build --config release.toml --out big --engine ray --ray-address auto
""")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="release.toml describing the release and its sources.")
@click.option("--demo", is_flag=True, help="Build from the embedded synthetic source (no config needed).")
@click.option("--count", type=click.IntRange(min=1), default=2400, show_default=True,
              help="With --demo: how many synthetic faces.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Release folder to write (created atomically).")
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder.")
@click.option("--strict", is_flag=True, help="Fail on the first item that would be skipped.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for decoding [default: all cores].")
@click.option("--images", is_flag=True, help="Also write images/{split}/{label}/{id}.png.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bars (microe -q hides them for every command).")
@click.option("--previous", type=_EXISTING_DIR, help="The previous release: write CHANGELOG.md from the difference.")
@click.option("--version", "version_override", help="With --demo: the release version (default: dataset.yaml's).")
@click.option("--exclusions", type=click.Path(dir_okay=False, path_type=Path),
              help="With --demo: an exclusions CSV (id,reason,date) of images to remove.")
@click.option("--metadata", "metadata_file", type=click.Path(dir_okay=False, path_type=Path),
              help="With --demo: your dataset.yaml (default: the one shipped with the toolkit).")
@engine_options
def build(config_path: Path | None, demo: bool, count: int, out_dir: Path, no_progress: bool,
          version_override: str | None, exclusions: Path | None, metadata_file: Path | None, **options: Any) -> None:
    """Build a release folder (parquet + card + CSV + build report) from sources."""
    from .build import build_release
    from .config import demo_config, load_config

    if demo == (config_path is not None):
        msg = "give exactly one of --config FILE or --demo."
        raise click.UsageError(msg)
    count_given = click.get_current_context().get_parameter_source("count") is ParameterSource.COMMANDLINE
    if not demo and (version_override or exclusions or metadata_file or count_given):
        msg = "--count, --version, --exclusions and --metadata go with --demo; a release.toml sets them itself."
        raise click.UsageError(msg)
    config = (demo_config(count=count, version=version_override, exclusions=exclusions, metadata=metadata_file) if demo
              else load_config(config_path))  # type: ignore[arg-type]
    started = time.perf_counter()
    manifest = build_release(config, out_dir, progress=not no_progress and progress_enabled(), **options)
    seconds = time.perf_counter() - started
    click.echo(f"built {manifest.name} {manifest.version}: {len(manifest.records)} images in {seconds:.1f} s -> {out_dir}")
    click.echo("  splits:  " + ", ".join(f"{name} {n}" for name, n in manifest.split_counts().items()))
    click.echo("  classes: " + ", ".join(f"{name} {n}" for name, n in manifest.class_counts().items()))
    if manifest.duplicates:
        click.echo(f"  merged:  {len(manifest.duplicates)} identical images kept once")
    if manifest.skipped:
        reasons = Counter(item.reason.value for item in manifest.skipped)
        listed = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
        click.echo(f"  skipped: {len(manifest.skipped)} ({listed}); see {out_dir / 'build-report.json'}")
    else:
        click.echo("  skipped: none")


@main.command(epilog="""
\b
Examples:
  microe validate demo-release
  microe validate releases/1.0.0 --json > report.json
  microe validate releases/1.0.0 --strict      # warnings fail too
  microe validate releases/big --engine ray --ray-address auto
""")
@_release_dir
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@engine_options
def validate(release_dir: Path, as_json: bool, strict: bool, engine: str, ray_address: str | None) -> None:
    """Check every file of a release offline; exit 0 clean, 1 on any error."""
    from .validation import validate_release

    report = validate_release(release_dir, engine=engine, ray_address=ray_address, progress=progress_enabled())
    failing = report.errors(strict=strict)
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "valid": not failing}, indent=2))
    else:
        click.echo(report.to_text(strict=strict))
    sys.exit(1 if failing else 0)


@main.command(epilog="""
\b
Examples:
  microe diff releases/1.0.0 releases/1.1.0
  microe diff releases/1.0.0 releases/1.1.0 --json
""")
@click.argument("old_dir", type=_EXISTING_DIR)
@click.argument("new_dir", type=_EXISTING_DIR)
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
def diff(old_dir: Path, new_dir: Path, as_json: bool) -> None:
    """Images added, removed (with reasons), relabelled and moved between two releases."""
    from .diff import changelog_markdown, diff_releases

    result = diff_releases(old_dir, new_dir)
    click.echo(json.dumps(result, indent=2) if as_json else changelog_markdown(result))


@main.command(epilog="""
\b
Examples:
  microe report demo-release --out demo-report
  microe report releases/1.0.0 --out report --model models/alexnet-48
""")
@_release_dir
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="REPORT_DIR: index.html, every figure as PNG, report.json.")
@click.option("--model", "model_dir", type=_EXISTING_DIR,
              help="A MODEL_DIR from `microe train`: adds its metrics, confusion matrix and curves.")
def report(release_dir: Path, out_dir: Path, model_dir: Path | None) -> None:
    """Write the dataset analysis as one self-contained web page (opens from disk, no network)."""
    from .report import generate_report

    started = time.perf_counter()
    numbers = generate_report(release_dir, out_dir, model_dir=model_dir, progress=progress_enabled())
    click.echo(f"report for {numbers['composition']['total']} images in {time.perf_counter() - started:.1f} s: "
               f"{out_dir / 'index.html'} ({len(numbers['figures'])} figures, report.json)")


@main.command(epilog="""
\b
Examples (tokens only from the environment: HF_TOKEN, ZENODO_TOKEN):
  microe publish releases/1.0.0 --hf-repo makerere/microe --zenodo --dry-run
  microe publish releases/1.0.0 --hf-repo makerere/microe --zenodo --sandbox
  microe publish releases/1.1.0 --hf-repo makerere/microe --zenodo     # a new version of the same concept
""")
@_release_dir
@click.option("--hf-repo", callback=check_repo_id, help="Hugging Face dataset repository ORG/NAME.")
@click.option("--zenodo", is_flag=True, help="Deposit on Zenodo and get a DOI.")
@click.option("--sandbox", is_flag=True, help="Use sandbox.zenodo.org.")
@click.option("--dry-run", is_flag=True, help="Print every request it would make; send nothing.")
@click.option("--hf-endpoint", callback=check_url, help="Hub endpoint (default: $HF_ENDPOINT, else the Hub).")
@click.option("--zenodo-url", callback=check_url, help="Zenodo base URL (default: zenodo.org, or the sandbox).")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path),
              help="The registry of published versions (zenodo-registry.json) [default: $MICROE_ZENODO_REGISTRY, "
                   "else beside --metadata, else in the current folder].")
@click.option("--metadata", "metadata_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The dataset.yaml the release was built from: the registry is kept beside it.")
def publish(release_dir: Path, hf_repo: str | None, zenodo: bool, dry_run: bool, metadata_file: Path | None,
            **options: Any) -> None:
    """Publish a validated release to Zenodo (DOI) and the Hub (tag v{version}); re-running resumes.

    Tokens are checked first and the release is validated before anything is sent; --dry-run does
    both and prints the plan.
    """
    from .publishing import publish_release

    if not hf_repo and not zenodo:
        msg = "give --hf-repo ORG/NAME and/or --zenodo."
        raise click.UsageError(msg)
    if not progress_enabled():  # huggingface_hub draws upload bars on stderr, terminal or not
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    result = publish_release(release_dir, hf_repo=hf_repo, zenodo=zenodo, dry_run=dry_run, metadata=metadata_file,
                             **options)
    click.echo(f"registry of published versions: {result['registry']}")
    if dry_run:
        click.echo("dry run: tokens present, release valid, nothing sent. The plan:")
        for number, step in enumerate(result["plan"], start=1):
            click.echo(f"  {number:2}. {step}")
        return
    if result.get("already_published"):
        click.echo(f"version {result['version']} is already published with this content: nothing to do.")
    if result.get("doi"):
        click.echo(f"DOI {result['doi']} (all versions: {result.get('concept_doi')})")
    if result.get("hub"):
        click.echo(f"Hub {hf_repo}: commit {result['hub'].get('commit')}, tag {result['hub'].get('tag')}")


@main.command(epilog="""
\b
Examples:
  microe train demo-release --out models/alexnet-48
  microe train releases/1.0.0 --out models/alexnet --arch alexnet --device cuda --epochs 60
  microe train demo-release --out m --class-weights --seed 7 --patience 8 --precision fp32
  microe train ferplus-release --out m --soft-labels     # learn the FER+ vote shares
\b
Defaults: alexnet-48, one-cycle AdamW, label smoothing 0.1, bf16 on a CUDA GPU that has it and
fp32 on a CPU (the same seed gives the same weights; --precision bf16 pins bf16 on a CPU),
mirrored test-time inputs and a rare-class logit adjustment chosen on validation.
\b
Exit status: 0 trained; 1 the release cannot be trained (one class, an empty train or test
split) or the train extra is missing (pip install 'microe-release[train]'); 2 usage error.
""")
@_release_dir
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="MODEL_DIR to write.")
@click.option("--arch", type=click.Choice(["alexnet-48", "alexnet"]), default="alexnet-48", show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=TrainConfig.epochs, show_default=True,
              help="Length of the one-cycle schedule.")
@click.option("--patience", type=click.IntRange(min=1), default=None,
              help="Stop when validation accuracy has not improved for N epochs (default: run all epochs).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Default: 128 (the peak lr scales by sqrt(batch / 128)).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=TrainConfig.lr, show_default=True,
              help="Peak learning rate at batch 128.")
@click.option("--label-smoothing", type=click.FloatRange(min=0, max=1, max_open=True),
              default=TrainConfig.label_smoothing, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="auto: bf16 on a CUDA GPU with bf16 support, else fp32 (always fp32 on a CPU), decided "
                   "from the hardware, never by timing, so a seed gives the same weights; bf16 pins bf16.")
@click.option("--class-weights", is_flag=True,
              help="Weight the loss by inverse class frequency (strong; docs/train.md gives its FER+ figures).")
@click.option("--deferred-weights", is_flag=True,
              help="Class-balanced loss weights (effective number, beta 0.999) in the last quarter of the epochs only.")
@click.option("--soft-labels", is_flag=True,
              help="Learn each image's annotator vote shares (the votes column, e.g. FER+) instead of its label alone.")
@click.option("--no-tta", "tta", flag_value=False, default=True, help="Do not average image and mirror at test time.")
@click.option("--no-adjust", "adjust_logits", flag_value=False, default=True,
              help="Plain argmax: no rare-class logit adjustment.")
def train(release_dir: Path, out_dir: Path, **options: Any) -> None:
    """Train the reference AlexNet on a release and write MODEL_DIR with its model card."""
    from .training import train as train_model
    metrics = train_model(release_dir, out_dir, progress=progress_enabled(), **options)
    click.echo(f"trained {options['arch']} in {metrics['train_seconds']:.0f} s, {metrics['wall_seconds']:.0f} s wall "
               f"({metrics['epochs_run']} epoch{'s' if metrics['epochs_run'] != 1 else ''}, best {metrics['best_epoch']}, "
               f"{metrics['images_per_second']:.0f} img/s) -> {out_dir}")
    click.echo(f"  test accuracy {metrics['accuracy']:.3f}, macro F1 {metrics['macro']['f1']:.3f}, "
               f"contempt recall {metrics['per_class']['contempt']['recall']:.3f}")


@main.command(epilog="""
\b
Examples:
  microe audit demo-release
  microe audit releases/1.0.0 --folds 5 --epochs 8 --device cuda
  microe audit releases/1.0.0 --out review/label-issues.csv     # leave the release as it is
\b
Each image's class probabilities come from a reference model trained without it (K folds, stratified,
near-duplicates and subjects kept together); cleanlab's confident learning flags the labels that are
probably wrong. label-issues.csv (id, split, source, given_label, suggested_label, label_quality,
is_issue) becomes a release file: SHA256SUMS, datapackage.json, croissant.json and the card say so.
The same seed, release and hardware give the same file.
\b
Exit status: 0 audited; 1 the release cannot be audited (too few images for the folds) or the train
extra is missing (pip install 'microe-release[train]'); 2 usage error.
""")
@_release_dir
@click.option("--folds", type=click.IntRange(min=2), default=AUDIT_FOLDS, show_default=True,
              help="Cross-validation folds.")
@click.option("--epochs", type=click.IntRange(min=1), default=AUDIT_EPOCHS, show_default=True, help="Epochs per fold.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write label-issues.csv here instead of into the release (the release is left unchanged).")
def audit(release_dir: Path, **options: Any) -> None:
    """Find the images whose label is probably wrong (label-issues.csv)."""
    from .training.audit import audit_release

    summary = audit_release(release_dir, progress=progress_enabled(), **options)
    where = options["out"] or release_dir / summary["file"]
    click.echo(f"audited {summary['images']} images in {summary['folds']} folds: {summary['issues']} probable label "
               f"errors (out-of-fold accuracy {summary['out_of_fold_accuracy']:.3f}) -> {where}")
    for name, count in summary["by_class"].items():
        click.echo(f"  {name}: {count}")


@main.command(epilog="""
\b
Examples:
  microe predict models/alexnet-48 face.jpg other.png
  microe predict models/alexnet-48 photos/*.jpg --json
\b
Exit status: 0 every file predicted; 1 a file could not be read (its error goes to stderr, the
others are still predicted on stdout; with --json it is an entry {"file", "error"}) or MODEL_DIR
is unusable (re-run microe train); 2 usage error.
""")
@click.argument("model_dir", type=_EXISTING_DIR)
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))  # a missing one is reported
@click.option("--json", "as_json", is_flag=True, help="Print label and per-class confidences as JSON.")
def predict(model_dir: Path, images: tuple[Path, ...], as_json: bool) -> None:
    """Label image files (any format Pillow reads) with the reference model; exit 1 if any file failed."""
    from .training import load_model

    results = load_model(model_dir).predict_files(list(images))
    failed = [result for result in results if "error" in result]
    if as_json:
        click.echo(json.dumps(results, indent=2))
    for result in [] if as_json else [result for result in results if "error" not in result]:
        top = sorted(result["probabilities"].items(), key=lambda kv: -kv[1])[:3]
        others = ", ".join(f"{name} {p:.2f}" for name, p in top[1:])
        click.echo(f"{result['file']}: {result['label']} ({result['confidence']:.2f}; then {others})")
    for result in failed:
        click.secho(f"error: {result['error']}", fg="red", err=True)
    if failed:
        click.echo(f"{len(failed)} of {len(results)} files could not be read; the others were predicted.", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
