"""csqa on engines: ``csqa lake score`` on local Spark and a local Dask cluster against ``csqa score --workers 2``.

    python benchmarks/lake.py                                  # 20,000 calls, two rounds, every engine
    python benchmarks/lake.py --calls 2000 --rounds 1 --engines local dask --json results-lake.json

The corpus is corpus.py's (the seed fixes it), written once under ``benchmarks/data/`` as JSON Lines (what
``csqa score`` reads) and as a Parquet folder of the same calls in the call layout (``csqa lake import
--layout call``, 2,500 rows a file: eight files). Each command runs in a fresh process, as a person would run
it, and is timed from start to exit:

* ``csqa score CALLS.jsonl --format jsonl -o … --workers 2`` — the single machine;
* ``csqa lake score LAKE -o … --engine local|spark|dask --workers 2`` — local: ``Scorer.score_many(workers=2)``
  over the Parquet rows; spark: ``local[2]``, no UI, 127.0.0.1; dask: ``LocalCluster`` of two one-thread
  worker processes on 127.0.0.1.

Every command is also run on the first ``--small`` calls (a corpus of its own, both forms). The fixed cost of
a command is its time on the small corpus (start-up: interpreter, JVM, cluster, Python workers, scorers); its
cost per call is ``(T(N) − T(small)) / (N − small)``; an engine's overhead per call is its cost per call less
that of ``csqa score``. Rounds alternate the commands, so a slow minute of the shared machine falls on all of
them, and the best round of each command is reported (and every round is kept in ``--json``).

``--merge FILE`` adds the rounds of an earlier ``--json`` (same corpus and workers) before taking the best:
on a shared machine, more rounds over a longer time give each command more chances of a quiet minute.

Also measured, in this process on ``--frame-calls`` calls: :func:`csqa.scale.frames.score_reports` against
``Scorer.score_many`` on the same rows, one core each, alternating five times: what the batch API's
conversions (rows to calls, reports to Arrow) add to scoring a call (the median of the five differences).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def corpus_files(count: int, rows_per_file: int) -> tuple[Path, Path]:
    """The JSON Lines corpus and its Parquet (call layout) copy, written once."""
    jsonl = corpus.write(DATA / f"lake-{count}.jsonl", count)
    lake = DATA / f"lake-{count}-call"
    stamp = lake / "_csqa_source"
    if not (stamp.exists() and stamp.read_text() == f"{jsonl.stat().st_mtime_ns}:{rows_per_file}"):
        shutil.rmtree(lake, ignore_errors=True)
        run([sys.executable, "-m", "csqa.scale.lake", "import", str(jsonl), "-o", str(lake), "--layout", "call",
             "--rows-per-file", str(rows_per_file)])
        stamp.write_text(f"{jsonl.stat().st_mtime_ns}:{rows_per_file}")  # a name Spark and csqa lake leave out
    return jsonl, lake


def run(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return elapsed


def command(engine: str, jsonl: Path, lake: Path, out: Path, workers: int) -> list[str]:
    shutil.rmtree(out, ignore_errors=True)
    if engine == "csqa score":
        out.mkdir(parents=True)
        return [sys.executable, "-m", "csqa.cli", "score", str(jsonl), "--format", "jsonl", "-o", str(out / "reports.jsonl"),
                "--workers", str(workers), "--quiet"]
    return [sys.executable, "-m", "csqa.scale.lake", "score", str(lake), "-o", str(out), "--engine", engine, "--layout", "call",
            "--workers", str(workers)]


def frame_overhead(jsonl: Path, calls: int, rounds: int) -> dict[str, float]:
    """Seconds per call of ``score_reports`` and of ``score_many`` on the same rows, one core, alternating
    ``rounds`` times: the medians, and the median of the per-pair differences."""
    import pandas as pd

    import csqa
    from csqa.scale import frames

    lines = jsonl.read_text(encoding="utf-8").splitlines()[:calls]
    dicts = [json.loads(line) for line in lines]
    frame = pd.DataFrame([{k: d.get(k) for k in frames.input_columns("call") if k not in ("source", "line")} for d in dicts])
    scorer = csqa.Scorer()
    scorer.warm_up()
    list(scorer.score_many(dicts[:50]))
    pairs = []
    for _ in range(rounds):
        start = time.perf_counter()
        frames.score_reports(frame, rules=scorer)
        with_frames = (time.perf_counter() - start) / calls
        start = time.perf_counter()
        for _ in scorer.score_many(dicts):
            pass
        pairs.append((with_frames, (time.perf_counter() - start) / calls))
    return {"frames": statistics.median(p[0] for p in pairs), "score_many": statistics.median(p[1] for p in pairs),
            "added": statistics.median(p[0] - p[1] for p in pairs), "pairs": pairs}


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    packages = {}
    for name in ("csqa", "pyspark", "dask", "distributed", "pandas", "pyarrow", "rjieba"):
        try:
            packages[name] = version(name)
        except Exception:  # not installed
            packages[name] = None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model, "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(), "java": java[0] if java else None, "packages": packages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=200, help="calls of the corpus that measures fixed costs")
    parser.add_argument("--rows-per-file", type=int, default=2_500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--engines", nargs="+", default=["csqa score", "local", "spark", "dask"])
    parser.add_argument("--frame-calls", type=int, default=1_000)
    parser.add_argument("--json", type=Path, help="write every figure and round here")
    parser.add_argument("--merge", type=Path, help="add the rounds of an earlier --json before taking the best")
    args = parser.parse_args()

    big = corpus_files(args.calls, args.rows_per_file)
    small = corpus_files(args.small, args.rows_per_file)
    out = DATA / "lake-out"
    times: dict[str, dict[str, list[float]]] = {e: {"big": [], "small": []} for e in args.engines}
    for round_ in range(args.rounds):
        for engine in args.engines:
            for size, (jsonl, lake) in (("small", small), ("big", big)):
                elapsed = run(command(engine, jsonl, lake, out, args.workers))
                times[engine][size].append(elapsed)
                print(f"round {round_ + 1}: {engine:10} {size:5} {elapsed:8.1f} s", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    if args.merge:
        earlier = json.loads(args.merge.read_text())
        if (earlier["calls"], earlier["small"], earlier["workers"]) != (args.calls, args.small, args.workers):
            raise SystemExit(f"{args.merge} measured other settings")
        for engine, runs in earlier["rounds"].items():
            if engine in times:
                for size in ("big", "small"):
                    times[engine][size] = runs[size] + times[engine][size]

    figures: dict[str, dict[str, float]] = {}
    for engine, runs in times.items():
        t_big, t_small = min(runs["big"]), min(runs["small"])
        figures[engine] = {
            "seconds": t_big, "calls_per_s": args.calls / t_big, "fixed_s": t_small,
            "ms_per_call": 1000 * (t_big - t_small) / (args.calls - args.small),
        }
    base = figures.get("csqa score")
    for fig in figures.values():
        if base is not None:
            fig["overhead_ms_per_call"] = fig["ms_per_call"] - base["ms_per_call"]
            fig["vs_csqa_score"] = fig["calls_per_s"] / base["calls_per_s"]
    conversion = frame_overhead(big[0], args.frame_calls, 5)

    rounds = len(next(iter(times.values()))["big"])
    print(f"\n{args.calls:,} calls, --workers {args.workers}, best of {rounds} round(s)")
    print(f"{'command':12} {'wall s':>8} {'calls/s':>8} {'vs score':>9} {'fixed s':>8} {'ms/call':>8} {'overhead ms/call':>17}")
    for engine, fig in figures.items():
        print(f"{engine:12} {fig['seconds']:8.1f} {fig['calls_per_s']:8.1f} {fig.get('vs_csqa_score', 1):9.2f} "
              f"{fig['fixed_s']:8.1f} {fig['ms_per_call']:8.2f} {fig.get('overhead_ms_per_call', 0):17.2f}")
    extra = conversion["added"]
    print(f"\nbatch API, one core, {args.frame_calls} calls: score_reports {1000 * conversion['frames']:.2f} ms/call, "
          f"score_many {1000 * conversion['score_many']:.2f} ms/call: the conversions add {1000 * extra:.3f} ms "
          f"({extra / conversion['score_many']:.1%})")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "calls": args.calls, "small": args.small, "workers": args.workers,
                                         "rounds": times, "figures": figures, "batch_api": conversion}, indent=2) + "\n")


if __name__ == "__main__":
    main()
