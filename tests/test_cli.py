"""The csqa command: score (table and JSON Lines), rules, script, help and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import csqa
from csqa.cli import main


def test_score_demo_as_table(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(root / "corpora" / "demo"), "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "demo-01" in out and "demo-txt-01" in out and "calls scored, 0 errors" in out
    assert "restate-question" in out


def test_score_without_path_scores_the_bundled_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score"]) == 0
    assert "demo-sca-01" in capsys.readouterr().out


def test_score_with_either_tokenizer_writes_the_same_reports(tmp_path: Path, root: Path) -> None:
    pytest.importorskip("rjieba")
    outputs = []
    for backend in ("jieba", "rjieba"):
        out = tmp_path / f"{backend}.jsonl"
        assert main(["score", str(root / "corpora" / "demo"), "--tokenizer", backend, "--format", "jsonl", "-o", str(out)]) == 0
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1] and outputs[0].count("\n") >= 12


def test_score_jsonl_to_file_with_error_records(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"call_id": "b1", "utterances": [{"speaker": "x", "text": "y"}]}\n{"call_id": "b2", "utterances": []}\n',
                   encoding="utf-8")
    out = tmp_path / "reports.jsonl"
    code = main(["score", str(root / "corpora" / "demo"), str(bad), "--format", "jsonl", "-o", str(out)])
    assert code == 1
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    errors = [line for line in lines if line.get("error")]
    reports = [csqa.Report.model_validate(line) for line in lines if not line.get("error")]
    assert len(errors) == 1 and errors[0]["call_id"] == "b1" and "utterances[0].speaker" in errors[0]["message"]
    assert len(reports) == len(list(csqa.load_calls(root / "corpora" / "demo"))) + 1
    assert "b1" in capsys.readouterr().err


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule_id in csqa.RULE_IDS:
        assert rule_id in out
    assert "critical (veto)" in out


def test_rules_json_and_one_rule_doc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [r["rule"] for r in payload] == list(csqa.RULE_IDS)
    assert main(["rules", "ST02"]) == 0
    out = capsys.readouterr().out
    assert "# standard-greeting" in out and "Declared in `csqa.checks.steps`" in out and "## Made of" in out
    assert "`parts` = ('greet', 'identify', 'offer')" in out and "# expect:" in out  # settings and examples
    assert main(["rules", "TB02"]) == 0
    out = capsys.readouterr().out
    assert "judged by `csqa.checks.taboos.no_interrupting`" in out and "## Made of" not in out
    assert main(["rules", "nope"]) == 2


def test_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["script", "--direction", "outbound", "--company", "顺达快运"]) == 0
    out = capsys.readouterr().out
    assert "这里是顺达快运客服部" in out and "非常抱歉打搅您了" in out
    assert csqa.script(direction="inbound", company="楠山农林").splitlines()[2].strip() == "您好!楠山农林客服部,请问有什么能帮您?"


def test_bad_rule_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text("[scorecard]\n", encoding="utf-8")
    assert main(["score", "--rules", str(rules)]) == 2
    assert "scorecard.company" in capsys.readouterr().err


def test_console_script_help() -> None:
    for args in ([], ["score"], ["rules"], ["script"]):
        result = subprocess.run([sys.executable, "-m", "csqa.cli", *args, "--help"], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0 and "usage: csqa" in result.stdout
