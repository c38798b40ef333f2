"""The wheel carries the rule files: build it, install it in a fresh virtual environment, score from there."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, root)
    (wheel,) = dist.glob("csqa-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", wheel)
    return env_dir


def test_wheel_scores_with_bundled_rules(installed: Path, tmp_path: Path) -> None:
    code = (
        "import csqa, pathlib; "
        "r = csqa.score({'call_id': 'w', 'rings': 1, "
        "'utterances': [{'speaker': 'agent', 'text': '您好!楠山农林客服部,请问有什么能帮您?'}]}); "
        "print(r.check('standard-greeting').status, len(r.checks)); "
        "print(pathlib.Path(csqa.__file__).parent.parent.name)"
    )
    out = run(installed / "bin" / "python", "-c", code, cwd=tmp_path).stdout.split()
    assert out[:2] == ["pass", "16"]
    assert out[2] == "site-packages"


def test_wheel_console_script_scores_the_bundled_demo(installed: Path, tmp_path: Path) -> None:
    out = run(installed / "bin" / "csqa", "score", cwd=tmp_path).stdout
    assert "demo-01" in out and "0 errors" in out
    assert "# restate-question" in run(installed / "bin" / "csqa", "rules", "restate-question", cwd=tmp_path).stdout


def test_wheel_writes_pages_with_their_scripts_and_a_workbook(installed: Path, tmp_path: Path) -> None:
    """The pages' scripts are package data, and openpyxl comes with the install."""
    csqa_cmd = installed / "bin" / "csqa"
    run(csqa_cmd, "score", "--format", "jsonl", "-o", tmp_path / "r.jsonl", cwd=tmp_path)
    run(csqa_cmd, "report", tmp_path / "r.jsonl", "-o", tmp_path / "site", cwd=tmp_path)
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    page = next((tmp_path / "site" / "calls").iterdir()).read_text(encoding="utf-8")
    assert "csqaReviews" in index and "csqa-calls" in index and "csqaReviews" in page
    run(csqa_cmd, "score", "--format", "xlsx", "-o", tmp_path / "d.xlsx", "--headers", "zh", cwd=tmp_path)
    assert (tmp_path / "d.xlsx").read_bytes()[:2] == b"PK"


def test_wheel_serves_live_sessions_once_the_serve_extra_is_installed(installed: Path, tmp_path: Path) -> None:
    """`csqa serve` from a fresh install: without the extra it says which to install (one line, exit 2); with
    it, it answers a report over HTTP and live events over WebSocket on the loopback address."""
    import json
    import socket
    import time

    import httpx
    from websockets.sync.client import connect

    csqa = installed / "bin" / "csqa"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    missing = subprocess.run([str(csqa), "serve"], capture_output=True, text=True, env=env, check=False)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == ["csqa: [E400] csqa serve needs the serve extra: pip install 'csqa[serve]'"]
    (wheel,) = (installed.parent / "dist").glob("csqa-*.whl")
    run(installed / "bin" / "python", "-m", "pip", "install", "--quiet", f"csqa[serve] @ {wheel.as_uri()}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(csqa), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate()
                time.sleep(0.2)
        call = {"call_id": "w", "rings": 1, "utterances": [{"speaker": "agent", "text": "您好!楠山农林客服部,请问有什么能帮您?"}]}
        report = httpx.post(f"http://127.0.0.1:{port}/score", json=call, timeout=30).json()
        assert report["call_id"] == "w" and len(report["checks"]) == 16
        with connect(f"ws://127.0.0.1:{port}/live") as ws:
            ws.send(json.dumps({"type": "open", "call": {"call_id": "w", "rings": 1}}))
            assert json.loads(ws.recv(timeout=30))["type"] == "opened"
            ws.send(json.dumps({"type": "utterance", "speaker": "agent", "text": "我怎么知道"}))
            events = json.loads(ws.recv(timeout=30))["events"]
            assert "no-forbidden-phrases" in {e["rule"] for e in events if e["kind"] == "alert"}
    finally:
        server.terminate()
        server.communicate(timeout=30)
