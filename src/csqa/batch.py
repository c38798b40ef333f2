"""Scoring many calls on several cores: input order kept, memory bounded, every input accounted for.

Calls go to worker processes in chunks; at most ``in_flight`` chunks are out at once, so reading a
million-line file never runs ahead of scoring, and results come back in the order the calls came in. Each
worker receives the scorer once (its rule set pickles; the tokenizer is rebuilt or, under ``fork``,
inherited) and parses the raw records itself, so the parent process does little more than read lines and
write results. The worker's scorer lives in a module variable of the *worker* process only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any

from csqa.report import CallError, Report

if TYPE_CHECKING:
    from csqa.scorer import Scorer

__all__ = ["score_parallel"]

_worker_scorer: Scorer | None = None


def _start_worker(scorer: Scorer) -> None:
    global _worker_scorer
    _worker_scorer = scorer
    scorer.warm_up()


def _score_chunk(items: list[Any]) -> list[Report | CallError]:
    assert _worker_scorer is not None, "worker started without a scorer"
    return [_worker_scorer.score_item(item) for item in items]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def score_parallel(
    scorer: Scorer, items: Iterable[Any], *, workers: int, chunk_size: int = 32, in_flight: int | None = None
) -> Iterator[Report | CallError]:
    """Score ``items`` (calls, dicts, JSON text, raw records or error records) in ``workers`` processes."""
    limit = in_flight or workers * 4
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(scorer,)) as pool:
        pending: deque[Future[list[Report | CallError]]] = deque()
        for chunk in _chunks(items, chunk_size):
            pending.append(pool.submit(_score_chunk, chunk))
            if len(pending) >= limit:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
