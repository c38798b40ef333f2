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
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
import corpus
import csqa
from csqa.input.loaders import parse_call
from csqa.text.normalize import _FOLDED_KEEP_LINES, _fold

HERE = Path(__file__).resolve().parent


def validated_texts(scorer: csqa.Scorer, line: str) -> Iterator[str]:
    return (utterance.text for utterance in parse_call(json.loads(line)).utterances)


def folded_texts(scorer: csqa.Scorer, line: str) -> list[str]:
    return _fold("\n".join(validated_texts(scorer, line)), _FOLDED_KEEP_LINES).split("\n")


STEPS: dict[str, bench.Texts] = {
    "floor: json.loads + tokenise the raw text": bench.raw_texts,
    "+ validate the call": validated_texts,
    "+ validate + fold (no OpenCC)": folded_texts,
    "+ validate + fold + OpenCC (bench.py's entry)": bench.entry_texts,
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
        for name, texts in STEPS.items():
            totals[name] += bench.time_tokenising(scorer, part, texts)
    floor = totals[next(iter(STEPS))]
    print(f"{args.backend}, {len(lines)} calls")
    for name, seconds in totals.items():
        print(f"{name:48s} {seconds / len(lines) * 1000:.3f} ms a call  {seconds / floor:.3f} × floor")


if __name__ == "__main__":
    main()
