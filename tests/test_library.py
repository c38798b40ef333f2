"""Library manners: no global jieba, no output, no logging handlers, no stray writes; picklable, thread-safe."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

import csqa
from tests.conftest import make_call

CALL = make_call(
    ("agent", "您好!楠山农林客服部,请问有什么能帮您?"),
    ("customer", "我想问一下我订的树苗什么时候发货"),
    ("agent", "您是咨询有关树苗发货时间的问题,是吗?"),
    ("agent", "感谢您的来电,再见!"),
    rings=2,
    hangup_by="customer",
)


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=environment,
                          capture_output=True, text=True, check=False)


def test_public_surface_is_curated() -> None:
    assert set(csqa.__all__) == {name for name in csqa.__all__ if hasattr(csqa, name)}
    for name in ("score", "Scorer", "load_calls", "script", "Report", "Call", "CsqaError", "RULE_IDS"):
        assert name in csqa.__all__
    assert issubclass(csqa.InputError, csqa.CsqaError) and issubclass(csqa.RuleFileError, csqa.CsqaError)
    assert issubclass(csqa.ScoringError, csqa.CsqaError)


def test_reports_and_calls_pickle_to_equal_objects(scorer: csqa.Scorer) -> None:
    """Reports cross processes in every parallel batch with csqa's compact pickling; nothing may change on
    the way: values, which fields were set (exclude_unset), frozenness, and evidence still validated."""
    calls = list(csqa.load_calls(Path(__file__).resolve().parents[1] / "corpora" / "demo"))
    assert len(calls) >= 10
    for call in calls:
        report = scorer.score(call)
        for original in (report, call):
            clone = pickle.loads(pickle.dumps(original))
            assert clone == original and type(clone) is type(original)
            assert clone.model_dump_json(exclude_unset=True) == original.model_dump_json(exclude_unset=True)
            assert clone.model_fields_set == original.model_fields_set
        clone = pickle.loads(pickle.dumps(report))
        assert [c.evidence for c in clone.checks] == [c.evidence for c in report.checks]
        with pytest.raises(ValidationError, match="frozen"):
            clone.score = 1.0  # type: ignore[misc]
    error = csqa.CallError(code="E100", message="bad", line=3)
    assert pickle.loads(pickle.dumps(error)).model_dump(exclude_unset=True) == {"code": "E100", "message": "bad", "line": 3}


def test_call_metadata_reaches_the_report_and_survives_pickle_and_json(scorer: csqa.Scorer) -> None:
    call = csqa.parse_call({**CALL, "started_at": "2026-12-01T09:30:00+08:00", "team": "二组",
                            "metadata": {"queue": "售后", "channel": "phone", "priority": 2}})
    report = scorer.score(call)
    assert (report.team, report.metadata["queue"], report.metadata["priority"]) == ("二组", "售后", 2)
    assert report.started_at is not None and report.started_at.utcoffset() is not None
    assert report.started_at.date().isoformat() == "2026-12-01"
    assert pickle.loads(pickle.dumps(report)) == report
    assert csqa.Report.model_validate_json(report.model_dump_json()) == report
    with pytest.raises(csqa.InputError, match="metadata"):
        csqa.parse_call({**CALL, "metadata": {"nested": {"not": "a scalar"}}})


def test_scorer_pickles_and_scores_the_same(scorer: csqa.Scorer) -> None:
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone.score(CALL) == scorer.score(CALL)
    site = csqa.Scorer(company="顺达快运")
    assert pickle.loads(pickle.dumps(site)).rules.scorecard.company == "顺达快运"


def test_reports_are_immutable(scorer: csqa.Scorer) -> None:
    report = scorer.score(CALL)
    try:
        report.score = 1.0  # type: ignore[misc]
    except Exception as exc:  # pydantic raises ValidationError for frozen models
        assert "frozen" in str(exc)
    else:
        raise AssertionError("a report could be changed")


def test_thread_safe_from_a_cold_scorer() -> None:
    cold = csqa.Scorer()
    calls = [{**CALL, "call_id": f"c{i}"} for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(cold.score, calls))
    assert [r.model_dump() for r in threaded] == [cold.score(c).model_dump() for c in calls]


def test_no_output_no_handlers_no_global_jieba_no_stray_writes(tmp_path: Path) -> None:
    work, temp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    code = f"""
        import logging, sys
        import csqa
        assert logging.getLogger().handlers == [], logging.getLogger().handlers
        assert logging.getLogger("csqa").handlers == []
        report = csqa.Scorer().score({CALL!r})
        assert report.check("standard-greeting").status == "pass"
        import jieba
        assert not jieba.dt.initialized, "the module-level jieba tokenizer was used"
        assert logging.getLogger().handlers == []
    """
    result = run_python(code, work, TMPDIR=str(temp), HOME=str(tmp_path / "home"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert list(work.iterdir()) == [] and list(temp.iterdir()) == []
    assert not (tmp_path / "home").exists()


def test_cache_goes_only_where_asked(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = csqa.Scorer(cache_dir=cache)
    expected = first.score(CALL)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].name.startswith(("csqa-jieba-", "csqa-rjieba-"))
    assert csqa.Scorer(cache_dir=cache).score(CALL) == expected  # loaded from the cache this time
    assert list(cache.iterdir()) == files


def test_jieba_works_without_pkg_resources(tmp_path: Path) -> None:
    code = f"""
        import sys
        sys.modules["pkg_resources"] = None  # as on Pythons whose setuptools no longer ships it
        import csqa
        print(csqa.Scorer().score({CALL!r}).check("standard-greeting").status)
    """
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pass"


def test_each_utterance_is_tokenised_once_per_call(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from csqa.text.tokenizer import Tokenizer

    scorer = csqa.Scorer()
    seen: list[str] = []
    original = Tokenizer.tokenize

    def counting(self: Tokenizer, text: str):  # type: ignore[no-untyped-def]
        seen.append(text)
        return original(self, text)

    monkeypatch.setattr(Tokenizer, "tokenize", counting)
    report = scorer.score(CALL)
    assert len(seen) == len(CALL["utterances"])  # type: ignore[arg-type]
    assert len(report.checks) == 16
