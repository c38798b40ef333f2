"""Is every cost linear in the size of its input? Time per unit at three sizes, a hundred-fold apart.

* **one long call**: a single timed call of 1,000, 10,000 and 100,000 utterances (turns of the benchmark
  corpus, one call after another, with a hold event and an agent who talks over the customer every so
  often), scored once: seconds per utterance.
* **csqa summary** and **csqa report** over 1,000, 10,000 and 100,000 stored reports (every report with the
  same call id, the case that made page naming quadratic): seconds per report.
* **hostile text lines**: a ``.txt`` call whose header line is followed by N spaces: seconds per character.

The figure that matters is the ratio of the largest size's time per unit to the smallest's; linear cost keeps
it near 1 (the goal is within 2). Not a test: timings are printed, and ``--json`` keeps them.

    python benchmarks/linear.py [--sizes 1000 10000 100000] [--json benchmarks/linear-results.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import csqa
from corpus import calls as corpus_calls
from csqa.cli import main as cli
from csqa.input.loaders import parse_text


def long_call(utterances: int) -> dict[str, Any]:
    """One timed call of ``utterances`` utterances, with a 30 s hold every 500 and an interruption every 50."""
    out: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    clock = 0.0
    for call in corpus_calls(utterances // 20 + 1):
        for u in call["utterances"]:  # type: ignore[attr-defined]
            if len(out) == utterances:
                break
            length = max(1.0, len(u["text"]) / 5)
            start = clock - 1.5 if len(out) % 50 == 49 and u["speaker"] == "agent" else clock
            out.append({"speaker": u["speaker"], "text": u["text"], "start": round(max(0.0, start), 2),
                        "end": round(clock + length, 2)})
            clock += length + 0.4
            if len(out) % 500 == 250:
                events.append({"type": "hold", "start": round(clock, 2), "end": round(clock + 30, 2)})
                clock += 30.4
    return {"call_id": f"long-{utterances}", "rings": 2, "hangup_by": "customer", "utterances": out, "events": events}


def timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def one_long_call(scorer: csqa.Scorer, sizes: list[int]) -> dict[int, float]:
    per_unit = {}
    for size in sizes:
        call = csqa.parse_call(long_call(size))
        seconds = timed(functools.partial(scorer.score, call))
        per_unit[size] = seconds / size
        print(f"  one call of {size:>7,} utterances: {seconds:8.2f} s, {per_unit[size] * 1e6:7.1f} µs per utterance")
    return per_unit


def stored_reports(scorer: csqa.Scorer, sizes: list[int], folder: Path) -> dict[str, dict[int, float]]:
    base = scorer.score(corpus_calls(1).__next__())
    line = base.model_copy(update={"call_id": "same-id"}).model_dump_json() + "\n"
    figures: dict[str, dict[int, float]] = {"summary": {}, "report": {}}
    for size in sizes:
        path = folder / f"reports-{size}.jsonl"
        path.write_text(line * size, encoding="utf-8")
        for command, argv in (("summary", ["summary", str(path), "--format", "json"]),
                              ("report", ["report", str(path), "-o", str(folder / f"site-{size}")])):
            seconds = timed(functools.partial(_quiet, argv))
            figures[command][size] = seconds / size
            print(f"  csqa {command:<7} over {size:>7,} reports: {seconds:8.2f} s, {seconds / size * 1e6:7.1f} µs per report")
    return figures


def _quiet(argv: list[str]) -> None:
    stdout = sys.stdout
    sys.stdout = open("/dev/null", "w", encoding="utf-8")  # noqa: SIM115 - the command prints its result
    try:
        assert cli(argv) == 0
    finally:
        sys.stdout.close()
        sys.stdout = stdout


def header_spaces(sizes: list[int]) -> dict[int, float]:
    per_unit = {}
    for size in sizes:
        text = "# call_id: a" + " " * size + "x\n坐席: 您好\n"
        seconds = timed(functools.partial(parse_text, text, call_id="h"))
        per_unit[size] = seconds / size
        print(f"  .txt header + {size:>7,} spaces: {seconds * 1000:8.2f} ms")
    return per_unit


def ratio(figures: dict[int, float]) -> float:
    sizes = sorted(figures)
    return figures[sizes[-1]] / figures[sizes[0]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    scorer = csqa.Scorer()
    scorer.score(long_call(200))  # warm: dictionary, automata, sound table
    print("one long call")
    results: dict[str, Any] = {"one_call": one_long_call(scorer, args.sizes)}
    with tempfile.TemporaryDirectory() as tmp:
        print("stored reports")
        results.update(stored_reports(scorer, args.sizes, Path(tmp)))
    print("hostile .txt header")
    results["txt_header"] = header_spaces([s * 10 for s in args.sizes])
    print("\nratio of time per unit, largest size to smallest (linear: about 1, goal within 2):")
    ratios = {name: round(ratio(figures), 2) for name, figures in results.items()}
    for name, value in ratios.items():
        print(f"  {name:<12} {value:5.2f}")
    if args.json:
        args.json.write_text(json.dumps({
            "command": "python benchmarks/linear.py " + " ".join(sys.argv[1:]),
            "date": date.today().isoformat(), "machine": f"{platform.machine()}, {platform.python_version()}",
            "tokenizer": scorer._tokenizer.backend if hasattr(scorer._tokenizer, "backend") else "auto",
            "seconds_per_unit": {k: {str(s): v for s, v in f.items()} for k, f in results.items()},
            "ratio_largest_to_smallest": ratios,
        }, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
