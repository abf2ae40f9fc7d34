"""The processing pool streams: a source of any size is never read ahead without bound."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from microe_release.parallel import BATCH_SIZE, WINDOW_PER_WORKER, process_batches
from microe_release.processing import Measured, Refused
from microe_release.records import SourceItem


def process_items(items: Iterator[SourceItem], *, size: int, workers: int) -> Iterator[Measured | Refused]:
    for _, packed in process_batches(items, size=size, workers=workers):
        yield from packed.results


def _endless(counter: list[int]) -> Iterator[SourceItem]:
    for n in itertools.count():
        counter[0] += 1
        yield SourceItem(source="s", source_ref=f"synthetic:{n}", raw_label="happy", label="happy",
                         license="x", synthetic=(1, n))


def test_process_items_reads_ahead_a_bounded_window() -> None:
    consumed = [0]
    results = process_items(_endless(consumed), size=48, workers=2)
    first = list(itertools.islice(results, 10))
    assert all(isinstance(r, Measured) for r in first)
    assert consumed[0] <= (2 * WINDOW_PER_WORKER + 1) * BATCH_SIZE
    results.close()


def test_process_items_same_results_in_order_with_any_workers() -> None:
    def items() -> Iterator[SourceItem]:
        return itertools.islice(_endless([0]), 150)

    one = [r.id for r in process_items(items(), size=48, workers=1)]
    two = [r.id for r in process_items(items(), size=48, workers=2)]
    assert one == two and len(set(one)) == 150


def test_pool_forks_only_without_other_threads_and_both_give_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from microe_release import workers

    assert workers.start_method() == ("fork" if threading.active_count() == 1 else "spawn")
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait, daemon=True)
    waiting.start()
    try:
        assert workers.start_method() == "spawn"  # a live thread: forking could deadlock the child
    finally:
        stop.set()
        waiting.join()

    def ids(method: str) -> list[str]:
        monkeypatch.setattr(workers, "start_method", lambda: method)
        return [r.id for r in process_items(itertools.islice(_endless([0]), 300), size=48, workers=2)]

    assert ids("spawn") == ids("fork")
