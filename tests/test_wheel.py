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
