"""Latency of a live session: the time each utterance takes, and whether it grows with the call so far.

Long calls are fed to :class:`csqa.LiveSession` as a recogniser would feed them, paced by their own clock:
before each final utterance, two partial results of it (its first third and two thirds) and an ``advance`` of
the clock to its start; a 30 s hold event every 120 utterances. The calls are the benchmark corpus's turns
(``corpus.py``: eight companies, a fifth Traditional, a fifth ASR-like, holds, the odd taboo), one call after
another up to ``--utterances`` each, timed like speech (four characters a second, gaps of 0.2–1.5 s), with the
agent starting over the customer every so often. Timed: ``feed`` of each final utterance (what the agent
desktop waits for), each partial, each ``advance``, and ``close`` (the whole report).

Figures: median and p99 over every final utterance, and per bucket of utterance index (1–50, 51–100, …): work
per utterance must stay flat as the call grows (no rescoring from the start). Each call is fed ``--repeat``
times in fresh sessions: the raw figures count every feed, stalls of a shared machine included; the
``work`` figures take each utterance's fastest feed, which is what the utterance costs. For contrast, ``--naive`` also
times scoring the whole call so far at a few points of one call (what a live check without sessions would
cost). Then the annotated and demo corpora, fed the same way. The process is pinned to one core; each
installed tokenizer backend runs in a process of its own.

    python benchmarks/live.py [--calls 20] [--utterances 500] [--backends rjieba jieba] [--json benchmarks/results-live.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import csqa
from corpus import calls as corpus_calls

ROOT = Path(__file__).resolve().parents[1]
BUCKET = 50


def long_calls(count: int, utterances: int) -> list[csqa.Call]:
    """``count`` timed calls of ``utterances`` utterances each, made of the benchmark corpus's turns."""
    source = corpus_calls(count * (utterances // 25 + 1), seed=20261204)
    found = []
    for number in range(count):
        turns: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        clock = 0.0
        while len(turns) < utterances:
            call = next(source)
            for u in call["utterances"]:  # type: ignore[attr-defined]
                if len(turns) == utterances:
                    break
                if len(turns) % 120 == 119:  # a hold, and the agent comes back
                    events.append({"type": "hold", "start": round(clock, 2), "end": round(clock + 30, 2)})
                    clock += 30.5
                length = max(1.0, len(u["text"]) / 4)
                start = clock - 1.5 if len(turns) % 37 == 36 and u["speaker"] == "agent" else clock
                turns.append({"speaker": u["speaker"], "text": u["text"], "start": round(max(0.0, start), 2),
                              "end": round(clock + length, 2)})
                clock += length + 0.2 + (len(turns) * 7919 % 13) / 10
        found.append(csqa.parse_call({"call_id": f"live-{number:03d}", "rings": 2, "hangup_by": "customer",
                                      "utterances": turns, "events": events}))
    return found


def corpus() -> list[csqa.Call]:
    found = list(csqa.load_calls(ROOT / "corpora" / "demo"))
    for path in sorted((ROOT / "corpora" / "annotated").glob("*.jsonl")):
        found += [csqa.parse_call(json.loads(line)["call"]) for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    return found


def feed(scorer: csqa.Scorer, call: csqa.Call) -> dict[str, Any]:
    """Feed one call live; the seconds of every final feed (by utterance index), partial feed, advance, close."""
    session = scorer.live(call_id=call.call_id, direction=call.direction, agent_id=call.agent_id, rings=call.rings,
                          ring_seconds=call.ring_seconds, started_at=call.started_at, team=call.team, metadata=call.metadata)
    events = sorted(call.events, key=lambda e: e.start)
    finals: list[float] = []
    partials: list[float] = []
    advances: list[float] = []
    alerts = 0
    clock = time.perf_counter
    k = 0
    for u in call.utterances:
        while k < len(events) and u.start is not None and events[k].start <= u.start:
            e = events[k]
            session.event(e.type, start=e.start, end=e.end)
            k += 1
        if u.start is not None:
            t = clock()
            session.advance(u.start)
            advances.append(clock() - t)
        for third in (1, 2):
            t = clock()
            session.feed(u.speaker, u.text[: len(u.text) * third // 3], start=u.start, final=False)
            partials.append(clock() - t)
        t = clock()
        said = session.feed(u.speaker, u.text, start=u.start, end=u.end)
        finals.append(clock() - t)
        alerts += sum(e.kind == "alert" for e in said)
    for e in events[k:]:
        session.event(e.type, start=e.start, end=e.end)
    t = clock()
    report = session.close(hangup_by=call.hangup_by)
    closing = clock() - t
    assert report == scorer.score(call), call.call_id  # the live report is the batch one
    return {"finals": finals, "partials": partials, "advances": advances, "close": closing, "alerts": alerts}


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 3), "p99_ms": round(p99 * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3), "n": len(ordered)}


def naive(scorer: csqa.Scorer, call: csqa.Call, points: list[int]) -> dict[str, float]:
    """Seconds to score the call so far at each of ``points`` utterances: the cost of rescoring from the start."""
    out = {}
    for n in points:
        part = call.model_copy(update={"utterances": call.utterances[:n], "events": ()})
        best = min(_timed(scorer.score, part) for _ in range(3))
        out[str(n)] = round(best * 1000, 2)
    return out


def _timed(fn: Any, *args: Any) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def measure(backend: str, count: int, utterances: int, with_naive: bool, repeat: int) -> dict[str, Any]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    scorer = csqa.Scorer(tokenizer_backend=backend)  # type: ignore[arg-type]
    scorer.warm_up()
    calls = long_calls(count, utterances)
    feed(scorer, calls[0])  # warm: first use of every code path
    repeats = [[feed(scorer, call) for _ in range(repeat)] for call in calls]
    runs = [run for each in repeats for run in each]
    work = [[min(times) for times in zip(*(run["finals"] for run in each))] for each in repeats]
    finals = [t for run in runs for t in run["finals"]]
    buckets = []
    for low in range(0, utterances, BUCKET):
        chunk = [t for run in runs for t in run["finals"][low : low + BUCKET]]
        fastest = [t for each in work for t in each[low : low + BUCKET]]
        buckets.append({"utterances": f"{low + 1}-{low + BUCKET}", **quantiles(chunk),
                        "work": {k: v for k, v in quantiles(fastest).items() if k != "n"}})
    small = [feed(scorer, call) for call in corpus()]
    result: dict[str, Any] = {
        "backend": scorer.tokenizer_backend,
        "calls": count,
        "utterances_per_call": utterances,
        "repeat": repeat,
        "final": quantiles(finals),
        "final_work": quantiles([t for each in work for t in each]),
        "partial": quantiles([t for run in runs for t in run["partials"]]),
        "advance": quantiles([t for run in runs for t in run["advances"]]),
        "close_ms": quantiles([run["close"] for run in runs]),
        "alerts_per_call": round(statistics.mean(run["alerts"] for run in runs), 1),
        "by_utterance_index": buckets,
        "growth_median_last_over_first": round(buckets[-1]["median_ms"] / buckets[0]["median_ms"], 2),
        "growth_work_p99_last_over_first": round(buckets[-1]["work"]["p99_ms"] / buckets[0]["work"]["p99_ms"], 2),
        "corpora": {"calls": len(small), "final": quantiles([t for run in small for t in run["finals"]]),
                    "close_ms": quantiles([run["close"] for run in small])},
    }
    if with_naive:
        points = [n for n in (50, 100, 250, 500, 1000) if n <= utterances]
        result["naive_rescore_ms_at"] = naive(scorer, calls[0], points)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--utterances", type=int, default=500)
    parser.add_argument("--backends", nargs="+", default=["rjieba", "jieba"])
    parser.add_argument("--repeat", type=int, default=3, help="feeds of each call, each in a fresh session")
    parser.add_argument("--naive", action="store_true", help="also time rescoring the call so far at a few points")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process: measure this backend, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.calls, args.utterances, args.naive, args.repeat)))
        return
    results = []
    for backend in args.backends:
        command = [sys.executable, __file__, "--one", backend, "--calls", str(args.calls), "--utterances", str(args.utterances),
                   "--repeat", str(args.repeat)]
        done = subprocess.run(command + (["--naive"] if args.naive else []), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{backend}: not measured ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode})")
            continue
        result = json.loads(done.stdout)
        results.append(result)
        print(f"{result['backend']}: {args.calls} calls x {args.utterances} utterances, each fed {args.repeat} times, one core")
        for name in ("final", "final_work", "partial", "advance", "close_ms"):
            q = result[name]
            print(f"  {name:10} median {q['median_ms']:8.3f} ms  p99 {q['p99_ms']:8.3f} ms  max {q['max_ms']:8.3f} ms"
                  f"  (n={q['n']})")
        for bucket in result["by_utterance_index"]:
            work = bucket["work"]
            print(f"  utterances {bucket['utterances']:>9}: median {bucket['median_ms']:.3f} ms, p99 {bucket['p99_ms']:.3f} ms"
                  f"  | work median {work['median_ms']:.3f} ms, p99 {work['p99_ms']:.3f} ms")
        print(f"  growth, last bucket / first: median {result['growth_median_last_over_first']}, "
              f"work p99 {result['growth_work_p99_last_over_first']}")
        corpora = result["corpora"]
        print(f"  corpora ({corpora['calls']} calls): final median {corpora['final']['median_ms']} ms, "
              f"p99 {corpora['final']['p99_ms']} ms; close median {corpora['close_ms']['median_ms']} ms")
        if "naive_rescore_ms_at" in result:
            print(f"  rescoring the call so far instead (ms, at N utterances): {result['naive_rescore_ms_at']}")
    if args.json:
        payload = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                   "python": platform.python_version(), "csqa": csqa.__version__, "results": results}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
