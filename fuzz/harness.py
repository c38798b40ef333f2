"""What the fuzz targets share: libFuzzer's command line with safe defaults, seeds, and a dictionary.

A target is run as ``python fuzz/fuzz_X.py [libFuzzer flags] [CORPUS_DIR ...]``. Whatever is not given is
filled in so that a run never writes into the work tree:

* no corpus directory: a temporary one, seeded by the target (libFuzzer writes new inputs into the first
  corpus directory it is given);
* no ``-artifact_prefix``: a temporary directory for crash, timeout and out-of-memory files;
* no ``-dict``: a dictionary of the target's tokens, in the temporary directory;
* no ``-max_len``: 12,000 bytes (libFuzzer's 4,096 is too short for a number past Python's 4,300-digit
  limit); no ``-timeout``: 60 seconds for one input (a hang is a finding too); no ``-rss_limit_mb``: 2048.

libFuzzer ends the process from C, where Python's clean-up never runs, so the script runs the fuzzer in a
child process and removes the temporary directory itself when the child is done, unless a crash file was
written into it (its path is printed then). Temporary directories follow ``TMPDIR``. The exit status is
the fuzzer's: 0 when nothing was found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

CHILD = "CSQA_FUZZ_CHILD"
WORKDIR = "CSQA_FUZZ_WORKDIR"
FINDINGS = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")


class PromiseBroken(AssertionError):
    """A fuzz input broke a documented promise (one result per input, the exceptions that may escape)."""


def work_dir() -> Path:
    """The directory a target writes each input's files into (set up by :func:`main` for the child)."""
    path = Path(os.environ.get(WORKDIR) or tempfile.mkdtemp(prefix="csqa-fuzz-files-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _dict_entry(token: bytes) -> str:
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in token) + '"'


def _child_argv(argv: list[str], work: Path, seeds: Iterable[bytes], tokens: Iterable[bytes]) -> list[str]:
    flags = [a for a in argv if a.startswith("-")]
    corpora = [a for a in argv if not a.startswith("-")]
    if not corpora:
        corpus = work / "corpus"
        corpus.mkdir()
        for index, seed in enumerate(seeds):
            (corpus / f"seed-{index:03d}").write_bytes(seed)
        corpora = [str(corpus)]
    if not any(f.startswith("-artifact_prefix=") for f in flags):
        flags.append(f"-artifact_prefix={work}{os.sep}")
    if not any(f.startswith("-dict=") for f in flags):
        dictionary = work / "tokens.dict"
        dictionary.write_text("\n".join(_dict_entry(t) for t in tokens) + "\n", encoding="ascii")
        flags.append(f"-dict={dictionary}")
    if not any(f.startswith("-max_len=") for f in flags):
        flags.append("-max_len=12000")  # room for a number past Python's 4,300-digit limit
    if not any(f.startswith("-timeout=") for f in flags):
        flags.append("-timeout=60")
    if not any(f.startswith("-rss_limit_mb=") for f in flags):
        flags.append("-rss_limit_mb=2048")
    return [*flags, *corpora]


def main(
    script: str,
    name: str,
    test_one_input: Callable[[bytes], None],
    seeds: Callable[[], Iterable[bytes]],
    tokens: Iterable[bytes],
    setup: Callable[[], None] = lambda: None,
) -> int:
    """Fuzz ``test_one_input``: in the child, run atheris; in the parent, prepare, start the child, clean up."""
    if os.environ.get(CHILD) == "1":
        import atheris

        setup()
        atheris.Setup([script, *sys.argv[1:]], test_one_input)
        atheris.Fuzz()
        return 0  # not reached: libFuzzer exits the process
    work = Path(tempfile.mkdtemp(prefix=f"csqa-fuzz-{name}-"))
    try:
        argv = _child_argv(sys.argv[1:], work, seeds(), tokens)
        files = work / "files"
        env = {**os.environ, CHILD: "1", WORKDIR: str(files)}
        status = subprocess.call([sys.executable, script, *argv], env=env)
    except KeyboardInterrupt:
        status = 130
    findings = [p for p in work.iterdir() if p.name.startswith(FINDINGS)]
    if findings:
        print(f"{name}: {len(findings)} finding(s) kept in {work}: {', '.join(p.name for p in findings)}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return status
