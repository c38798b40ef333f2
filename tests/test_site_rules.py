"""Rules as data: one declaration per rule, generic check kinds, and a call centre's own rules in a rule file."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

import csqa
from csqa.checks.docs import rule_table
from csqa.checks.registry import REGISTRY
from csqa.cli import main
from csqa.outputs.evaluate import evaluate
from csqa.outputs.html import write_site
from csqa.outputs.summary import summarize
from tests.conftest import make_call

SITE = Path(__file__).resolve().parent.parent / "rules" / "examples" / "site.toml"


def site_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text('extends = "default"\n' + body, encoding="utf-8")
    return path


def toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def rule(kind: str, code: str = "XY01", **settings: object) -> str:
    lines = [f'kind = "{kind}"', f'code = "{code}"', 'title = "a site rule"', "weight = 3", 'severity = "minor"']
    lines += [f"{key} = {toml(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def scorer_with(tmp_path: Path, **rules: str) -> csqa.Scorer:
    body = "".join(f"[rules.{rule_id}]\n{text}\n" for rule_id, text in rules.items())
    return csqa.Scorer(site_file(tmp_path, body))


OPENING = ("agent", "您好,顺达快运客服中心,请问有什么可以帮您?")


# --- declarations --------------------------------------------------------------------------------------


def test_every_builtin_rule_is_declared_once_with_its_code_title_and_doc(root: Path) -> None:
    codes = [check.code for check in REGISTRY.values()]
    assert len(set(codes)) == 16 and codes == sorted(codes, key=lambda c: ("ST", "CB", "TB").index(c[:2]))
    for check in REGISTRY.values():
        assert (root / check.doc).is_file() and check.title and check.manual
    default = (root / "rules" / "default.toml").read_text(encoding="utf-8")
    assert not re.search(r"^code\s*=", default, re.M), "codes live in the declarations, not in the rule file"


def test_the_readme_rule_table_is_the_declarations(root: Path) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert rule_table(csqa.load_rules()) in readme, "README's rule table drifted: paste 'csqa rules --format markdown'"


def test_a_site_file_cannot_change_a_builtin_code_or_add_unknown_keys(tmp_path: Path) -> None:
    path = site_file(tmp_path, '[rules.restate-question]\ncode = "XX99"\nwithin = "call"\n'
                               '[rules.mine]\nkind = "phrase-forbidden"\ncode = "ST01"\ntitle = "t"\nweight = 1\n'
                               'severity = "minor"\nphrases = ["x"]\n'
                               '[rules.nokind]\nweight = 1\nseverity = "minor"\n'
                               '[rules.badkind]\nkind = "phrase-required"\ncode = "XY02"\ntitle = "t"\nweight = 1\n'
                               'severity = "minor"\nphrases = []\nwithin = "middle"\n')
    with pytest.raises(csqa.RuleFileError) as caught:
        csqa.load_rules(path)
    found = {(p.path, p.message.split(";")[0][:40]) for p in caught.value.problems}
    paths = {p for p, _ in found}
    assert "rules.restate-question.code" in paths and "rules.restate-question.within" in paths
    assert "rules.mine.code" in paths and "rules.nokind" in paths
    assert "rules.badkind.phrases" in paths and any(p.startswith("rules.badkind.within") for p in paths)
    assert all(p.file == str(path) for p in caught.value.problems)


# --- the kinds -----------------------------------------------------------------------------------------


def test_phrase_required_windows(tmp_path: Path) -> None:
    scorer = scorer_with(
        tmp_path,
        **{
            "opening-notice": rule("phrase-required", "XY01", phrases=["录音"], within="opening"),
            "before-answer": rule("phrase-required", "XY02", phrases=["后四位"], within="before-answer"),
            "first-two": rule("phrase-required", "XY03", phrases=["顺达快运"], within={"first_utterances": 2}),
            "first-ten-s": rule("phrase-required", "XY04", phrases=["顺达快运"], within={"first_seconds": 10}),
            "after-hold": rule("phrase-required", "XY05", phrases=["久等"], within={"after": "hold", "utterances": 1}),
        },
    )
    good = make_call(
        ("agent", "您好,顺达快运客服中心,本次通话会录音,请问有什么可以帮您?", 0.0, 5.0),
        ("customer", "我的快递怎么还没到", 5.5, 8.0),
        ("agent", "请您报一下手机号后四位", 8.5, 10.0),
        ("customer", "一二三四", 10.5, 11.0),
        ("agent", "您的快递明天到", 42.0, 44.0),
        events=[{"type": "hold", "start": 12.0, "end": 40.0}],
    )
    report = scorer.score(good)
    assert [report.check(r).status for r in ("XY01", "XY02", "XY03", "XY04", "XY05")] == ["pass"] * 4 + ["fail"]
    hit = report.check("XY02").evidence[0]
    assert good["utterances"][hit.utterance]["text"][hit.start:hit.end] == "后四位"  # type: ignore[index]
    late = scorer.score(make_call(OPENING, ("customer", "我的快递怎么还没到"), ("agent", "明天就到了"),
                                  ("agent", "请报一下后四位"), ("agent", "本次通话会录音")))
    assert late.check("XY01").status == "fail" and late.check("XY02").status == "fail"
    assert late.check("XY04").status == "not_assessable"  # a window in seconds needs times
    assert late.check("XY05").status == "not_applicable"  # no hold
    assert scorer.score(make_call(OPENING, ("customer", "喂?"))).check("XY02").status == "not_applicable"


def test_phrase_forbidden_with_context_that_cancels(tmp_path: Path) -> None:
    scorer = scorer_with(tmp_path, competitor=rule("phrase-forbidden", phrases=["韵达", "中通"], unless_before=["不是"]))
    said = scorer.score(make_call(OPENING, ("customer", "寄件"), ("agent", "我们比中通快多了")))
    check = said.check("competitor")
    assert check.status == "fail" and [e.quote for e in check.evidence] == ["中通"]
    assert check.severity == "minor" and check.weight == 3 and said.score is not None and said.score > 0
    assert scorer.score(make_call(OPENING, ("agent", "这不是韵达的单号"))).check("competitor").status == "pass"
    assert scorer.score(make_call(OPENING, ("customer", "你们比韵达贵"))).check("competitor").status == "pass"


def test_conditions_read_the_files_lexicons_banned_phrases_and_script_parts(tmp_path: Path) -> None:
    """The manual's rules are made of these kinds too; a site rule can read the same families."""
    body = (
        '[lexicon.compensation]\nlabel = "compensation"\nvariants = ["{赔|补偿}{~2}{您|你}"]\n'
        '[script.notice]\nrule = "notice"\ndirection = "inbound"\ntitle = "录音提示"\nline = "本次通话将被录音"\n'
        '[script.notice.parts.record]\nlabel = "the recording notice (录音)"\nvariants = ["录音"]\n'
        "[rules.no-compensation]\n" + rule("phrase-forbidden", "XY01", lexicons=["compensation"], note="offered compensation")
        + "[rules.banned-in-opening]\n" + rule("phrase-forbidden", "XY02", banned=True, within="opening")
        + "[rules.notice]\n" + rule("phrase-required", "XY03", parts=["record"], within="opening")
        + "[rules.customer-fillers]\n" + rule("fillers", "XY04", speaker="customer", threshold=2)
        + "[rules.after-goodbye]\n" + rule("nothing-beyond", "XY05", lexicons=["closing-talk"])
    )
    scorer = csqa.Scorer(site_file(tmp_path, body))
    assert scorer.rules.checks["notice"].step_parts == ("record",)
    assert set(scorer.rules.checks["no-compensation"].lexicons) == {"compensation"}
    call = make_call(("agent", "您好,顺达快运客服中心,本次通话将被录音。"), ("customer", "嗯,呃,我的快递丢了"),
                     ("agent", "我们会赔给您的"), ("agent", "感谢您的来电,再见"), ("agent", "小王,中午吃什么"))
    report = scorer.score(call)
    compensation = report.check("XY01")
    assert compensation.status == "fail" and compensation.evidence[0].quote == "赔给您"
    assert compensation.evidence[0].note == "offered compensation" and "offered compensation" in compensation.message
    assert report.check("XY02").status == "pass" and report.check("XY03").status == "pass"
    fillers = report.check("XY04")
    assert fillers.status == "fail" and [e.quote for e in fillers.evidence] == ["嗯", "呃"]
    chat = report.check("XY05")
    assert chat.status == "fail" and chat.evidence[0].quote == "小王,中午吃什么"
    rude = scorer.score(make_call(("agent", "我怎么知道?"), ("customer", "你好")))
    banned = rude.check("XY02")
    assert banned.status == "fail" and banned.evidence[0].suggestion and banned.suggestion == banned.evidence[0].suggestion
    assert rude.check("XY03").status == "fail" and "missing the recording notice" in rude.check("XY03").evidence[0].note


def test_a_builtin_rule_made_of_a_kind_is_tuned_by_its_parameters(tmp_path: Path) -> None:
    call = make_call(("agent", "您好,请问有什么可以帮您?"), ("customer", "查快递"), ("agent", "好的,感谢来电,再见"))
    assert csqa.score(call).check("standard-greeting").status == "fail"  # no company or department
    tuned = csqa.Scorer(site_file(tmp_path, '[rules.standard-greeting.params]\nparts = ["greet", "offer"]\n'))
    assert tuned.score(call).check("standard-greeting").status == "pass"
    wrong = site_file(tmp_path, '[rules.no-arguing.params]\nphrases = ["滚"]\nlexicons = ["no-such-lexicon"]\n')
    with pytest.raises(csqa.RuleFileError) as caught:
        csqa.load_rules(wrong)
    assert {p.path for p in caught.value.problems} >= {"rules.no-arguing.params"}
    missing = site_file(tmp_path, '[rules.no-arguing.params]\nlexicons = ["no-such-lexicon"]\n')
    with pytest.raises(csqa.RuleFileError, match="needs a lexicon named 'no-such-lexicon'"):
        csqa.load_rules(missing)


def test_a_problem_in_an_entry_only_the_site_file_has_names_the_site_file(tmp_path: Path) -> None:
    path = site_file(tmp_path, '[script.notice]\nline = "本次通话将被录音"\n[script.greeting]\nline = ""\n')
    with pytest.raises(csqa.RuleFileError) as caught:
        csqa.load_rules(path)
    owners = {p.path: p.file for p in caught.value.problems}
    assert owners["script.notice.direction"] == str(path) and owners["script.notice.title"] == str(path)


def test_order_count_and_logic(tmp_path: Path) -> None:
    scorer = scorer_with(
        tmp_path,
        **{
            "name-before-number": rule("order", "XY01", first=["{您|你}贵姓"], then=["手机号"]),
            "sorry-at-most-once": rule("count", "XY02", phrases=["不好意思"], at_most=1),
            "greet-and-notice": rule("all", "XY03", conditions=[
                {"kind": "phrase-required", "phrases": ["您好"], "within": "opening"},
                {"kind": "not", "conditions": [{"kind": "phrase-required", "phrases": ["喂"]}]},
            ]),
            "either": rule("any", "XY04", conditions=[
                {"kind": "phrase-required", "phrases": ["谢谢"]},
                {"kind": "phrase-required", "phrases": ["感谢"]},
            ]),
        },
    )
    good = scorer.score(make_call(OPENING, ("customer", "查快递"), ("agent", "请问您贵姓"), ("customer", "姓王"),
                                  ("agent", "王先生,您的手机号是多少"), ("agent", "不好意思,感谢您的来电")))
    assert [good.check(r).status for r in ("XY01", "XY02", "XY03", "XY04")] == ["pass"] * 4
    bad = scorer.score(make_call(("agent", "喂,您好"), ("customer", "查快递"), ("agent", "您的手机号是多少"),
                                 ("agent", "不好意思"), ("agent", "不好意思,久等了")))
    assert [bad.check(r).status for r in ("XY01", "XY02", "XY03", "XY04")] == ["fail"] * 4
    assert all(bad.check(r).evidence for r in ("XY01", "XY02", "XY03", "XY04"))
    assert len(bad.check("XY02").evidence) == 2
    none = scorer.score(make_call(OPENING, ("customer", "查快递"), ("agent", "好的")))
    assert none.check("XY01").status == "not_applicable"  # the later phrase is never said


def test_timing_kinds_need_times_and_measure_them(tmp_path: Path) -> None:
    scorer = scorer_with(
        tmp_path,
        silence=rule("silence", "XY01", max_seconds=10),
        rate=rule("speech-rate", "XY02", max_per_minute=300),
        overlap=rule("overlap", "XY03", max_seconds=1.0),
        first=rule("first-response", "XY04", max_seconds=3),
    )
    timed = make_call(
        ("agent", "您好,顺达快运,请问有什么可以帮您", 4.0, 8.0),
        ("customer", "我的快递到哪了", 8.5, 11.0),
        ("agent", "好的我看一下您的快递在派送中今天到", 23.0, 25.0),
        ("customer", "那我下午在家等着可以吗", 24.0, 27.0),
    )
    report = scorer.score(timed)
    assert {r: report.check(r).status for r in ("XY01", "XY02", "XY03", "XY04")} == {
        "XY01": "fail", "XY02": "fail", "XY03": "pass", "XY04": "fail"}
    assert "12.0 s of silence" in report.check("XY01").evidence[0].note
    untimed = scorer.score(make_call(OPENING, ("customer", "查快递")))
    assert {untimed.check(r).status for r in ("XY01", "XY02", "XY03", "XY04")} == {"not_assessable"}
    overlap = scorer.score(make_call(("agent", "您好", 0.0, 2.0), ("customer", "我要退货退款", 2.0, 8.0),
                                     ("agent", "好的好的我马上帮您办理", 3.0, 7.0)))
    assert overlap.check("XY03").status == "fail" and len(overlap.check("XY03").evidence) == 2


# --- the shipped example -------------------------------------------------------------------------------


def test_the_shipped_site_file_passes_its_own_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples", "--rules", str(SITE)]) == 0
    assert re.search(r"^\d+ passed, 0 failed$", capsys.readouterr().out, re.M)


def test_the_shipped_site_rules_on_their_labelled_calls(root: Path) -> None:
    result = evaluate([root / "rules" / "examples" / "calls.jsonl"], rules=str(SITE), examples=False)
    for rule_id in ("verify-identity", "no-competitor-mention", "recording-notice", "long-silence", "speech-rate"):
        metrics = result.rules[rule_id]
        assert metrics.support == 10 and metrics.accuracy == 1.0, [d for d in result.disagreements if d.rule == rule_id]
        assert metrics.gold_fails >= 1


def test_site_rules_flow_through_reports_summaries_pages_and_workers(tmp_path: Path, root: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    scorer = csqa.Scorer(str(SITE))
    calls = [c for c in csqa.load_calls(root / "rules" / "examples" / "calls.jsonl")]
    serial = list(scorer.score_many(calls))
    assert [r.model_dump() for r in scorer.score_many(calls, workers=2, chunk_size=3)] == [r.model_dump() for r in serial]
    assert pickle.loads(pickle.dumps(scorer)).score(calls[0]) == serial[0]
    codes = {c.code for c in serial[0].checks}
    assert {"SD01", "SD02", "SD03", "SD04", "SD05"} <= codes
    summary = summarize(serial)
    assert {"verify-identity", "speech-rate"} <= {r.rule for r in summary.rules}
    index = write_site(serial, tmp_path / "site")
    assert "verify-identity" in index.read_text(encoding="utf-8")
    assert main(["rules", "--rules", str(SITE)]) == 0 and "SD04" in capsys.readouterr().out
    assert main(["rules", "sd01", "--rules", str(SITE)]) == 0
    assert "phrase-required" in capsys.readouterr().out


def test_declared_parameter_defaults_are_the_bundled_rule_files() -> None:
    """The defaults in a rule's declaration and the values rules/default.toml writes out must agree: a
    library user who builds a rule set without a params table gets the manual's settings."""
    bundled = csqa.load_rules()
    for rule_id, check in REGISTRY.items():
        written = bundled.model.rules[rule_id].params
        assert check.params() == check.params.model_validate(written), rule_id


def test_a_negatable_family_needs_the_negation_lexicon(tmp_path: Path) -> None:
    path = tmp_path / "alone.toml"
    default = (Path(__file__).resolve().parents[1] / "rules" / "default.toml").read_text(encoding="utf-8")
    start = default.index("[lexicon.negation]")
    end = default.index("\n[", start + 1)
    path.write_text(default[:start] + default[end + 1 :], encoding="utf-8")
    with pytest.raises(csqa.RuleFileError) as caught:
        csqa.load_rules(path)
    # every family that asks for negation is reported, at once
    negatable = sorted(f"lexicon.{name}.negatable" for name, part in csqa.load_rules().model.lexicon.items() if part.negatable)
    assert len(negatable) >= 2
    assert sorted(p.path for p in caught.value.problems) == negatable
    assert all("negation" in p.message for p in caught.value.problems)
