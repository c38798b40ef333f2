"""The team outputs at the size of a busy centre's week: is the index still quick with 10,000 calls, and do the
spreadsheet and summary writers keep their memory flat?

* **site**: ``write_site`` over N reports (the demo corpus's reports, copied with their own ids, fifty agents,
  five teams, thirty days and a queue): seconds, the size of ``index.html`` and of the whole folder.
* **index in Chromium** (Debian's chromium through chromedriver, as tests/test_review_browser.py): the time
  to DOMContentLoaded and to the load event (the page's script has run by then: the first 100 rows are
  shown), first contentful paint, the JS heap, and the time one click on the score header takes to sort
  and show the calls, one keystroke in the search box to filter them, and one change of the rule filter.
  Median of five loads.
* **sheets**: ``write_sheets`` to xlsx and csv over N reports: seconds, size, and the peak of Python's
  traced memory at N / 10 and at N (write-only workbooks keep only the row being written).
* **summary**: ``summarize(by=team, day, week, scores=False)`` (what ``csqa summary --by`` runs): the peak of
  traced memory at N / 10 and N.

Not a test: figures are printed, and ``--json`` keeps them.

    python benchmarks/pages.py [--calls 10000] [--json benchmarks/pages-results.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import csqa
from csqa.outputs.sheets import write_sheets
from csqa.outputs.summary import summarize

TZ = dt.timezone(dt.timedelta(hours=8))


def demo_reports() -> list[csqa.Report]:
    root = Path(__file__).resolve().parents[1]
    scorer = csqa.Scorer()
    return [r for r in scorer.score_many(csqa.load_calls(root / "corpora" / "demo")) if isinstance(r, csqa.Report)]


BASE: list[csqa.Report] = []


def reports(n: int) -> Iterator[csqa.Report]:
    """``n`` reports, made lazily from the demo corpus's: own ids, fifty agents, five teams, thirty days."""
    base = BASE
    start = dt.datetime(2026, 11, 1, 8, 0, tzinfo=TZ)
    for i in range(n):
        r = base[i % len(base)]
        yield r.model_copy(update={
            "call_id": f"call-{i:06d}", "agent_id": f"A{i % 50:03d}", "team": f"{i % 5 + 1}组",
            "started_at": start + dt.timedelta(days=i % 30, minutes=(i * 7) % 600),
            "metadata": {"queue": ("售后", "咨询", "投诉")[i % 3]}})


def peak(run: Callable[[], object]) -> tuple[float, float]:
    """Seconds and the peak of traced memory (MB) of one run."""
    tracemalloc.start()
    began = time.perf_counter()
    run()
    seconds = time.perf_counter() - began
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, top / 1e6


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def browser_figures(index: Path, rounds: int) -> dict[str, Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        return {"skipped": "no chromium or chromedriver"}
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600",
                 "--enable-precise-memory-info"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    runs: list[dict[str, float]] = []
    try:
        for _ in range(rounds):
            driver.get("about:blank")
            driver.get(index.as_uri())
            figures = driver.execute_script("""
                var nav = performance.getEntriesByType('navigation')[0];
                var paint = performance.getEntriesByType('paint').filter(function (p) {
                  return p.name === 'first-contentful-paint'; })[0];
                var rows = document.querySelectorAll('#calls-table tbody tr').length;
                var t0 = performance.now();
                document.querySelector('#calls-table th[data-key="score"] button').click();
                var sort = performance.now() - t0;
                var q = document.getElementById('f-q');
                q.value = 'A007';
                t0 = performance.now();
                q.dispatchEvent(new Event('input'));
                var search = performance.now() - t0;
                q.value = '';
                q.dispatchEvent(new Event('input'));
                var rule = document.getElementById('f-rule');
                rule.value = rule.options[1].value;
                t0 = performance.now();
                rule.dispatchEvent(new Event('change'));
                var filter = performance.now() - t0;
                return {dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
                        first_contentful_paint_ms: paint ? paint.startTime : null, rows_shown: rows,
                        sort_ms: sort, search_ms: search, rule_filter_ms: filter,
                        js_heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null};
            """)
            runs.append(figures)
    finally:
        driver.quit()
    keys = runs[0].keys()
    return {key: (statistics.median(r[key] for r in runs) if runs[0][key] is not None else None) for key in keys} | {
        "rounds": rounds, "chromium": driver_path and os.path.basename(chromium)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--parts", default="site,sheets,summary", help="which figures (default: all three)")
    parser.add_argument("--json", metavar="FILE", help="write the figures here (merged into the file's, by part)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    n = args.calls
    BASE.extend(demo_reports())
    result: dict[str, Any] = {"date": dt.date.today().isoformat(), "python": platform.python_version(),
                              "machine": platform.machine(), "cpus": os.cpu_count(), "csqa": csqa.__version__, "calls": n}
    with tempfile.TemporaryDirectory() as tmp:
        if "site" in parts:
            run_site(n, Path(tmp), args.rounds, result)
        if "sheets" in parts:
            run_sheets(n, Path(tmp), result)
        if "summary" in parts:
            run_summary(n, result)
    if args.json:
        path = Path(args.json)
        kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        path.write_text(json.dumps({**kept, **result}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def run_site(n: int, tmp: Path, rounds: int, result: dict[str, Any]) -> None:
    site = Path(tmp) / "site"
    began = time.perf_counter()
    index = csqa.write_site(reports(n), site)
    result["site"] = {"seconds": round(time.perf_counter() - began, 2), "index_bytes": index.stat().st_size,
                      "folder_bytes": folder_size(site), "pages": len(list((site / "calls").iterdir()))}
    print(f"site: {n} calls in {result['site']['seconds']} s; index.html {index.stat().st_size / 1e6:.2f} MB, "
          f"folder {result['site']['folder_bytes'] / 1e6:.1f} MB", flush=True)
    result["browser"] = browser_figures(index, rounds)
    print("index in chromium:", json.dumps(result["browser"]), flush=True)


def run_sheets(n: int, tmp: Path, result: dict[str, Any]) -> None:
    sheets: dict[str, Any] = {}
    for fmt in ("xlsx", "csv"):
        out = Path(tmp) / f"calls.{fmt}"
        began = time.perf_counter()
        write_sheets(reports(n), out, format=fmt)
        seconds = time.perf_counter() - began
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob(f"calls*.{fmt}")) / 1e6
        figures: dict[str, Any] = {"seconds": round(seconds, 2), "ms_per_call": round(1000 * seconds / n, 2),
                                   "mb": round(size_mb, 1)}
        for size in (n // 10, n):  # traced memory (tracemalloc slows the run several times: timed apart)
            _, top = peak(lambda size=size, fmt=fmt: write_sheets(reports(size), Path(tmp) / f"m.{fmt}", format=fmt))
            figures[f"peak_mb_{size}"] = round(top, 1)
        sheets[fmt] = figures
        print(f"{fmt}, {n} calls: {seconds:.1f} s ({figures['ms_per_call']} ms a call), {size_mb:.1f} MB; peak traced "
              f"memory {figures[f'peak_mb_{n // 10}']} MB at {n // 10} calls, {figures[f'peak_mb_{n}']} MB at {n}",
              flush=True)
    result["sheets"] = sheets


def run_summary(n: int, result: dict[str, Any]) -> None:
    summaries: dict[str, Any] = {}
    for size in (n // 10, n):
        seconds, top = peak(lambda size=size: summarize(reports(size), by=("team", "day", "week"), scores=False))
        summaries[str(size)] = {"seconds": round(seconds, 2), "peak_mb": round(top, 1)}
        print(f"summary by team, day, week over {size} calls: {seconds:.1f} s, peak traced memory {top:.1f} MB",
              flush=True)
    result["summary"] = summaries


if __name__ == "__main__":
    sys.exit(main())
