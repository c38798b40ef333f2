"""The coverage-guided fuzz targets under ``fuzz/`` (atheris), each run for a bounded time.

Each target runs in a subprocess for ``CSQA_FUZZ_SECONDS`` seconds (20 by default) with its crash files,
corpus and scratch files under the test's ``tmp_path``; libFuzzer's seed is ``CSQA_FUZZ_SEED`` (1 by
default, so that a run explores the same way each time; 0 for a new one). The test fails when the target
found an input that breaks the promise (a crash file is written, the fuzzer exits non-zero) and shows
the input and the traceback. Needs ``atheris`` (``pip install atheris``): without it the tests are
skipped, except under CI (the ``CI`` environment variable set), where they fail: CI must run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("CSQA_FUZZ_SECONDS", "20"))
SEED = int(os.environ.get("CSQA_FUZZ_SEED", "1"))  # 0: a new random seed each run (libFuzzer's -seed=0)
TARGETS = ["fuzz_loaders.py", "fuzz_rulefile.py"]


def _report(text: str, lines: int = 80) -> str:
    """The fuzzer's account of a finding: the Python traceback onwards when there is one, else the end."""
    start = text.find("=== Uncaught Python exception")
    kept = text[start:] if start >= 0 else text
    noise = ("INFO:", "#", "WARNING: Failed to find function", "stat::", "MS:", "0x")
    return "\n".join(line for line in kept.splitlines() if not line.startswith(noise))[-lines * 200 :]


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_finds_nothing(target: str, tmp_path: Path) -> None:
    try:
        import atheris  # noqa: F401  (only whether it imports: the targets run in their own process)
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"atheris is needed under CI for the fuzz targets (pip install atheris): {exc}")
        pytest.skip(f"atheris is not importable ({exc}); pip install atheris. Under CI this fails instead")
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        sys.executable, str(ROOT / "fuzz" / target), f"-max_total_time={SECONDS}",
        f"-artifact_prefix={artifacts}{os.sep}", "-timeout=60", "-rss_limit_mb=2048", f"-seed={SEED}",
    ]
    done = subprocess.run(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", timeout=SECONDS + 300, check=False)
    found = sorted(p.name for p in artifacts.iterdir())
    if done.returncode != 0 or found:
        what = ", ".join(found) or "no crash file"
        pytest.fail(f"{target} exited {done.returncode} with {what}:\n{_report(done.stdout)}", pytrace=False)
    if not any(line.startswith("Done ") for line in done.stdout.splitlines()):
        pytest.fail(f"{target} did not report its runs:\n{_report(done.stdout)}", pytrace=False)
