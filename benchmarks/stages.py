"""Where scoring time goes: a cProfile of ``Scorer.score_many``, its own time summed by stage.

    python benchmarks/stages.py                       # 500 calls of the benchmark corpus, jieba backend
    python benchmarks/stages.py --calls 1000 --backend rjieba --top 25

cProfile charges every Python call, so csqa's many small functions look more expensive than they are
next to jieba (a sampling profiler such as ``py-spy record -f raw`` shows the true shares); the stages'
order and the changes between two versions are what this is for.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import Counter
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
import csqa
from csqa.input.loaders import iter_raw

HERE = Path(__file__).resolve().parent

STAGES = (  # (stage, substrings of "file:function"), first match wins
    ("tokenisation (jieba)", ("jieba", "tokenizer.py")),
    ("normalisation (fold + OpenCC)", ("opencc", "text.py")),
    ("content keys and boundaries", ("doc.py:_prepare", "doc.py:__init__")),
    ("phrase automata", ("phrases.py:candidates", "phrases.py:key", "find_matches")),
    ("phrase filtering", ("phrases.py:select", "phrases.py:_allowed", "phrases.py:bound", "doc.py:hits", "doc.py:first_hit")),
    ("result and evidence objects", ("report.py", "pydantic", "base.py:result", "doc.py:evidence", "doc.py:whole")),
    ("JSON parse and call validation", ("loaders.py", "model.py", "json")),
    ("rule logic", ("checks/", "doc.py", "scorer.py", "rulefile.py")),
)


def stage(filename: str, function: str) -> str:
    where = f"{filename}:{function}"
    for name, needles in STAGES:
        if any(needle in where for needle in needles):
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--backend", choices=["jieba", "rjieba"], default="jieba")
    parser.add_argument("--top", type=int, default=0, help="also print the N functions with the most own time")
    args = parser.parse_args()
    path = corpus.write(HERE / "data" / "calls-1000.jsonl", 1000)
    scorer = csqa.Scorer(tokenizer_backend=args.backend)
    scorer.warm_up()
    for _ in scorer.score_many(islice(iter_raw(path), 50)):  # warm: sound table, automata
        pass
    profile = cProfile.Profile()
    profile.enable()
    for _ in scorer.score_many(islice(iter_raw(path), args.calls)):
        pass
    profile.disable()
    stats = pstats.Stats(profile)
    own: Counter[str] = Counter()
    for (filename, _, function), (_, _, tottime, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == "~" and callers:  # a built-in (dict.get, max, str.join…): charged to its callers' stages
            for (caller_file, _, caller_function), caller_stats in callers.items():
                own[stage(caller_file.replace("\\", "/"), caller_function)] += caller_stats[2]
        else:
            own[stage(filename.replace("\\", "/"), function)] += tottime
    total = sum(own.values())
    print(f"{args.calls} calls, {args.backend}: {1000 * total / args.calls:.2f} ms per call under cProfile")
    for name, seconds in own.most_common():
        print(f"  {name:32s} {100 * seconds / total:5.1f}%  {1000 * seconds / args.calls:6.2f} ms/call")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
