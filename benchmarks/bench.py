"""csqa benchmark: scoring cost against the floor of reading and tokenising, cold start, memory, scaling.

    python benchmarks/bench.py                       # 10,000 calls; 100,000-call memory stream
    python benchmarks/bench.py --calls 2000 --stream 20000 --json results.json

Figures, in one run on one corpus (see corpus.py; the seed fixes it):

* full: ``Scorer.score_many`` over the JSON Lines file on one core (parse, validate, normalise, tokenise,
  every rule, the report objects);
* floor: ``json.loads`` of every line and tokenisation of every utterance with the same tokenizer (same
  backend, same user words) and nothing else; the ratio full ÷ floor is the price of the rules;
* cold start: a fresh ``python -c "import csqa; csqa.score(call)"``, median of five;
* memory: peak RSS of a process scoring a stream of calls, sampled along the way to show it stays flat;
* scaling: the same corpus with ``workers=2`` against one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

import csqa  # noqa: E402
from csqa.loaders import iter_raw  # noqa: E402

HERE = Path(__file__).resolve().parent
COLD = (
    "import csqa; csqa.score({'call_id': 'c', 'rings': 1, 'hangup_by': 'customer', 'utterances': ["
    "{'speaker': 'agent', 'text': '您好!楠山农林客服部,请问有什么能帮您?'}, {'speaker': 'customer', 'text': '我想问一下发货'}]})"
)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def full(scorer: csqa.Scorer, path: Path) -> float:
    start = time.perf_counter()
    for _ in scorer.score_many(iter_raw(path)):
        pass
    return time.perf_counter() - start


def floor(scorer: csqa.Scorer, path: Path) -> float:
    tokenize = scorer._tokenizer.tokenize  # the same tokenizer object the scorer uses
    start = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            for utterance in json.loads(line)["utterances"]:
                tokenize(utterance["text"])
    return time.perf_counter() - start


def cold_start(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stream_memory(count: int) -> dict[str, object]:
    """Peak RSS of this process while scoring ``count`` generated calls as a stream (run in a child)."""
    scorer = csqa.Scorer()
    scorer.warm_up()
    samples = []
    step = max(1, count // 10)
    for index, _ in enumerate(scorer.score_many(corpus.calls(count, seed=7)), 1):
        if index % step == 0:
            samples.append(round(rss_mb(), 1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"calls": count, "rss_mb_every_tenth": samples, "peak_rss_mb": round(peak, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--stream", type=int, default=100_000, help="calls in the memory stream (0 to skip)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(stream_memory(args.memory_child)))
        return

    path = corpus.write(HERE / "data" / f"calls-{args.calls}.jsonl", args.calls)
    size = path.stat().st_size
    chars = 0
    utterances = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            for u in json.loads(line)["utterances"]:
                chars += len(u["text"])
                utterances += 1
    scorer = csqa.Scorer()
    scorer.warm_up()
    full(scorer, path)  # one warm pass (pinyin table, page cache)
    t_full = full(scorer, path)
    t_floor = floor(scorer, path)
    t_two = time_workers(scorer, path, 2)
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "csqa": csqa.__version__,
        "corpus": {"calls": args.calls, "utterances": utterances, "chars": chars, "bytes": size},
        "full": {"seconds": round(t_full, 2), "calls_per_s": round(args.calls / t_full, 1), "chars_per_s": round(chars / t_full)},
        "floor": {"seconds": round(t_floor, 2), "calls_per_s": round(args.calls / t_floor, 1), "chars_per_s": round(chars / t_floor)},
        "ratio_full_to_floor": round(t_full / t_floor, 3),
        "workers_2": {"seconds": round(t_two, 2), "speedup": round(t_full / t_two, 2)},
        "cold_start_s": round(cold_start(), 3),
        "peak_rss_mb_one_core": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.stream:
        child = subprocess.run([sys.executable, __file__, "--memory-child", str(args.stream)], check=True,
                               capture_output=True, text=True)
        results["stream"] = json.loads(child.stdout)
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


def time_workers(scorer: csqa.Scorer, path: Path, workers: int) -> float:
    start = time.perf_counter()
    for _ in scorer.score_many(iter_raw(path), workers=workers, chunk_size=64):
        pass
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
