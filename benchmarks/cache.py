"""A second run of the command line: `csqa score corpora/demo` with the dictionary cache, against without.

    .venv/bin/python benchmarks/cache.py --repeats 7

Each backend is timed in fresh processes, in turns so that a slow moment of the shared machine falls on every
kind alike: *first* is a run with an empty cache folder (it parses jieba's dictionary and writes the cache),
*second* a run after it (it reads the cache), *off* a run with ``--no-cache`` (it parses the dictionary, as
every run did before the cache). Wall time of the whole process and its CPU time (user + system, which a busy
shared machine disturbs less), median and range.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSQA = [sys.executable, "-m", "csqa.cli"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run([*CSQA, "score", str(ROOT / "corpora" / "demo"), "--quiet", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--backends", nargs="+", default=["jieba", "rjieba"])
    parser.add_argument("--json", metavar="FILE", help="write the figures here too")
    args = parser.parse_args()
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for backend in args.backends:
        times: dict[str, list[tuple[float, float]]] = {"first": [], "second": [], "off": []}
        for _ in range(args.repeats):
            folder = Path(tempfile.mkdtemp(prefix="csqa-bench-cache-"))
            env = {**os.environ, "CSQA_CACHE_DIR": str(folder)}
            env.pop("CSQA_NO_CACHE", None)
            try:
                options = ["--tokenizer", backend]
                times["first"].append(_run(options, env))
                times["second"].append(_run(options, env))
                times["off"].append(_run([*options, "--no-cache"], env))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        results[backend] = times
        for kind, values in times.items():
            wall, cpu = [v[0] for v in values], [v[1] for v in values]
            print(f"{backend:7} {kind:6} wall median {statistics.median(wall):.2f} s (min {min(wall):.2f}, max "
                  f"{max(wall):.2f}); cpu median {statistics.median(cpu):.2f} s (min {min(cpu):.2f}); n={len(values)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
