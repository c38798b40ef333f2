"""What scoring costs before its first rule, step by step, against the floor of reading and tokenising.

    python benchmarks/entry.py                          # 2,000 calls, rjieba when installed
    python benchmarks/entry.py --calls 2000 --backend jieba

Each step adds one piece of work to the one before it, and all of them take turns over blocks of 250
calls, as in bench.py: the floor (``json.loads`` + tokenise the raw text); + validating the call; + the
width and punctuation fold without OpenCC (what a Simplified-only call would need at least); + the full
normalisation (fold and OpenCC), which is bench.py's *entry*.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402
import corpus  # noqa: E402

import csqa  # noqa: E402
from csqa.loaders import parse_call  # noqa: E402
from csqa.text import _FOLDED_KEEP_LINES, _fold  # noqa: E402

HERE = Path(__file__).resolve().parent


def time_validated(scorer: csqa.Scorer, lines: list[str]) -> float:
    tokenize = scorer._tokenizer.tokenize
    start = time.perf_counter()
    for line in lines:
        for utterance in parse_call(json.loads(line)).utterances:
            tokenize(utterance.text)
    return time.perf_counter() - start


def time_folded(scorer: csqa.Scorer, lines: list[str]) -> float:
    tokenize = scorer._tokenizer.tokenize
    start = time.perf_counter()
    for line in lines:
        joined = "\n".join(u.text for u in parse_call(json.loads(line)).utterances)
        for text in _fold(joined, _FOLDED_KEEP_LINES).split("\n"):
            tokenize(text)
    return time.perf_counter() - start


STEPS: dict[str, Callable[[csqa.Scorer, list[str]], float]] = {
    "floor: json.loads + tokenise the raw text": bench.time_floor,
    "+ validate the call": time_validated,
    "+ validate + fold (no OpenCC)": time_folded,
    "+ validate + fold + OpenCC (bench.py's entry)": bench.time_entry,
}


def main() -> None:
    default = "rjieba" if importlib.util.find_spec("rjieba") else "jieba"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--backend", choices=["jieba", "rjieba"], default=default)
    parser.add_argument("--block", type=int, default=250)
    args = parser.parse_args()
    path = corpus.write(HERE / "data" / f"calls-{args.calls}.jsonl", args.calls)
    lines = path.read_text(encoding="utf-8").splitlines()
    scorer = csqa.Scorer(tokenizer_backend=args.backend)
    scorer.warm_up()
    bench.time_entry(scorer, lines[: args.block])  # warm: OpenCC, page cache
    totals = dict.fromkeys(STEPS, 0.0)
    for offset in range(0, len(lines), args.block):
        part = lines[offset : offset + args.block]
        for name, step in STEPS.items():
            totals[name] += step(scorer, part)
    floor = totals[next(iter(STEPS))]
    print(f"{args.backend}, {len(lines)} calls")
    for name, seconds in totals.items():
        print(f"{name:48s} {seconds / len(lines) * 1000:.3f} ms a call  {seconds / floor:.3f} × floor")


if __name__ == "__main__":
    main()
