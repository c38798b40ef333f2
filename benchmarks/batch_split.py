"""Where ``workers=2`` loses time: what the calling process spends scoring, receiving and waiting.

    python benchmarks/batch_split.py                    # 3,000 calls, rjieba when installed
    python benchmarks/batch_split.py --calls 3000 --backend jieba

Times a one-worker pass, then a two-worker pass with csqa.scoring.batch's own steps wrapped in timers: the chunks
the calling process scores itself, the pool reports it reads back, and its waits for the pool. From them
the best two processes can do is c₁(2c − r)/c² (see README.md, "What bounds the two rjieba figures").
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
import corpus
import csqa
from csqa.scoring import batch

HERE = Path(__file__).resolve().parent


def timed(function: Any, seconds: str, count: str | None, totals: dict[str, float]) -> Any:
    def wrapper(*args: Any) -> Any:
        start = time.perf_counter()
        result = function(*args)
        totals[seconds] += time.perf_counter() - start
        if count is not None:
            totals[count] += len(result)
        return result

    return wrapper


def main() -> None:
    default = "rjieba" if importlib.util.find_spec("rjieba") else "jieba"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--backend", choices=["jieba", "rjieba"], default=default)
    args = parser.parse_args()
    path = corpus.write(HERE / "data" / f"calls-{args.calls}.jsonl", args.calls)
    items = bench.raw_calls(path.read_text(encoding="utf-8").splitlines(), path)
    scorer = csqa.Scorer(tokenizer_backend=args.backend)
    bench.time_full(scorer, items[:250])  # warm: pinyin table, automata, as bench.py does before timing
    one = bench.time_full(scorer, items)
    totals = dict.fromkeys(("scored", "scoring_s", "received", "receiving_s", "waiting_s"), 0.0)
    batch._score_here = timed(batch._score_here, "scoring_s", "scored", totals)  # type: ignore[assignment]
    batch._received = timed(batch._received, "receiving_s", "received", totals)  # type: ignore[assignment]
    batch.wait = timed(batch.wait, "waiting_s", None, totals)  # type: ignore[assignment]
    two = bench.time_full(scorer, items, workers=2)
    c1 = one / len(items)
    c = totals["scoring_s"] / totals["scored"]
    r = totals["receiving_s"] / totals["received"]
    print(f"{args.backend}, {len(items)} calls: one worker {one:.2f} s, two {two:.2f} s, speedup {one / two:.2f}")
    print(f"alone {c1 * 1000:.2f} ms a call; the calling process scored {totals['scored']:.0f} at {c * 1000:.2f} ms,")
    print(f"received {totals['received']:.0f} reports at {r * 1000:.3f} ms, waited {totals['waiting_s']:.2f} s")
    print(f"best two processes can do at these costs: {c1 * (2 * c - r) / c**2:.2f}×; with no slowdown {2 - r / c1:.2f}×")


if __name__ == "__main__":
    main()
