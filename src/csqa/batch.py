"""Scoring many calls on several cores: input order kept, memory bounded, every input accounted for.

Calls are scored in chunks by ``workers`` processes: ``workers - 1`` pool processes and the calling process
itself, which takes every ``workers``-th chunk. At most ``in_flight`` chunks are out at once, so reading a
million-line file never runs ahead of scoring, and results come back in the order the calls came in. Each
worker receives the scorer once (its rule set pickles; the tokenizer is rebuilt or, under ``fork``,
inherited) and parses the raw records itself. The worker's scorer lives in a module variable of the
*worker* process only.

Why the calling process scores too: it has to receive every pool report anyway (unpickling one costs about
a twentieth of scoring it with jieba, a tenth with rjieba), so with as many pool processes as cores it
competes with them for a core, while the reports it scores itself are never pickled at all. On two cores,
one pool process and the caller share the work evenly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
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
    """A pool process's job: one chunk, with the scorer its initializer received."""
    assert _worker_scorer is not None, "worker started without a scorer"
    return _score_here(_worker_scorer, items)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def score_parallel(
    scorer: Scorer, items: Iterable[Any], *, workers: int, chunk_size: int = 32, in_flight: int | None = None
) -> Iterator[Report | CallError]:
    """Score ``items`` (calls, dicts, JSON text, raw records or error records) in ``workers`` processes,
    this one included (``workers`` ≥ 2)."""
    limit = in_flight or workers * 4
    with ProcessPoolExecutor(max_workers=workers - 1, initializer=_start_worker, initargs=(scorer,)) as pool:
        # each entry gives its chunk's results: a pool future's, or this process's own scoring, which runs
        # only when the chunk reaches the front, so the pool always has the chunks behind it to work on
        pending: deque[Callable[[], list[Report | CallError]]] = deque()
        for index, chunk in enumerate(_chunks(items, chunk_size)):
            if index % workers == workers - 1:
                pending.append(partial(_score_here, scorer, chunk))
            else:
                pending.append(pool.submit(_score_chunk, chunk).result)
            if len(pending) >= limit:
                yield from pending.popleft()()
        while pending:
            yield from pending.popleft()()


def _score_here(scorer: Scorer, chunk: list[Any]) -> list[Report | CallError]:
    """One chunk scored in this process."""
    return [scorer.score_item(item) for item in chunk]
