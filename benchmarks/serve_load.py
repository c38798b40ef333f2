"""Load on ``csqa serve``: many live sessions at once over WebSocket, on the loopback address.

Starts ``csqa serve`` (a process of its own, the default tokenizer backend) on a free port of 127.0.0.1, then, for
each number of sessions asked for, opens that many WebSockets at once from one asyncio client process, and each
replays a timed call of ``--utterances`` utterances (the benchmark corpus's turns, as in ``live.py``) as fast as
the server answers: open, one message per utterance (each waits for its reply), close. Figures per run: the
sessions, the utterances the server judged per second (all sessions together), the round trip of one utterance
message (median, p99), the close (the report of the whole call) and the wall time. Every report that comes back
is then checked against ``Scorer.score`` of the same call. A second figure shows latency at a call centre's
pace: ``--paced`` sessions each sending one utterance every ``--every`` seconds.

    python benchmarks/serve_load.py [--sessions 20 50] [--utterances 200] [--paced 50 --every 0.5] \
        [--json benchmarks/results-serve.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))

import csqa
from live import long_calls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def session(url: str, call: csqa.Call, every: float | None) -> dict[str, Any]:
    trips: list[float] = []
    async with connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "open", "call": {"call_id": call.call_id, "rings": call.rings}}))
        opened = json.loads(await ws.recv())
        assert opened["type"] == "opened", opened
        for e in call.events:
            await ws.send(json.dumps({"type": "event", "event": e.model_dump(mode="json")}))
            await ws.recv()
        for u in call.utterances:
            message = json.dumps({"type": "utterance", **u.model_dump(mode="json")}, ensure_ascii=False)
            t = time.perf_counter()
            await ws.send(message)
            reply = json.loads(await ws.recv())
            trips.append(time.perf_counter() - t)
            assert reply["type"] == "events", reply
            if every:
                await asyncio.sleep(every)
        t = time.perf_counter()
        await ws.send(json.dumps({"type": "close", "hangup_by": call.hangup_by}))
        closed = json.loads(await ws.recv())
        closing = time.perf_counter() - t
    return {"trips": trips, "close": closing, "report": closed["report"]}


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


async def run(url: str, calls: list[csqa.Call], every: float | None) -> dict[str, Any]:
    start = time.perf_counter()
    results = await asyncio.gather(*(session(url, call, every) for call in calls))
    wall = time.perf_counter() - start
    utterances = sum(len(r["trips"]) for r in results)
    return {
        "sessions": len(calls),
        "utterances": utterances,
        "wall_s": round(wall, 2),
        "utterances_per_s": round(utterances / wall, 1),
        "utterance_round_trip": quantiles([t for r in results for t in r["trips"]]),
        "close": quantiles([r["close"] for r in results]),
        "reports": [r["report"] for r in results],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--paced", type=int, default=50, help="sessions at a call centre's pace (0: none)")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between a paced session's utterances")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "csqa.cli", "serve", "--port", str(port), "--log-level", "warning",
                               "--max-sessions", str(max([*args.sessions, args.paced]))])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                version = httpx.get(f"http://127.0.0.1:{port}/version", timeout=2).json()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("csqa serve did not start") from None
                time.sleep(0.2)
        url = f"ws://127.0.0.1:{port}/live"
        scorer = csqa.Scorer()
        runs = []
        plans = [(n, None) for n in args.sessions] + ([(args.paced, args.every)] if args.paced else [])
        for count, every in plans:
            calls = long_calls(count, args.utterances)
            result = asyncio.run(run(url, calls, every))
            for call, report in zip(calls, result.pop("reports")):
                expected = scorer.score(call.model_copy(update={"hangup_by": call.hangup_by}))
                assert csqa.Report.model_validate(report) == expected, call.call_id
            result["paced_every_s"] = every
            runs.append(result)
            pace = f"one utterance every {every:g} s each" if every else "flat out"
            trip = result["utterance_round_trip"]
            print(f"{count:3} sessions, {pace}: {result['utterances']} utterances in {result['wall_s']} s = "
                  f"{result['utterances_per_s']} utterances/s; round trip median {trip['median_ms']} ms, "
                  f"p99 {trip['p99_ms']} ms; close median {result['close']['median_ms']} ms, p99 {result['close']['p99_ms']} ms; "
                  "every report equal to Scorer.score")
    finally:
        server.terminate()
        server.wait(30)
    if args.json:
        payload = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                   "python": platform.python_version(), "csqa": csqa.__version__, "tokenizer": version["tokenizer"],
                   "utterances_per_session": args.utterances, "runs": runs}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
