"""``csqa serve`` over real connections: uvicorn on 127.0.0.1 with a free port, real HTTP (httpx) and WebSocket
(websockets) clients, including a bounded load test of concurrent live sessions."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

import csqa
from csqa.input.model import CallError
from csqa.serve import Limits, create_app
from tests.test_live import CORPUS, open_session, steps

LIMITS = Limits(max_body_bytes=256 * 1024, max_utterances=400, max_sessions=64)


class Server:
    """uvicorn serving an app in a thread of this process, on a port the system chose."""

    def __init__(self, scorer: Any, limits: Limits) -> None:
        config = uvicorn.Config(create_app(scorer, limits=limits), host="127.0.0.1", port=0, log_level="warning",
                                ws="websockets-sansio", ws_max_size=4 * limits.max_body_bytes, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/live"


@pytest.fixture(scope="module")
def server(scorer: csqa.Scorer) -> Iterator[Server]:
    with Server(scorer, LIMITS) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.http, timeout=60) as http:
        yield http


def call_json(call: csqa.Call) -> str:
    return call.model_dump_json(exclude_defaults=True)


# --- HTTP -----------------------------------------------------------------------------------------------


def test_health_version_and_rules(client: httpx.Client, scorer: csqa.Scorer) -> None:
    assert client.get("/health").json() == {"status": "ok", "sessions": 0}
    version = client.get("/version").json()
    assert version["csqa"] == csqa.__version__ and version["company"] == scorer.rules.scorecard.company
    assert version["limits"]["max_sessions"] == LIMITS.max_sessions
    rules = client.get("/rules").json()
    assert [r["rule"] for r in rules["rules"]] == list(scorer.rules.rules)
    assert all(r["live"] for r in rules["rules"])


def test_score_one_call(client: httpx.Client, scorer: csqa.Scorer) -> None:
    for call in CORPUS[:10]:
        response = client.post("/score", content=call_json(call).encode("utf-8"))
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert csqa.Report.model_validate_json(response.content) == scorer.score(call)


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        (b'{"call_id": "x", "utterances": [', 400, "E100", "JSON"),
        (b"{\"call_id\": \"\xc3\x28\"}", 400, "E100", "UTF-8"),
        (json.dumps({"call_id": "x", "utterances": [{"speaker": "robot", "text": "hi"}]}).encode(), 422, "E101",
         r"utterances\[0\]\.speaker"),
        (json.dumps({"call_id": "long", "utterances": [{"speaker": "agent", "text": "好"}] * 401}).encode(), 413, "E411",
         "401 utterances"),
        (b"{" + b" " * (LIMITS.max_body_bytes + 1) + b"}", 413, "E410", "limit"),
    ],
    ids=["bad-json", "not-utf8", "invalid-call", "too-many-utterances", "too-large"],
)
def test_a_bad_call_gets_a_json_error_with_its_code(client: httpx.Client, body: bytes, status: int, code: str, says: str) -> None:
    response = client.post("/score", content=body)
    assert response.status_code == status
    error = response.json()
    assert error["error"] is True and error["code"] == code and error["code"] in csqa.errors.CODES
    assert re.search(says, error["message"]) and "Traceback" not in response.text


def test_a_body_larger_than_it_says_is_refused_as_it_streams(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b" " * (LIMITS.max_body_bytes // 4)

    response = client.post("/score", content=chunks())  # chunked: no Content-Length to go by
    assert response.status_code == 413 and response.json()["code"] == "E410"


def test_unknown_endpoints_and_methods_are_json_errors(client: httpx.Client) -> None:
    for method, path in (("GET", "/nowhere"), ("GET", "/score"), ("DELETE", "/health")):
        response = client.request(method, path)
        assert response.status_code in (404, 405)
        assert response.json()["code"] == "E414" and "/score/stream" in response.json()["message"]


def test_a_stream_of_calls_gives_a_report_or_an_error_for_every_line_in_order(
    client: httpx.Client, scorer: csqa.Scorer
) -> None:
    good = CORPUS[:6]
    lines = [call_json(c) for c in good[:3]]
    lines += ["{not json", "", json.dumps({"call_id": "bad", "utterances": [{"speaker": "agent"}]}),
              "{" + " " * (LIMITS.max_body_bytes + 10) + "}"]
    lines += [call_json(c) for c in good[3:]]
    body = ("\n".join(lines) + "\n").encode("utf-8")

    def chunked() -> Iterator[bytes]:  # arbitrary cuts, lines split across chunks
        for i in range(0, len(body), 7919):
            yield body[i : i + 7919]

    with client.stream("POST", "/score/stream", content=chunked()) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
        out = [json.loads(line) for line in response.iter_lines() if line]
    assert len(out) == 9  # the blank line gives nothing
    reports = [csqa.Report.model_validate(o) for o in (out[:3] + out[6:])]
    assert reports == [scorer.score(c) for c in good]
    errors = [CallError.model_validate(o) for o in out[3:6]]
    assert [(e.code, e.line) for e in errors] == [("E100", 4), ("E101", 6), ("E410", 7)]


# --- WebSocket live sessions ----------------------------------------------------------------------------


def ask(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    ws.send(json.dumps(message, ensure_ascii=False))
    reply = json.loads(ws.recv(timeout=60))
    assert isinstance(reply, dict)
    return reply


def live_over_websocket(url: str, call: csqa.Call) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """A call replayed over one WebSocket: its events, the close reply and the opened reply."""
    fields = call.model_dump(mode="json", include={"call_id", "direction", "agent_id", "rings", "ring_seconds", "team"})
    events: list[dict[str, Any]] = []
    with connect(url) as ws:
        opened = ask(ws, {"type": "open", "call": fields})
        assert opened["type"] == "opened", opened
        for n, (kind, item) in enumerate(steps(call)):
            if kind == "event":
                message = {"type": "event", "event": item.model_dump(mode="json"), "ref": n}  # type: ignore[union-attr]
            else:
                message = {"type": "utterance", **item.model_dump(mode="json"), "ref": n}  # type: ignore[union-attr]
            reply = ask(ws, message)
            assert reply["type"] == "events" and reply["ref"] == n, reply
            events += reply["events"]
        closed = ask(ws, {"type": "close", "hangup_by": call.hangup_by})
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    return events, closed, opened


def in_process(scorer: csqa.Scorer, call: csqa.Call) -> tuple[list[dict[str, Any]], csqa.LiveSession, csqa.Report]:
    session = open_session(scorer, call.model_copy(update={"started_at": None, "metadata": {}}))
    said: list[csqa.LiveEvent] = []
    for kind, item in steps(call):
        if kind == "event":
            said += session.event(item.type, start=item.start, end=item.end)  # type: ignore[union-attr]
        else:
            said += session.feed(item.speaker, item.text, start=item.start, end=item.end)  # type: ignore[union-attr]
    report = session.close(hangup_by=call.hangup_by)
    return [e.model_dump(mode="json") for e in said], session, report


def test_a_live_session_over_websocket_speaks_the_library_s_events(server: Server, scorer: csqa.Scorer) -> None:
    for call in [c for c in CORPUS if c.events][:2] + CORPUS[:2]:
        events, closed, opened = live_over_websocket(server.ws, call)
        expected, session, report = in_process(scorer, call)
        assert opened["waiting"] == session.waiting
        assert events == expected
        assert closed["type"] == "closed"
        assert closed["events"] == [e.model_dump(mode="json") for e in session.closing_events]
        assert csqa.Report.model_validate(closed["report"]) == report == scorer.score(call.model_copy(
            update={"started_at": None, "metadata": {}}))


def test_websocket_errors_are_json_and_leave_the_session_as_it_was(server: Server) -> None:
    with connect(server.ws) as ws:
        assert ask(ws, {"type": "utterance", "speaker": "agent", "text": "您好"})["code"] == "E413"  # not open yet
        ws.send("{not json")
        assert json.loads(ws.recv(timeout=10))["code"] == "E413"
        assert ask(ws, {"type": "open", "call": {"call_id": "e", "utterances": []}})["code"] == "E413"
        assert ask(ws, {"type": "open", "call": {"call_id": "e", "direction": "sideways"}})["code"] == "E101"
        assert ask(ws, {"type": "open", "call": {"call_id": "e", "rings": 1}})["type"] == "opened"
        assert ask(ws, {"type": "open", "call": {"call_id": "again"}})["code"] == "E413"
        bad = ask(ws, {"type": "utterance", "speaker": "robot", "text": "hi", "ref": "r1"})
        assert (bad["type"], bad["code"], bad["ref"]) == ("error", "E101", "r1") and "speaker" in bad["message"]
        assert ask(ws, {"type": "utterance", "speaker": "agent", "text": 5})["code"] == "E101"
        assert ask(ws, {"type": "utterance", "speaker": "agent", "txt": "x"})["code"] == "E413"
        assert ask(ws, {"type": "dance"})["code"] == "E413"
        assert ask(ws, {"type": "advance", "now": -1})["code"] == "E400"
        huge = ask(ws, {"type": "utterance", "speaker": "agent", "text": "好" * LIMITS.max_body_bytes})
        assert huge["code"] == "E410"
        good = ask(ws, {"type": "utterance", "speaker": "agent", "text": "您好!楠山农林客服部,请问有什么能帮您?"})
        assert good["type"] == "events" and good["events"][0]["utterance"] == 0  # the refused messages changed nothing
        closed = ask(ws, {"type": "close", "hangup_by": "customer"})
        assert len(closed["report"]["utterances"]) == 1
    assert not any("Traceback" in str(v) for v in (bad, huge, closed))


def test_the_number_of_open_sessions_is_limited(scorer: csqa.Scorer) -> None:
    with Server(scorer, Limits(max_sessions=2)) as small, connect(small.ws) as a, connect(small.ws) as b:
        assert ask(a, {"type": "open", "call": {"call_id": "a"}})["type"] == "opened"
        assert ask(b, {"type": "open", "call": {"call_id": "b"}})["type"] == "opened"
        with connect(small.ws) as c:
            refused = ask(c, {"type": "open", "call": {"call_id": "c"}})
            assert refused["code"] == "E412"
            with pytest.raises(ConnectionClosed) as closed:
                c.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        ask(a, {"type": "close"})
        assert httpx.get(small.http + "/health").json()["sessions"] == 1
        with connect(small.ws) as d:
            assert ask(d, {"type": "open", "call": {"call_id": "d"}})["type"] == "opened"


def test_a_failure_inside_the_service_reaches_the_client_without_details(scorer: csqa.Scorer) -> None:
    class Broken(csqa.Scorer):
        def score_item(self, item: Any) -> Any:
            raise RuntimeError("secret internals")

    broken = Broken.__new__(Broken)
    broken.__dict__.update(scorer.__dict__)
    with Server(broken, LIMITS) as failing:
        response = httpx.post(failing.http + "/score", content=call_json(CORPUS[0]))
    assert response.status_code == 500
    assert response.json() == {"error": True, "code": "E301",
                               "message": "[E301] the service failed on this request (a bug; its log has the details)"}


def test_concurrent_live_sessions_under_load(server: Server, scorer: csqa.Scorer) -> None:
    """A bounded load test: 32 live sessions at once, each a corpus call, every one correct. The figures
    (sessions, utterances a second, latency) come from benchmarks/serve_load.py, not from here."""
    calls = CORPUS[:32]

    def run(call: csqa.Call) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        events, closed, _ = live_over_websocket(server.ws, call)
        return events, closed

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        results = list(pool.map(run, calls))
    for call, (events, closed) in zip(calls, results):
        expected, _, report = in_process(scorer, call)
        assert events == expected
        assert csqa.Report.model_validate(closed["report"]) == report
    assert httpx.get(server.http + "/health").json()["sessions"] == 0


# --- the command ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_csqa_serve_from_the_command_line(scorer: csqa.Scorer) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "csqa.cli", "serve", "--port", str(port), "--max-sessions", "3"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "csqa serve did not start"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/version").json()["limits"]["max_sessions"] == 3
        report = httpx.post(f"http://127.0.0.1:{port}/score", content=call_json(CORPUS[0]), timeout=30)
        assert csqa.Report.model_validate_json(report.content) == scorer.score(CORPUS[0])
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in err  # bound to the loopback address by default
    assert "Traceback" not in err


def test_csqa_serve_without_the_extra_says_what_to_install() -> None:
    code = "import sys; sys.modules['starlette'] = None; from csqa.cli import main; sys.exit(main(['serve']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["csqa: [E400] csqa serve needs the serve extra: pip install 'csqa[serve]'"]


def test_a_bad_port_or_rule_file_is_one_line_and_exit_2(tmp_path: Any) -> None:
    for args in (["serve", "--port", "70000"], ["serve", "--rules", str(tmp_path / "missing.toml")]):
        done = subprocess.run([sys.executable, "-m", "csqa.cli", *args], capture_output=True, text=True, check=False)
        assert done.returncode == 2, done
        assert "Traceback" not in done.stderr and done.stderr.count("\n") <= 2


def test_the_websocket_example_of_docs_live_md_runs(server: Server, root: Any, capsys: pytest.CaptureFixture[str]) -> None:
    page = (root / "docs" / "live.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", page, re.S)[1]
    assert "ws://127.0.0.1:8720/live" in code
    exec(compile(code.replace("8720", str(server.port)), "docs/live.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("{'type': 'opened'")
    assert "alert TB01" in "\n".join(printed) and printed[-1].startswith("0.0 [")
