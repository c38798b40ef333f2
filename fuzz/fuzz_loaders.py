"""Coverage-guided fuzz target (atheris) for the call loaders and batch scoring.

Each input's bytes are written as a ``.jsonl``, a ``.json`` and a ``.txt`` file and read with
``csqa.load_calls`` and scored with ``Scorer.score_item``, as ``csqa score`` does; the bytes are also given
to ``parse_call`` and ``Scorer.score_item`` directly. The promise checked (README, "Input"):

* every input call becomes exactly one result: one per non-blank line of a JSON Lines file (lines end at
  ``\\n``), one per call of a JSON file (one error record when it is not JSON), one for a ``.txt`` file;
* an error record names its file, and for a JSON Lines line its line number;
* ``load_calls`` and ``score_item`` raise nothing; ``load_calls(errors="raise")`` and ``parse_call`` raise
  only ``csqa.InputError``; every result can be stored as JSON (``model_dump_json``, what
  ``csqa score --format jsonl`` writes).

Any other exception, or an ``AssertionError`` from a broken promise, is a crash. Run:

    python fuzz/fuzz_loaders.py -max_total_time=30

(see ``fuzz/harness.py`` for the defaults filled in: a seeded temporary corpus, a temporary
``-artifact_prefix`` and a dictionary). Exits 0 when nothing was found.
"""

from __future__ import annotations

import contextlib
import json
import sys
from importlib import resources
from pathlib import Path

import atheris

sys.dont_write_bytecode = True  # importing harness leaves no __pycache__ in the work tree

with atheris.instrument_imports(include=["csqa"]):
    import csqa
    from csqa.input.loaders import iter_raw

from harness import PromiseBroken, main, work_dir  # noqa: E402 - after dont_write_bytecode and the instrumented csqa

BOM = b"\xef\xbb\xbf"
SCORER: csqa.Scorer
JSONL = JSON = TXT = Path()


def setup() -> None:
    """In the fuzzing process, before the first input: one Scorer, and where each input's files go."""
    global SCORER, JSONL, JSON, TXT
    SCORER = csqa.Scorer()
    SCORER.warm_up()
    work = work_dir()
    JSONL, JSON, TXT = work / "calls.jsonl", work / "calls.json", work / "call.txt"


def _nonblank_lines(data: bytes) -> list[int]:
    """The numbers of the lines a JSON Lines file must give one result each (lines end at ``\\n``)."""
    numbers = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if number == 1:
            raw = raw.removeprefix(BOM)
        if raw.decode("utf-8", "replace").strip():
            numbers.append(number)
    return numbers


def _depth(data: bytes) -> int:
    depth = deepest = 0
    for byte in data:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def _calls_in_json(data: bytes) -> int | None:
    """How many results a ``.json`` file must give; ``None`` when it is not JSON (then one error record)."""
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except Exception:  # not UTF-8, not JSON, too deep, too long a number: all one error record
        return None
    if isinstance(value, dict):
        tickets = value.get("tickets", value.get("Tickets"))
        if isinstance(tickets, list):
            return len(tickets)
    return len(value) if isinstance(value, list) else 1


def _stored(result: object, where: str) -> None:
    if not isinstance(result, (csqa.Report, csqa.CallError)):
        raise PromiseBroken(f"{where}: a result is a {type(result).__name__}, not a Report or CallError")
    result.model_dump_json()  # what csqa score --format jsonl writes; must not raise


def _raise_mode(path: Path) -> None:
    with contextlib.suppress(csqa.InputError):
        list(csqa.load_calls(path, errors="raise"))


def check_jsonl(data: bytes) -> None:
    JSONL.write_bytes(data)
    expected = _nonblank_lines(data)
    loaded = list(csqa.load_calls(JSONL))
    if len(loaded) != len(expected):
        raise PromiseBroken(f".jsonl: {len(expected)} non-blank lines gave {len(loaded)} results")
    for number, result in zip(expected, loaded):
        if isinstance(result, csqa.CallError):
            if result.source != str(JSONL) or result.line != number:
                raise PromiseBroken(f".jsonl: the error for line {number} names {result.source} line {result.line}")
        elif not isinstance(result, csqa.Call):
            raise PromiseBroken(f".jsonl: line {number} gave a {type(result).__name__}")
    scored = [SCORER.score_item(item) for item in iter_raw(JSONL)]
    if len(scored) != len(expected):
        raise PromiseBroken(f".jsonl: {len(expected)} non-blank lines scored as {len(scored)} results")
    for result in scored:
        _stored(result, ".jsonl")
    _raise_mode(JSONL)


def check_json(data: bytes) -> None:
    JSON.write_bytes(data)
    expected = _calls_in_json(data)
    loaded = list(csqa.load_calls(JSON))
    one_error = len(loaded) == 1 and isinstance(loaded[0], csqa.CallError)
    if expected is None and not one_error:
        raise PromiseBroken(f".json: a file that is not JSON gave {len(loaded)} results, not one error record")
    # near Python's recursion limit this process and the loader may disagree on what is too deep
    if expected is not None and len(loaded) != expected and not (one_error and _depth(data) > 200):
        raise PromiseBroken(f".json: a file of {expected} calls gave {len(loaded)} results")
    for result in loaded:
        if isinstance(result, csqa.CallError) and result.source != str(JSON):
            raise PromiseBroken(f".json: an error record names {result.source}")
    scored = [SCORER.score_item(item) for item in iter_raw(JSON)]
    if len(scored) != len(loaded):
        raise PromiseBroken(f".json: {len(loaded)} calls scored as {len(scored)} results")
    for result in scored:
        _stored(result, ".json")
    _raise_mode(JSON)


def check_txt(data: bytes) -> None:
    TXT.write_bytes(data)
    loaded = list(csqa.load_calls(TXT))
    if len(loaded) != 1:
        raise PromiseBroken(f".txt: one call file gave {len(loaded)} results")
    if isinstance(loaded[0], csqa.CallError) and loaded[0].source != str(TXT):
        raise PromiseBroken(f".txt: the error record names {loaded[0].source}")
    scored = [SCORER.score_item(item) for item in iter_raw(TXT)]
    if len(scored) != 1:
        raise PromiseBroken(f".txt: one call file scored as {len(scored)} results")
    _stored(scored[0], ".txt")
    _raise_mode(TXT)


def check_direct(data: bytes) -> None:
    with contextlib.suppress(csqa.InputError):
        csqa.parse_call(data, source="<fuzz>", line=1)
    with contextlib.suppress(csqa.InputError):
        csqa.parse_text(data.decode("utf-8", "replace"), call_id="fuzz", source="<fuzz>")
    _stored(SCORER.score_item(data), "score_item(bytes)")


def test_one_input(data: bytes) -> None:
    check_jsonl(data)
    check_json(data)
    check_txt(data)
    check_direct(data)


def seeds() -> list[bytes]:
    demo = resources.files("csqa.corpora").joinpath("demo")
    out = []
    lines = demo.joinpath("calls.jsonl").read_bytes().splitlines(keepends=True)
    out += [line for line in lines[:6] if len(line) < 4000]
    out.append(b"".join(line for line in lines[:3] if len(line) < 1300))
    out.append(demo.joinpath("demo-txt-01.txt").read_bytes()[:4000])
    sca = json.loads(demo.joinpath("sca_export.json").read_text(encoding="utf-8"))
    first = sca[0] if isinstance(sca, list) else sca.get("tickets", [sca])[0]
    out.append(json.dumps(first, ensure_ascii=False).encode()[:4000])
    good = json.dumps(
        {
            "call_id": "f1", "rings": 2, "hangup_by": "customer",
            "utterances": [{"speaker": "agent", "text": "您好!楠山农林客服部,请问有什么能帮您?", "start": 0.0, "end": 3.1}],
            "events": [{"type": "hold", "start": 4.0, "end": 9.0}],
        },
        ensure_ascii=False,
    ).encode()
    out += [
        good,
        BOM + good + b"\r\n \t\r\n" + good,
        good + b"\n\xff\xfe\n" + good[:40],
        b"[" * 1500,
        b'{"call_id": "x", "rings": 1' + b"0" * 4400 + b', "utterances": []}',
        '{"tid": "t", "dialogue": [{"role": "客服", "words": "x", "begin": 1'.encode() + b"0" * 400 + b"}]}",
        '{"tid": "t", "dialogue": [{"role": "客服", "words": "\\ud800", "begin": 1e400, "identity": "A"}]}'.encode(),
        b'{"tickets": [' + good + b", [1], null]}",
        b'{"call": ' + good + b', "gold": {}}',
        "# rings: 2\n# events: [{\"type\": \"transfer\", \"start\": 3}]\n[00:01-00:03] 坐席：您好\n客户: 你好\n".encode(),
        "# rings: ²\n坐席: 您好".encode(),
    ]
    return out


TOKENS = [
    b'"call_id"', b'"utterances"', b'"speaker"', b'"text"', b'"start"', b'"end"', b'"rings"', b'"ring_seconds"',
    b'"hangup_by"', b'"events"', b'"direction"', b'"agent_id"', b'"type"', b'"hold"', b'"transfer"', b'"tid"',
    b'"dialogue"', b'"role"', b'"words"', b'"begin"', b'"identity"', b'"tickets"', b'"call"', b'"gold"',
    b'"agent"', b'"customer"', b'"inbound"', b'"outbound"', "坐席".encode(), "客户".encode(), "客服".encode(),
    "您好".encode(), b"# rings:", b"# events:", b"# call_id:", b"# ring_seconds:", b"[00:03]", b"[00:03-00:06]",
    b"\\ud800", b"\\udc00", b"\\u0000", b"NaN", b"Infinity", b"-Infinity", b"1e400", b"1" + b"0" * 320, b"[[[[[[[[",
    b'{"a":{"a":', BOM, b"\r\n", b"\xff", b"\xed\xa0\x80", "\u2028".encode(), b"\x85", "²".encode(), b"true", b"null",
]


if __name__ == "__main__":
    sys.exit(main(__file__, "loaders", test_one_input, seeds, TOKENS, setup))
