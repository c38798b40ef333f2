"""Scoring many calls on several cores: input order kept, memory bounded, every input accounted for.

Calls are scored in chunks by ``workers`` processes: ``workers - 1`` pool processes and the calling process
itself. At most ``in_flight`` chunks are out at once, so reading a million-line file never runs ahead of
scoring, and results come back in the order the calls came in. Each worker receives the scorer once (its
rule set pickles; the tokenizer is rebuilt or, under ``fork``, inherited) and parses the raw records
itself. The worker's scorer lives in a module variable of the *worker* process only.

No worker outlives the run: when the caller stops iterating, or an error or Ctrl-C ends it, queued chunks
are cancelled and the workers stop after the call in hand; and each worker watches its parent, so that even
a parent killed outright (SIGKILL) leaves no process behind.

Why the calling process scores too: it has to receive every pool report anyway, so with as many pool
processes as cores it competes with them for a core, while the reports it scores itself are never sent at
all. It scores a chunk whenever the next result it must hand on is not ready yet, taking the chunk furthest
from the front that no pool process has, so the pool keeps the chunks that come next; time the caller spends
receiving is time it does not score, and the work divides itself between the processes.

Reports travel as JSON, which pydantic writes and reads in compiled code: a report with its transcript is
about eighty nested models, and pickling rebuilds each in Python. Sending one that way cost about a tenth of
scoring it with jieba and a third with rjieba (0.3 ms to pickle, 0.5 ms to unpickle); as JSON it costs
0.06 ms to write and 0.2 ms to read.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from multiprocessing.synchronize import Event as EventType
from typing import TYPE_CHECKING, Any

from csqa.input.model import CallError
from csqa.outputs.i18n import Lang
from csqa.outputs.report import Report

if TYPE_CHECKING:
    from csqa.scoring.scorer import Scorer

__all__ = ["score_parallel"]

_worker_scorer: Scorer | None = None
_worker_stop: EventType | None = None
_WATCH_SECONDS = 0.25


def _start_worker(scorer: Scorer, parent: int, stop: EventType) -> None:
    global _worker_scorer, _worker_stop
    # Ctrl-C reaches the whole process group: the parent decides what happens to the run, and a worker
    # printing its own KeyboardInterrupt traceback would only bury the parent's one-line message.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), name="csqa-parent-watch", daemon=True).start()
    _worker_scorer, _worker_stop = scorer, stop
    scorer.warm_up()


def _watch_parent(parent: int) -> None:
    """End this worker when the process that started it is gone, however it ended.

    A parent killed with SIGKILL runs no clean-up, and the pool's pipes stay open in every worker forked
    from it, so a worker waiting for its next chunk would wait for ever. When the parent dies the worker is
    re-parented, which ``os.getppid`` shows. (Nobody reads the worker's results any more, so ending it in
    the middle of anything loses nothing.)
    """
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def _stop(pool: ProcessPoolExecutor, stop: EventType) -> None:
    """Stop the pool soon and cleanly: nothing queued is started, and a chunk being scored ends after the call
    in hand (each worker checks ``stop`` between calls and sends back what it has).

    Workers are not killed: one killed while it writes its result would leave half a message in the pool's
    result pipe, and the pool's manager thread, which the interpreter joins at exit, would wait for the rest
    for ever.
    """
    stop.set()
    pool.shutdown(wait=True, cancel_futures=True)


def _score_chunk(items: list[Any]) -> list[tuple[bool, bytes]]:
    """A pool process's job: one chunk, with the scorer its initializer received, each result as JSON
    (``True`` for a report, ``False`` for an error record); fewer when the run is being stopped."""
    assert _worker_scorer is not None and _worker_stop is not None, "worker started without a scorer"
    results = []
    for item in items:
        if _worker_stop.is_set():
            break
        result = _worker_scorer.score_item(item)
        results.append((isinstance(result, Report), result.__pydantic_serializer__.to_json(result)))
    return results


def _received(future: Future[list[tuple[bool, bytes]]], lang: Lang) -> list[Report | CallError]:
    """A worker's results read back; a report's language (not in its JSON) is the scorer's."""
    return [
        Report.model_validate_json(data).model_copy(update={"lang": lang}) if is_report
        else CallError.model_validate_json(data)
        for is_report, data in future.result()
    ]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass(slots=True)
class _Slot:
    """One chunk on its way: not yet given out, sent to the pool, or scored here."""

    chunk: list[Any] | None
    future: Future[list[tuple[bool, bytes]]] | None = None
    results: list[Report | CallError] | None = None

    def ready(self) -> bool:
        return self.results is not None or (self.future is not None and self.future.done())

    def take(self, lang: Lang) -> list[Report | CallError]:
        if self.results is not None:
            return self.results
        assert self.future is not None
        return _received(self.future, lang)


def score_parallel(
    scorer: Scorer, items: Iterable[Any], *, workers: int, chunk_size: int = 32, in_flight: int | None = None
) -> Iterator[Report | CallError]:
    """Score ``items`` (calls, dicts, JSON text, raw records or error records) in ``workers`` processes,
    this one included (``workers`` ≥ 2)."""
    limit = in_flight or workers * 4
    depth = 2 * (workers - 1)  # chunks sent to the pool and not yet done: each pool process has the next one
    chunks = _chunks(items, chunk_size)
    slots: deque[_Slot] = deque()
    stop = multiprocessing.get_context().Event()
    pool = ProcessPoolExecutor(max_workers=workers - 1, initializer=_start_worker, initargs=(scorer, os.getpid(), stop))
    try:
        while True:
            while len(slots) < limit and (chunk := next(chunks, None)) is not None:
                slots.append(_Slot(chunk))
            busy = sum(1 for slot in slots if slot.future is not None and not slot.future.done())
            for slot in slots:
                if busy >= depth:
                    break
                if slot.chunk is not None:
                    slot.future, slot.chunk = pool.submit(_score_chunk, slot.chunk), None
                    busy += 1
            if not slots:
                break
            front = slots[0]
            if front.ready():
                slots.popleft()
                yield from front.take(scorer.lang)
                continue
            spare = front if front.chunk is not None else next((s for s in reversed(slots) if s.chunk is not None), None)
            if spare is not None:
                assert spare.chunk is not None
                spare.results, spare.chunk = _score_here(scorer, spare.chunk), None
            else:
                assert front.future is not None
                wait([front.future])
    except BaseException:  # an error, Ctrl-C, or a caller that stopped iterating (GeneratorExit)
        _stop(pool, stop)
        raise
    pool.shutdown(wait=True)


def _score_here(scorer: Scorer, chunk: list[Any]) -> list[Report | CallError]:
    """One chunk scored in this process."""
    return [scorer.score_item(item) for item in chunk]
