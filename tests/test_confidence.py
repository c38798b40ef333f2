"""Every fail says how it was found and how sure it is; the unsure ones are routed to a human (issue: verdicts
that hold). The ways and confidences come from the rule file's [review] table."""

from __future__ import annotations

from pathlib import Path

import csqa
from tests.conftest import make_call

OPENING = ("agent", "您好,楠山农林客服部,请问有什么能帮您?")


def test_a_banned_phrase_as_written_is_sure_and_a_homophone_is_routed_to_review() -> None:
    said = csqa.score(make_call(OPENING, ("customer", "你们怎么还没发货"), ("agent", "我怎么知道?")))
    check = said.check("no-forbidden-phrases")
    assert (check.status, check.how, check.confidence, check.review) == ("fail", "exact", 0.95, False)
    assert check.evidence[0].how == "exact" and not said.to_review
    traditional = csqa.score(make_call(OPENING, ("customer", "你們怎麼還沒發貨"), ("agent", "我怎麼知道?")))
    assert traditional.check("no-forbidden-phrases").how == "variant"  # found after folding Traditional characters


def test_a_missing_script_line_on_raw_asr_text_needs_a_human_look() -> None:
    punctuated = csqa.score(make_call(("agent", "您好,请问有什么能帮您?"), ("customer", "查快递")))
    greeting = punctuated.check("standard-greeting")
    assert (greeting.status, greeting.how, greeting.confidence, greeting.review) == ("fail", "absence", 0.8, False)
    asr = csqa.score(make_call(("agent", "喂你好请问有什么事情吗"), ("customer", "查快递")))
    greeting = asr.check("standard-greeting")
    assert (greeting.status, greeting.how, greeting.confidence, greeting.review) == ("fail", "absence", 0.6, True)
    assert greeting in asr.to_review


def test_passes_carry_no_confidence_and_timing_and_data_fails_say_so() -> None:
    call = make_call(("agent", "您好,楠山农林客服部,请问有什么能帮您?", 0.0, 3.0), ("customer", "查快递", 3.5, 5.0),
                     rings=6, hangup_by="agent")
    report = csqa.score(call)
    assert report.check("answer-within-three-rings").how == "data"
    assert report.check("customer-hangs-up-first").confidence == 0.99
    assert report.check("standard-greeting").confidence is None and report.check("standard-greeting").how is None


def test_the_rule_file_tunes_confidences_and_the_review_threshold(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('extends = "default"\n[review]\nbelow = 0.99\n[review.confidence]\nexact = 0.5\n', encoding="utf-8")
    scorer = csqa.Scorer(path)
    check = scorer.score(make_call(OPENING, ("customer", "怎么还没发"), ("agent", "我怎么知道?"))).check("TB01")
    assert (check.confidence, check.review) == (0.5, True)
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "default"\n[review]\nbelow = 2\n[review.confidence]\nguess = 0.5\n', encoding="utf-8")
    try:
        csqa.load_rules(bad)
    except csqa.RuleFileError as exc:
        assert {p.path.split(".")[1] for p in exc.problems} >= {"below", "confidence"}
    else:
        raise AssertionError("an invalid [review] table loaded")


def test_summaries_and_the_index_list_the_calls_whose_fails_need_a_look(tmp_path: Path) -> None:
    sure = make_call(OPENING, ("customer", "怎么还没发"), ("agent", "我怎么知道?"), call_id="sure")
    unsure = [make_call(("agent", "喂你好请问有什么事情吗"), ("customer", "查快递"), call_id=f"asr-{n}") for n in range(3)]
    reports = [csqa.score(c) for c in (sure, *unsure)]
    summary = csqa.summarize(reports, review_top=2)
    assert summary.to_review_calls == 3 and len(summary.to_review) == 2
    assert {item.call_id for item in summary.to_review} <= {"asr-0", "asr-1", "asr-2"}
    assert all(item.rules and item.confidence < 0.8 for item in summary.to_review)
    greeting = next(r for r in summary.rules if r.rule == "standard-greeting")
    assert greeting.to_review == 3 and next(r for r in summary.rules if r.rule == "no-forbidden-phrases").to_review == 0
    assert "3 calls have fails that need a human look (the 2 least sure)" in summary.table()
    site = csqa.write_site(reports, tmp_path / "site")
    index = site.read_text(encoding="utf-8")
    assert 'id="to-review"' in index and "Needs a human look (3 calls)" in index and ">asr-0</a>" in index
