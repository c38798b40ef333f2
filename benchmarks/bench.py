"""csqa benchmark: scoring cost against the floor of reading and tokenising, cold start, memory, scaling.

    python benchmarks/bench.py                                  # 10,000 calls, both backends, 100,000-call stream
    python benchmarks/bench.py --calls 2000 --stream 20000 --backends jieba --json results.json

Every tokenizer backend (``jieba``, and ``rjieba`` when it is installed) is measured in a process of its own,
on the same corpus (see corpus.py; the seed fixes it):

* full: ``Scorer.score_many`` on one core (parse, validate, normalise, tokenise, every rule, the reports);
* floor: ``json.loads`` of every line and tokenisation of every utterance with the scorer's own tokenizer
  object (same backend, same user words) and nothing else. Full and floor take turns over blocks of
  ``--block`` calls, so both see the same machine: on a shared machine the speed drifts by tens of per cent
  over minutes, and timing one whole pass after the other would put that drift into the ratio;
* ratio: full ÷ floor, summed over the blocks: what csqa costs on top of reading and tokenising;
* entry: the floor plus what every scoring does before its first rule runs, validating the call
  (``parse_call``) and normalising its text (``Normalizer.many``), timed in the same turns; entry ÷ floor is
  the part of the ratio that no rule, key or report accounts for;
* workers: the whole file with ``score_many(workers=2)`` against a one-worker pass, best of ``--repeat``
  alternating pairs; after each pair, the same for a loop of pure Python arithmetic (two processes against
  one doing both halves), which is what this machine's second core gives at that moment;
* cold start: a fresh ``python -c "import csqa; csqa.Scorer(tokenizer_backend=…).score(call)"``, median of five;
* memory: RSS sampled every tenth of a ``--stream``-call generated stream, and the peak, in a process of
  its own per backend (after the timings, which it would otherwise disturb).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
import csqa
from csqa.input.loaders import RawCall, parse_call

HERE = Path(__file__).resolve().parent
CALL = (
    "{'call_id': 'c', 'rings': 1, 'hangup_by': 'customer', 'utterances': ["
    "{'speaker': 'agent', 'text': '您好!楠山农林客服部,请问有什么能帮您?'}, {'speaker': 'customer', 'text': '我想问一下发货'}]}"
)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def raw_calls(lines: list[str], path: Path, first_line: int = 1) -> list[RawCall]:
    """The lines as ``iter_raw`` would give them: unparsed, each parsed by the scorer."""
    return [RawCall(line, str(path), first_line + i) for i, line in enumerate(lines)]


def time_full(scorer: csqa.Scorer, items: list[RawCall], workers: int = 1) -> float:
    start = time.perf_counter()
    for _ in scorer.score_many(items, workers=workers, chunk_size=64):
        pass
    return time.perf_counter() - start


Texts = Callable[[csqa.Scorer, str], Iterable[str]]
"""What a timed step makes of one JSON line before tokenising: the texts to cut."""


def time_tokenising(scorer: csqa.Scorer, lines: list[str], texts: Texts) -> float:
    """Time to turn each line into ``texts`` and cut every one with the scorer's own tokenizer object."""
    tokenize = scorer._tokenizer.tokenize
    start = time.perf_counter()
    for line in lines:
        for text in texts(scorer, line):
            tokenize(text)
    return time.perf_counter() - start


def raw_texts(scorer: csqa.Scorer, line: str) -> Iterator[str]:
    """The floor: ``json.loads`` and the utterances' texts as they are."""
    return (utterance["text"] for utterance in json.loads(line)["utterances"])


def entry_texts(scorer: csqa.Scorer, line: str) -> list[str]:
    """What every scoring does before its first rule: validate the call and normalise its text (both in
    compiled code: pydantic-core, OpenCC)."""
    return scorer._normalizer.many([u.text for u in parse_call(json.loads(line)).utterances])


def time_floor(scorer: csqa.Scorer, lines: list[str]) -> float:
    return time_tokenising(scorer, lines, raw_texts)


def time_entry(scorer: csqa.Scorer, lines: list[str]) -> float:
    return time_tokenising(scorer, lines, entry_texts)


def _spin(count: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(count):
        total += i * i % 7
    return time.perf_counter() - start


def machine_scaling(count: int = 10_000_000) -> float:
    """Two processes of pure-Python arithmetic against one process doing both halves: the ceiling for
    ``workers=2`` on this machine right now (a shared machine's second core is not always a whole core)."""
    start = time.perf_counter()
    _spin(count)
    _spin(count)
    one = time.perf_counter() - start
    with ProcessPoolExecutor(2) as pool:
        start = time.perf_counter()
        list(pool.map(_spin, [count, count]))
        two = time.perf_counter() - start
    return round(one / two, 2)


def measure_backend(backend: str, path: Path, block: int, repeat: int) -> dict[str, object]:
    """Every per-backend figure, in this (child) process."""
    scorer = csqa.Scorer(tokenizer_backend=backend)
    scorer.warm_up()
    with path.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    calls = len(lines)
    chars = sum(len(u["text"]) for line in lines for u in json.loads(line)["utterances"])
    time_full(scorer, raw_calls(lines[:block], path))  # warm: pinyin table, automata, page cache
    t_full = t_floor = t_entry = 0.0
    for offset in range(0, calls, block):
        part = lines[offset : offset + block]
        t_floor += time_floor(scorer, part)
        t_entry += time_entry(scorer, part)
        t_full += time_full(scorer, raw_calls(part, path, offset + 1))
    items = raw_calls(lines, path)
    ones, twos, ceilings = [], [], []
    for _ in range(repeat):
        ones.append(time_full(scorer, items))
        twos.append(time_full(scorer, items, workers=2))
        ceilings.append(machine_scaling())
    return {
        "backend": scorer._tokenizer.backend,
        "full": {"seconds": round(t_full, 2), "calls_per_s": round(calls / t_full, 1), "chars_per_s": round(chars / t_full)},
        "floor": {"seconds": round(t_floor, 2), "calls_per_s": round(calls / t_floor, 1), "chars_per_s": round(chars / t_floor)},
        "ratio_full_to_floor": round(t_full / t_floor, 3),
        "entry": {"seconds": round(t_entry, 2), "calls_per_s": round(calls / t_entry, 1)},
        "ratio_entry_to_floor": round(t_entry / t_floor, 3),
        "workers": {
            "one_seconds": round(min(ones), 2),
            "two_seconds": round(min(twos), 2),
            "speedup": round(min(ones) / min(twos), 2),
            "runs": {"one": [round(t, 2) for t in ones], "two": [round(t, 2) for t in twos]},
            "machine_ceiling": ceilings,
        },
    }


def cold_start(code: str, runs: int = 5) -> float:
    """Median wall time of a fresh interpreter running ``code``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def stream_memory(count: int, backend: str) -> dict[str, object]:
    """RSS of this (child) process along a stream of ``count`` generated calls, and its peak."""
    scorer = csqa.Scorer(tokenizer_backend=backend)
    scorer.warm_up()
    samples = []
    step = max(1, count // 10)
    for index, _ in enumerate(scorer.score_many(corpus.calls(count, seed=7)), 1):
        if index % step == 0:
            samples.append(round(rss_mb(), 1))
    return {"calls": count, "rss_mb_every_tenth": samples, "peak_rss_mb": peak_rss_mb()}


def child(*args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    installed = ["jieba"] + (["rjieba"] if importlib.util.find_spec("rjieba") else [])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--backends", nargs="+", choices=["jieba", "rjieba"], default=installed)
    parser.add_argument("--block", type=int, default=250, help="calls per turn of full and floor")
    parser.add_argument("--repeat", type=int, default=2, help="one- and two-worker pairs; the best of each counts")
    parser.add_argument("--stream", type=int, default=100_000, help="calls in the memory stream (0 to skip)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--backend-child", nargs=2, metavar=("BACKEND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", nargs=2, metavar=("CALLS", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(stream_memory(int(args.memory_child[0]), args.memory_child[1])))
        return
    if args.backend_child:
        backend, data = args.backend_child
        print(json.dumps(measure_backend(backend, Path(data), args.block, args.repeat)))
        return

    path = corpus.write(HERE / "data" / f"calls-{args.calls}.jsonl", args.calls)
    utterances = chars = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            for u in json.loads(line)["utterances"]:
                chars += len(u["text"])
                utterances += 1
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "csqa": csqa.__version__,
        "corpus": {"calls": args.calls, "utterances": utterances, "chars": chars, "bytes": path.stat().st_size},
        "block": args.block,
        "backends": {},
    }
    for backend in args.backends:
        figures = child("--backend-child", backend, str(path), "--block", str(args.block), "--repeat", str(args.repeat))
        figures["cold_start_s"] = cold_start(f"import csqa; csqa.Scorer(tokenizer_backend={backend!r}).score({CALL})")
        results["backends"][backend] = figures  # type: ignore[index]
    for backend in args.backends:
        if args.stream:
            results["backends"][backend]["stream"] = child("--memory-child", str(args.stream), backend)  # type: ignore[index]
    results["cold_start_default_s"] = cold_start(f"import csqa; csqa.score({CALL})")  # what a notebook waits for
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
