"""The review loop without a browser: review files are read and resolved (a reviewer's later review replaces
their earlier one, two reviewers who disagree are a conflict, left out and reported), become annotated calls
that ``csqa eval`` measures the rules against, and give the agreement per rule in summaries and the index.
tests/test_review_browser.py drives the same loop from a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import csqa
from csqa.cli import main
from csqa.outputs.reviews import FORMAT, ReviewFile, ReviewSet, load_reviews
from csqa.outputs.summary import read_reports, summarize


def review(call_id: str, rule: str, csqa_status: str, status: str, *, reviewer: str = "王芳",
           time: str = "2026-12-05T02:30:00.000Z", comment: str = "") -> dict[str, Any]:
    return {"call_id": call_id, "rule": rule, "code": "", "csqa_status": csqa_status, "status": status,
            "comment": comment, "reviewer": reviewer, "time": time, "csqa_version": csqa.__version__,
            "scorecard": "default"}


def review_file(path: Path, reviews: list[dict[str, Any]], reviewer: str = "王芳") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": FORMAT, "reviewer": reviewer, "saved_at": "2026-12-05T03:00:00Z",
                                "reviews": reviews}, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    path = tmp_path_factory.mktemp("reports") / "reports.jsonl"
    assert main(["score", str(root / "corpora" / "demo"), "--format", "jsonl", "-o", str(path)]) == 0
    return path


def test_reviews_resolve_to_one_status_per_verdict_and_conflicts_stay_apart(tmp_path: Path) -> None:
    folder = tmp_path / "reviews"
    review_file(folder / "a1.json", [
        review("c1", "restate-question", "fail", "pass", time="2026-12-05T01:00:00Z", comment="复述了"),
        review("c1", "no-filler-words", "pass", "pass"),
    ])
    review_file(folder / "sub" / "a2.json", [  # saved again later: the same review again, and one revised
        review("c1", "no-filler-words", "pass", "pass"),
        review("c1", "restate-question", "fail", "fail", time="2026-12-05T02:00:00Z", comment="其实没复述"),
    ])
    review_file(folder / "b.json", [review("c1", "no-filler-words", "pass", "fail", reviewer="李雷", comment="嗯嗯嗯")],
                reviewer="李雷")
    (folder / "notes.json").write_text('{"not": "a review file"}', encoding="utf-8")
    reviews = load_reviews(folder)
    assert len(reviews.files) == 3 and reviews.skipped == ((str(folder / "notes.json"), reviews.skipped[0][1]),)
    assert reviews.duplicates == 1 and reviews.revised == 1 and reviews.reviewers == ("李雷", "王芳")
    restate = reviews.get("c1", "restate-question")
    assert restate is not None and restate.status == "fail" and restate.reviews[0].comment == "其实没复述"
    filler = reviews.get("c1", "no-filler-words")
    assert filler is not None and filler.conflict and [r.reviewer for r in filler.reviews] == ["李雷", "王芳"]
    assert reviews.conflicts() == [filler] and "李雷: fail (嗯嗯嗯); 王芳: pass" in filler.describe()
    # the order the files are read in does not matter: the latest review wins
    reverse = ReviewSet([r for f in ("b.json", "sub/a2.json", "a1.json")
                         for r in ReviewFile.model_validate_json((folder / f).read_text(encoding="utf-8")).reviews])
    assert {k: v.status for k, v in reverse.verdicts.items()} == {k: v.status for k, v in reviews.verdicts.items()}


def test_every_problem_of_every_review_file_is_reported_at_once(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = review("c1", "restate-question", "fail", "wrong")
    review_file(tmp_path / "r" / "bad.json", [bad, {**review("c1", "x", "pass", "pass"), "reviewer": " "}])
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "cut.json").write_text('{"format": "csqa-reviews/1", "revi', encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text("[]", encoding="utf-8")
    with pytest.raises(csqa.InputError) as caught:
        load_reviews(tmp_path / "r", other)
    error = caught.value
    assert error.code == "E110"
    text = str(error)
    assert "bad.json: reviews.0.status" in text and "bad.json: reviews.1.reviewer" in text
    assert "other.json: not a csqa review file" in text
    assert main(["summary", str(other), "--reviews", str(tmp_path / "r")]) == 2
    assert "[E110]" in capsys.readouterr().err
    cut = load_reviews(tmp_path / "cut")  # not JSON: in a folder it is skipped and named, not fatal
    assert cut.files == () and cut.skipped == ((str(tmp_path / "cut" / "cut.json"), "not JSON"),)


def _failing(reports: Path) -> tuple[csqa.Report, csqa.CheckResult, csqa.CheckResult]:
    report = next(r for r in read_reports(reports) if isinstance(r, csqa.Report) and len(r.failed) >= 2
                  and any(c.status == "pass" for c in r.checks))
    return report, report.failed[0], next(c for c in report.checks if c.status == "pass")


def test_reviews_become_annotated_calls_that_csqa_eval_measures(tmp_path: Path, root: Path, demo_reports: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    report, wrong, right = _failing(demo_reports)
    third = report.failed[1]
    folder = tmp_path / "reviews"
    review_file(folder / "wang.json", [
        review(report.call_id, wrong.rule, "fail", "pass", comment="she did say it"),
        review(report.call_id, right.rule, "pass", "pass"),
        review(report.call_id, third.rule, "fail", "fail"),
    ])
    review_file(folder / "li.json", [review(report.call_id, third.rule, "fail", "pass", reviewer="李雷")], reviewer="李雷")
    annotated = tmp_path / "annotated.jsonl"
    capsys.readouterr()
    code = main(["reviews", str(folder), "--calls", str(root / "corpora" / "demo"), "-o", str(annotated)])
    err = capsys.readouterr().err
    assert code == 1  # a conflict: reported, the file still written
    assert f"conflict, left out: call {report.call_id!r} rule {third.rule}" in err and "1 annotated calls" in err
    records = [json.loads(line) for line in annotated.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["gold"] == {wrong.rule: "pass", right.rule: "pass"}  # the conflicting verdict is left out
    assert record["call"]["call_id"] == report.call_id and "she did say it" in record["note"]
    call = csqa.parse_call(record["call"])
    original = next(c for c in csqa.load_calls(root / "corpora" / "demo") if isinstance(c, csqa.Call)
                    and c.call_id == report.call_id)
    assert call == original  # the call travels whole: rings, hang-up and events too

    assert main(["eval", str(annotated), "--no-examples", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["calls"] == 1
    assert result["rules"][wrong.rule]["confusion"]["pass"]["fail"] == 1  # the reviewer says csqa was wrong
    assert result["rules"][right.rule]["confusion"]["pass"]["pass"] == 1
    assert [(d["rule"], d["gold"], d["predicted"]) for d in result["disagreements"]] == [(wrong.rule, "pass", "fail")]

    (folder / "li.json").unlink()  # no conflict left: exit 0, three labels
    assert main(["reviews", str(folder), "--calls", str(root / "corpora" / "demo"), "-o", str(annotated)]) == 0
    assert len(json.loads(annotated.read_text(encoding="utf-8"))["gold"]) == 3


def test_reviews_of_calls_not_given_and_reports_given_as_calls_are_reported(
        tmp_path: Path, root: Path, demo_reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = review_file(tmp_path / "r.json", [review("no-such-call", "restate-question", "fail", "pass")])
    out = tmp_path / "a.jsonl"
    capsys.readouterr()
    assert main(["reviews", str(files), "--calls", str(root / "corpora" / "demo"), "-o", str(out)]) == 1
    assert "no such call among the calls given: call 'no-such-call'" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == ""
    assert main(["reviews", str(files), "--calls", str(demo_reports), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a reports file; give the calls that were scored" in err and len(err.strip().splitlines()) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["reviews", str(empty), "--calls", str(root / "corpora" / "demo")]) == 2
    assert "no review files" in capsys.readouterr().err


def test_summaries_and_pages_show_agreement_with_reviewers(tmp_path: Path, demo_reports: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    report, wrong, right = _failing(demo_reports)
    folder = tmp_path / "reviews"
    review_file(folder / "wang.json", [
        review(report.call_id, wrong.rule, "fail", "pass", comment="复述<了>"),  # a false alarm
        review(report.call_id, right.rule, "pass", "pass"),
        review("gone", right.rule, "pass", "fail"),
    ])
    reviews = load_reviews(folder)
    summary = summarize(read_reports(demo_reports), reviews=reviews)
    agreement = {a.rule: a for a in summary.agreement}
    assert set(agreement) == {wrong.rule, right.rule} and summary.reviews_unmatched == 1
    assert (agreement[wrong.rule].reviewed, agreement[wrong.rule].agreed, agreement[wrong.rule].false_alarms) == (1, 0, 1)
    assert agreement[right.rule].agreement == 1.0

    capsys.readouterr()
    assert main(["summary", str(demo_reports), "--reviews", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "agreement with reviewers: 1 of 2 reviewed verdicts agree (50%)" in out and "not in these reports" in out

    site = tmp_path / "site"
    assert main(["report", str(demo_reports), "-o", str(site), "--reviews", str(folder)]) == 0
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="agreement"' in index and f'<tr data-rule="{wrong.rule}">' in index
    row = re.search(rf'<tr><td><a href="(calls/[^"]+)">{re.escape(report.call_id)}</a>.*?</tr>', index)
    assert row is not None and "2 reviewed" in row.group() and "1 disagree" in row.group()
    page = (site / row.group(1)).read_text(encoding="utf-8")
    assert "reviewed by 王芳: wrong, should be pass — 复述&lt;了&gt;" in page and "reviewed by 王芳: right" in page


def test_the_review_file_schema_is_documented(root: Path) -> None:
    documented = json.loads((root / "docs" / "review-file.schema.json").read_text(encoding="utf-8"))
    assert documented == ReviewFile.model_json_schema()
