"""Rule files: the default covers the manual; every problem is reported at once, with file and path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import csqa
from csqa import RuleFileError, load_rules


def problems(tmp_path: Path, text: str) -> list[csqa.RuleProblem]:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    return info.value.problems


def test_default_covers_all_sixteen_manual_rules() -> None:
    rules = load_rules()
    assert tuple(rules.rules) == csqa.RULE_IDS
    assert len(csqa.RULE_IDS) == 16
    assert {r.code for r in rules.rules.values()} and len({r.code for r in rules.rules.values()}) == 16
    critical = {rid for rid, cfg in rules.rules.items() if cfg.vetoes}
    assert critical == {"no-forbidden-phrases", "no-arguing"}
    assert rules.rules["no-absolute-promises"].severity == "warning"


def test_repo_rule_file_is_the_bundled_one(root: Path) -> None:
    assert load_rules(root / "rules" / "default.toml").model == load_rules("default").model


def test_every_problem_is_reported_at_once_with_paths(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
[scorecard]
pass_mark = 120
departments = []

[rules.standard-greeting]
code = "bad code"
title = "x"
weight = -1
severity = "fatal"
""",
    )
    paths = {p.path for p in found}
    assert {"scorecard.pass_mark", "scorecard.company", "scorecard.departments", "rules.standard-greeting.code",
            "rules.standard-greeting.weight", "rules.standard-greeting.severity"} <= paths
    assert all(p.file.endswith("site.toml") for p in found)
    assert "6 problems" in str(RuleFileError(found[:6]))


def test_semantic_problems_are_collected_too(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
extends = "default"

[rules.no-such-rule]
code = "ZZ01"
title = "x"
weight = 1
severity = "minor"

[rules.offer-further-help]
code = "ST02"

[rules.restate-question.params]
fuzzy_threshold = 200
surprise = 1

[script.greeting.parts.greet]
variants = ["{greeting}好"]

[script.goodbye.parts.goodbye]
variants = ["拜拜"]
""",
    )
    by_path = {p.path: p for p in found}
    assert "unknown rule id" in by_path["rules.no-such-rule"].message
    assert "codes of built-in rules are fixed" in by_path["rules.offer-further-help.code"].message
    assert "rules.restate-question.params.fuzzy_threshold" in by_path
    assert "rules.restate-question.params.surprise" in by_path
    assert "unknown placeholder {greeting}" in by_path["script.greeting.parts.greet.variants[0]"].message
    assert "does not contain any variant" in by_path["script.goodbye.parts.goodbye"].message
    assert all(p.file.endswith("site.toml") for p in found)


def test_a_rule_without_its_script_step_is_reported(tmp_path: Path, root: Path) -> None:
    text = (root / "rules" / "default.toml").read_text(encoding="utf-8")
    text = text.replace('rule = "offer-further-help"\n', "")
    found = problems(tmp_path, text)
    assert any("offer-further-help" in p.message and p.path == "script" for p in found)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, "[scorecard\ncompany = 1\n")
    assert problem.file.endswith("site.toml") and "not valid TOML" in problem.message


def test_missing_file() -> None:
    with pytest.raises(RuleFileError) as info:
        load_rules("no/such/rules.toml")
    assert "no such file" in str(info.value)


def test_extends_default_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('extends = "default"\n[scorecard]\ncompany = "顺达快运"\npass_mark = 90\n'
                    '[rules.no-absolute-promises]\nenabled = false\n', encoding="utf-8")
    rules = load_rules(path)
    assert rules.scorecard.company == "顺达快运" and rules.scorecard.pass_mark == 90
    assert rules.scorecard.departments == load_rules().scorecard.departments
    assert "no-absolute-promises" not in rules.rules
    report = csqa.Scorer(path).score({"call_id": "x", "utterances": []})
    assert "no-absolute-promises" not in {c.rule for c in report.checks}


def test_only_default_can_be_extended(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, 'extends = "other"\n')
    assert problem.path == "extends"


def test_a_shared_pattern_is_written_once_and_read_by_every_family_that_names_it(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[patterns]\norganisation = "re:蜂巢小铺"\n', encoding="utf-8")
    default, custom = csqa.Scorer(), csqa.Scorer(site)
    # after 喂 the name does not open the line, so no positional pattern of the default names it
    greeting = [{"speaker": "agent", "text": "喂,蜂巢小铺,您好,请问有什么可以帮您?"},
                {"speaker": "customer", "text": "我的快递到了吗"}]
    callback = [{"speaker": "agent", "text": "王先生您好,蜂巢小铺给您回个电话。"}, {"speaker": "customer", "text": "嗯"}]
    for utterances, rule, direction in ((greeting, "standard-greeting", "inbound"),
                                         (callback, "callback-introduction", "outbound")):
        call = {"call_id": "c", "direction": direction, "utterances": utterances}
        found = custom.score(call).check(rule)
        assert found.status == "pass"
        assert any(e.quote == "蜂巢小铺" for e in found.evidence)
        assert default.score(call).check(rule).status == "fail"  # 小铺 is no suffix the default knows
    # the default's organisation pattern no longer applies where the site replaced it
    named = {"call_id": "c", "utterances": [{"speaker": "agent", "text": "喂,仁和医院预约中心,您好,请问有什么可以帮您?"},
                                            {"speaker": "customer", "text": "我想挂号"}]}
    assert default.score(named).check("standard-greeting").status == "pass"
    assert custom.score(named).check("standard-greeting").status == "fail"


def test_an_unknown_shared_pattern_is_reported_where_it_is_used(tmp_path: Path) -> None:
    found = problems(tmp_path, 'extends = "default"\n[lexicon.x]\nlabel = "x"\nvariants = ["好的", "{pattern.nowhere}"]\n')
    assert [(p.path, p.message) for p in found] == [
        ("lexicon.x.variants[1]", "no pattern 'nowhere' in [patterns] (known: goodbye, organisation, thanks)")
    ]


def test_a_shared_list_of_patterns_stands_in_with_all_of_them(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('extends = "default"\n[patterns]\ngoodbye = ["后会有期", "回头聊"]\n'
                    '[script.goodbye]\nline = "感谢您的来电,后会有期!"\n'
                    '[script.callback-closing]\nline = "打扰您了,感谢您的支持,后会有期!"\n', encoding="utf-8")
    default, custom = csqa.Scorer(), csqa.Scorer(site)

    def closing(last: str, direction: str) -> dict[str, object]:
        first = ("您好,楠山农林客服部,请问有什么可以帮您?" if direction == "inbound"
                 else "王先生您好,这里是楠山农林客服部,回访一下您的订单。")
        return {"call_id": "c", "direction": direction, "utterances": [
            {"speaker": "agent", "text": first}, {"speaker": "customer", "text": "好的"},
            {"speaker": "agent", "text": "还有其他可以帮您的吗?"}, {"speaker": "customer", "text": "没有了"},
            {"speaker": "agent", "text": last}]}

    for rule, direction, said in (("thank-and-goodbye", "inbound", "感谢您的来电,{}!"),
                                  ("callback-closing", "outbound", "打扰您了,感谢您的支持,{}!")):
        for word in ("后会有期", "回头聊"):  # every pattern of the list
            assert custom.score(closing(said.format(word), direction)).check(rule).status == "pass"
            assert default.score(closing(said.format(word), direction)).check(rule).status == "fail"
        # the site's list replaced the default's in both scripts
        assert custom.score(closing(said.format("再见"), direction)).check(rule).status == "fail"
        assert default.score(closing(said.format("再见"), direction)).check(rule).status == "pass"


def test_an_empty_shared_list_is_a_problem(tmp_path: Path) -> None:
    found = problems(tmp_path, 'extends = "default"\n[patterns]\ngoodbye = []\n')
    assert (found[0].path, found[0].message) == (
        "patterns.goodbye", "a shared pattern is a non-empty string or a non-empty list of strings")
    # each entry that names it says so, once
    assert [p.path for p in found if "not usable" in p.message] == [
        "script.goodbye.parts.goodbye.variants[0]", "script.callback-closing.parts.goodbye.variants[0]",
        "lexicon.goodbye.variants[0]"]


def test_the_rules_for_another_company_keep_their_shared_patterns() -> None:
    # with_company validates the loaded rules again, where each shared list has become a tuple
    rules = load_rules().with_company("书香阁网上书城")
    assert rules.model.patterns["goodbye"] == load_rules().model.patterns["goodbye"]
    call = {"call_id": "c", "utterances": [
        {"speaker": "agent", "text": "您好,书香阁网上书城客服部,请问有什么可以帮您?"}, {"speaker": "customer", "text": "没事了"},
        {"speaker": "agent", "text": "感谢您的来电,再见!"}]}
    assert csqa.Scorer(rules=rules).score(call).check("thank-and-goodbye").status == "pass"


def test_no_phrase_of_the_bundled_file_is_written_inside_a_comment() -> None:
    # A comment added after a list entry swallows the entries after it on that line: they are never read. Three
    # variants were lost that way before this test; a quoted pattern followed by a comma inside a comment is one.
    bundled = Path(__file__).resolve().parents[1] / "rules" / "default.toml"
    swallowed = [
        (number, line.strip()) for number, line in enumerate(bundled.read_text(encoding="utf-8").splitlines(), 1)
        if "#" in line and re.search(r'"[^"]*\{[^"]*\}[^"]*",', line.split("#", 1)[1])
    ]
    assert swallowed == []
