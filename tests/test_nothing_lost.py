"""Nothing lost, nothing hangs: every input call becomes a report or an error record, whatever the bytes;
usage mistakes exit 2 with one line; outputs are whole or marked; no worker outlives its parent.

Each test reproduces one way the promise used to break (the item numbers are those of the issue).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import csqa
from csqa.cli import main
from csqa.input.loaders import parse_text
from csqa.outputs.evaluate import load_annotated
from csqa.outputs.html import PageNames, write_site
from csqa.outputs.summary import read_reports, summarize

GOOD = '{"call_id":"b","utterances":[{"speaker":"agent","text":"您好"}]}'


def _score_jsonl(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["score", str(path), "--format", "jsonl", *extra])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return code, lines


@pytest.mark.parametrize("workers", ["1", "2"])
def test_1_a_lone_surrogate_is_an_error_record_and_the_batch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    path = tmp_path / "s.jsonl"
    bad = [
        '{"call_id":"a","utterances":[{"speaker":"agent","text":"x\\ud800"}]}',
        '{"call_id":"\\udfff","utterances":[]}',  # in the id, which the error record must still carry
    ]
    path.write_text("\n".join([*bad, GOOD] * 3) + "\n", encoding="utf-8")
    code, lines = _score_jsonl(path, capsys, "--workers", workers)
    assert code == 1 and len(lines) == 9
    assert [bool(line.get("error")) for line in lines] == [True, True, False] * 3
    assert "utterances[0].text" in str(lines[0]["message"]) and "U+D800" in str(lines[0]["message"])
    assert lines[1]["call_id"] == "\\udfff" and lines[1]["line"] == 2
    assert lines[2]["call_id"] == "b"


def test_2_deeply_nested_json_is_an_error_record_in_score_and_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n" + GOOD + "\n", encoding="utf-8")
    code, lines = _score_jsonl(path, capsys)
    assert code == 1 and len(lines) == 2
    assert lines[0]["code"] == "E100" and "nested too deeply" in str(lines[0]["message"]) and lines[0]["line"] == 1
    assert lines[1]["call_id"] == "b"
    deep_json = tmp_path / "deep.json"
    deep_json.write_text("{" + '"a":{' * 50_000, encoding="utf-8")
    assert [type(r) for r in csqa.load_calls(deep_json)] == [csqa.CallError]
    annotated = tmp_path / "gold.jsonl"
    annotated.write_text("[" * 100_000 + "\n", encoding="utf-8")
    assert main(["eval", str(annotated), "--no-examples"]) == 1
    assert "nested too deeply" in capsys.readouterr().err


def test_2_huge_integers_and_nan_are_error_records(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    path.write_text('{"call_id":"h","rings":' + "9" * 5000 + ',"utterances":[]}\n'
                    '{"call_id":"n","rings":NaN,"utterances":[]}\n' + GOOD + "\n", encoding="utf-8")
    results = list(csqa.load_calls(path))
    assert [type(r) for r in results] == [csqa.CallError, csqa.CallError, csqa.Call]


def test_3_output_naming_an_input_is_refused_and_the_input_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text(GOOD + "\n", encoding="utf-8")
    assert main(["score", str(path), "-o", str(path)]) == 2
    assert main(["score", str(tmp_path), "-o", str(path)]) == 2  # inside a folder given as input
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "is also an input" in err
    assert path.read_text(encoding="utf-8") == GOOD + "\n"


def test_4_an_output_file_appears_only_when_the_run_is_complete(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text(GOOD + "\n", encoding="utf-8")
    out = tmp_path / "reports.jsonl"
    assert main(["score", str(calls), "--format", "jsonl", "-o", str(out)]) == 0
    assert out.is_file() and not (tmp_path / "reports.jsonl.partial").exists()


def _processes_in_group(group: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":  # process group, not a zombie
                found.append(int(entry.name))
    return found


def _start_long_run(tmp_path: Path, root: Path) -> tuple[subprocess.Popen[str], Path]:
    calls = tmp_path / "calls.jsonl"
    demo = (root / "corpora" / "demo" / "calls.jsonl").read_text(encoding="utf-8")
    calls.write_text(demo * 2000, encoding="utf-8")
    out = tmp_path / "reports.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "csqa.cli", "score", str(calls), "--format", "jsonl", "-o", str(out), "--workers", "2",
         "--tokenizer", "jieba"],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    partial = tmp_path / "reports.jsonl.partial"
    deadline = time.monotonic() + 60
    while (not partial.exists() or partial.stat().st_size < 100_000) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert partial.exists(), "the run wrote nothing within a minute"
    assert len(_processes_in_group(process.pid)) >= 2, "no pool worker started"
    return process, out


def _no_survivors(group: int) -> list[int]:
    deadline = time.monotonic() + 10
    while (alive := _processes_in_group(group)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc (Linux)")
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_4_5_killed_runs_leave_no_workers_and_a_marked_output(tmp_path: Path, root: Path, how: str) -> None:
    process, out = _start_long_run(tmp_path, root)
    if how == "SIGINT":
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole group
    else:
        os.kill(process.pid, getattr(signal, how))
    _, err = process.communicate(timeout=60)
    assert _no_survivors(process.pid) == []
    assert not out.exists(), "an incomplete run must not leave the output under its final name"
    partial = tmp_path / "reports.jsonl.partial"
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
        reader = read_reports(partial)
        assert all(isinstance(r, csqa.Report) for r in reader)  # a cut last line is skipped, not fatal
        assert len(reader.skipped) <= 1
        return
    assert process.returncode == (130 if how == "SIGINT" else 143)
    assert "Traceback" not in err and "was not written" in err and str(partial) in err
    lines = partial.read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(line)["call_id"].startswith("demo") for line in lines)  # whole lines only


def test_4_a_pool_stops_when_its_consumer_does(root: Path) -> None:
    scorer = csqa.Scorer(tokenizer_backend="jieba")
    calls = list(csqa.load_calls(root / "corpora" / "demo")) * 40
    results = scorer.score_many(calls, workers=2, chunk_size=4)
    next(results)
    children = [int(p) for p in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()]
    assert children
    results.close()  # GeneratorExit: the pool is stopped, not left to finish its queue
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
              for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()
                and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]]


def test_5_long_calls_score_in_linear_time_shapes(scorer: csqa.Scorer) -> None:
    """Not a timing test: the structures that were quadratic now answer per utterance. A call where every
    agent utterance overlaps a customer one, with a hold between every pair, still gives one finding each."""
    utterances = []
    events = []
    for i in range(400):
        t = i * 10.0
        utterances.append({"speaker": "customer", "text": "我的快递到现在还没有收到", "start": t, "end": t + 6})
        utterances.append({"speaker": "agent", "text": "好的我帮您查询一下物流", "start": t + 2, "end": t + 8})
        events.append({"type": "hold", "start": t + 8.5, "end": t + 9.5})
    report = scorer.score({"call_id": "long", "utterances": utterances, "events": events})
    interrupting = report.check("no-interrupting")
    assert interrupting.status == "fail" and len(interrupting.evidence) == 800
    assert all(ev.utterance is not None for ev in interrupting.evidence)
    hold = report.check("apologise-after-hold")
    assert hold.status == "fail"
    assert {ev.field for ev in hold.evidence if ev.field} == {f"events[{i}]" for i in range(399)}


def test_5_a_text_header_of_many_spaces_is_read(tmp_path: Path) -> None:
    call = parse_text("# call_id: a" + " " * 200_000 + "\n坐席: 您好\n", call_id="x")
    assert call.call_id == "a"


def test_5_page_names_for_one_repeated_id_stay_unique() -> None:
    names = PageNames()
    given = [names("same") for _ in range(5000)]
    assert len(set(given)) == 5000 and given[:3] == ["same.html", "same-2.html", "same-3.html"]


def test_6_an_invalid_utf8_byte_costs_its_line_only(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\n" + b'{"call_id":"\xff"}\n' + GOOD.encode() + b"\r\n")
    results = list(csqa.load_calls(path))
    assert [type(r) for r in results] == [csqa.Call, csqa.CallError, csqa.Call]
    error = results[1]
    assert isinstance(error, csqa.CallError) and error.line == 2 and "0xff" in error.message


def test_7_control_characters_in_ids_are_shown_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "esc.jsonl"
    path.write_text(json.dumps({"call_id": "x\x1b[31mRED\nforged\u202e\x00", "utterances": [
        {"speaker": "agent", "text": "您好\x00\x07"}]}) + "\n", encoding="utf-8")
    assert main(["score", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x00" not in out and "\u202e" not in out
    assert "x\\x1b[31mRED\\nforged\\u202e\\x00" in out
    reports = list(csqa.Scorer().score_many(csqa.load_calls(path)))
    index = write_site(reports, tmp_path / "site")
    for page in [index, *(tmp_path / "site" / "calls").iterdir()]:
        html = page.read_text(encoding="utf-8")
        assert "\x00" not in html and "\x1b" not in html and "\x07" not in html


def test_8_a_rule_file_reports_schema_and_other_problems_at_once(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(
        'extends = "default"\nbogus = 1\n[scorecard]\npass_mark = 120\n'
        '[rules.verify-identity]\ncode = "XX01"\ntitle = "x"\nweight = 1\nseverity = "major"\n'
        '[rules.restate-question]\nweight = -1\n'
        '[lexicon.foo]\nlabel = "x"\nvariants = ["{unknown}"]\n',
        encoding="utf-8",
    )
    with pytest.raises(csqa.RuleFileError) as caught:
        csqa.load_rules(path)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"bogus", "scorecard.pass_mark", "rules.restate-question.weight", "rules.verify-identity",
                     "lexicon.foo.variants[0]"}


def test_9_a_cut_line_in_a_reports_file_is_skipped_and_counted(tmp_path: Path, root: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports.jsonl"
    assert main(["score", str(root / "corpora" / "demo"), "--format", "jsonl", "-o", str(reports)]) == 0
    whole = reports.read_text(encoding="utf-8").splitlines(keepends=True)
    reports.write_text("".join(whole[:5]) + whole[5][: len(whole[5]) // 2] + "\n" + "".join(whole[6:]) + whole[6][:40],
                       encoding="utf-8")
    capsys.readouterr()
    assert main(["summary", str(reports), "--format", "json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["calls"] == len(whole) - 1 and summary["unreadable"] == 2
    assert "line 6 skipped" in captured.err and "cut last line" in captured.err
    assert main(["report", str(reports), "-o", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["score", "{calls}", "-o", "{tmp}/missing/out.jsonl"], "there is no folder"),
        (["score", "{calls}", "--workers", "0"], "must be at least 1"),
        (["score", "{calls}", "--workers", "two"], "not a whole number"),
        (["score", "{calls}", "--cache-dir", "{calls}/x"], "--cache-dir"),
        (["score", "{tmp}/nothing.jsonl"], "no such file or folder"),
        (["summary", "{calls}"], "a file of calls, not of reports"),
        (["report", "{calls}", "-o", "{calls}"], "cannot be written"),
        (["scroe", "{calls}"], "invalid choice"),
        (["rules", "--rules", "/dev/zero"], "larger than"),
    ],
)
def test_10_usage_mistakes_exit_2_with_one_line(tmp_path: Path, argv: list[str], says: str) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text(GOOD + "\n", encoding="utf-8")
    args = [a.format(calls=calls, tmp=tmp_path) for a in argv]
    done = subprocess.run([sys.executable, "-m", "csqa.cli", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("  - ")]
    assert len(lines) == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_10_a_full_disk_is_one_line(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    calls = tmp_path / "calls.jsonl"
    calls.write_text(GOOD + "\n", encoding="utf-8")
    done = subprocess.run(f"{sys.executable} -m csqa.cli score {calls} --format jsonl > /dev/full", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "No space left on device" in done.stderr and "Traceback" not in done.stderr


def test_11_a_call_where_the_agent_never_speaks_has_no_score(scorer: csqa.Scorer) -> None:
    for utterances in ([], [{"speaker": "customer", "text": "喂?有人吗"}]):
        report = scorer.score({"call_id": "e", "rings": 1, "hangup_by": "customer", "utterances": utterances})
        assert report.score is None and report.passed is None
        assert report.unscored is not None and "never speaks" in report.unscored
        assert report.check("answer-within-three-rings").status == "pass"  # still judged, still reported
        assert report.check("no-forbidden-phrases").status == "not_assessable"
    summary = summarize([scorer.score({"call_id": "e", "utterances": []})])
    assert summary.scored == 0 and summary.mean_score is None


def test_11_eval_lists_every_bad_label_at_once(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(
        '{"call": {"call_id": "a", "utterances": []}, "gold": {"no-such-rule": "fail", "restate-question": "maybe"}}\n'
        '{"call": {"call_id": "b", "utterances": [{"speaker": "robot", "text": "x"}]}, "gold": {}}\n'
        "[[[[\n"
        '{"call": {"call_id": "c", "utterances": []}, "gold": {"typo-rule": "pass"}}\n',
        encoding="utf-8",
    )
    with pytest.raises(csqa.InputError) as caught:
        list(load_annotated(path))
    fields = [p.field for p in caught.value.problems]
    assert len(fields) == 5
    assert any(":1: gold.no-such-rule" in f for f in fields) and any(":1: gold.restate-question" in f for f in fields)
    assert any(":2: call.utterances[0].speaker" in f for f in fields) and any(":4: gold.typo-rule" in f for f in fields)


def test_11_asking_a_report_for_an_unknown_rule_names_the_rules(scorer: csqa.Scorer) -> None:
    report = scorer.score({"call_id": "e", "utterances": []})
    with pytest.raises(KeyError) as caught:
        report.check("typo")
    assert isinstance(caught.value, csqa.CsqaError) and caught.value.code == "E401"
    assert "no rule 'typo'" in str(caught.value) and "restate-question" in str(caught.value)
