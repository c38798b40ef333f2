"""Findings in Chinese: one catalogue (csqa.outputs.i18n) holds every message of a report in English and
Simplified Chinese; ``lang="zh"`` changes the text of messages, notes and the unscored reason and nothing else."""

from __future__ import annotations

import ast
import json
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

import csqa
from csqa.checks.registry import REGISTRY
from csqa.checks.rulefile import load_rules
from csqa.cli import main
from csqa.outputs.evaluate import evaluate, load_annotated, rule_set_examples
from csqa.outputs.i18n import DATA_ZH, LANGS, MESSAGES, RULES_ZH, check_lang, labels, say, template_fields
from csqa.outputs.report import How, Status

SRC = Path(__file__).resolve().parents[1] / "src" / "csqa"
CHECKS = [SRC / "checks" / f"{name}.py" for name in ("base", "steps", "restate", "taboos", "kinds")]
STATUSES = set(get_args(Status))
HOWS = set(get_args(How))

# Latin words a Chinese text may hold: the input's field names (rings, hangup_by), the command itself, F1, 通话ID.
_ALLOWED = {"rings", "csqa", "rules", "F1", "ID"}


def english_in(text: str) -> list[str]:
    """The English words of a Chinese text, leaving out the call's own words (quoted in 「」), rule ids and
    codes, and the input's field names."""
    text = re.sub(r"「[^」]*」", "", text)
    text = re.sub(r"\b[a-z]+(?:-[a-z]+)+\b", "", text)  # rule ids
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return [w for w in words if w not in _ALLOWED and "_" not in w and not re.fullmatch(r"[A-Z]{2,4}[0-9]{2,4}", w)]


# --- the catalogue -----------------------------------------------------------------------------------------


def test_every_message_has_every_language_with_the_same_fields() -> None:
    assert LANGS == ("en", "zh")
    for message, texts in MESSAGES.items():
        assert set(texts) == set(LANGS), f"{message} lacks {set(LANGS) - set(texts)}"
        assert all(texts[lang] for lang in LANGS), message
        fields = {lang: template_fields(texts[lang]) for lang in LANGS}
        assert fields["en"] == fields["zh"], f"{message}: {fields}"


def test_chinese_texts_hold_no_english() -> None:
    chinese = {f"message {m}": t["zh"] for m, t in MESSAGES.items() if not m.startswith(("join.", "cli.", "eval."))}
    chinese |= {f"rule {r}": " ".join(texts) for r, texts in RULES_ZH.items()}
    chinese |= {f"data {english!r}": zh for english, zh in DATA_ZH.items()}
    chinese |= {f"label {key}": text for key, text in labels("zh").items()}
    chinese = {where: re.sub(r"\{[^}]*\}", "", text) for where, text in chinese.items()}  # a template's fields
    leftovers = {where: english_in(text) for where, text in chinese.items() if english_in(text)}
    assert not leftovers


def test_every_built_in_rule_and_bundled_part_has_its_chinese() -> None:
    assert set(RULES_ZH) == set(REGISTRY)
    for check in REGISTRY.values():
        assert check.title_in("zh") == RULES_ZH[check.id][0] and check.summary_in("zh") == RULES_ZH[check.id][1]
        assert check.title_in("en") == check.title
    rules = load_rules()
    for step in rules.script.values():
        if step.rule is not None:
            for name, part in step.parts.items():
                assert part.label in DATA_ZH, f"script part {name}: no Chinese for {part.label!r}"
    for rule_id, params in rules.params.items():
        note = getattr(params, "note", "")
        assert not note or note in DATA_ZH, f"{rule_id}: no Chinese for its note {note!r}"


def _strings(tree: ast.AST) -> Iterator[str | re.Pattern[str]]:
    """Every string constant of a module, and every f-string as a pattern."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in node.values]
            yield re.compile("".join(parts))


def test_every_message_named_exists_and_every_message_is_used() -> None:
    named: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for path in SRC.rglob("*.py"):
        if path.name == "i18n.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # say("…") and ctx.say("…"): the message must exist
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "say":
                first = next((a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)), None)
                if first is not None and first.value not in LANGS:
                    assert first.value in MESSAGES, f"{path.name}:{node.lineno}: no message {first.value!r}"
        for found in _strings(tree):
            if isinstance(found, str):
                named.add(found)
            else:
                patterns.append(found)
    unused = [m for m in MESSAGES if m not in named and not any(p.fullmatch(m) for p in patterns)]
    assert not unused


_TEXT_CALLS = {"result", "not_applicable", "not_assessable", "whole", "hit_evidence", "evidence", "_Outcome", "Evidence",
               "_field", "_event", "_call_evidence"}
_NAMES = STATUSES | HOWS | {"", "rings", "ring_seconds", "hangup_by", "utterances"}


def test_checks_write_no_sentence_of_their_own() -> None:
    """A finding or note written as a literal in a check would be English whatever the language: every one
    comes from the catalogue (``ctx.say``)."""
    found = []
    for path in CHECKS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name not in _TEXT_CALLS:
                continue
            values = [*node.args, *(k.value for k in node.keywords if k.arg in ("message", "note"))]
            for value in values:
                if isinstance(value, ast.JoinedStr):  # words of its own; f"{note}{how}" only joins texts
                    literal = any(isinstance(v, ast.Constant) and re.search("[A-Za-z]", str(v.value)) for v in value.values)
                else:
                    literal = isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value not in _NAMES
                if literal:
                    found.append(f"{path.name}:{value.lineno}: {ast.unparse(value)}")
    assert not found


def test_labels_for_pages_and_tables() -> None:
    english, chinese = labels("en"), labels("zh")
    assert set(english) == set(chinese) and len(english) > 50
    assert english["fail"] == "fail" and chinese["fail"] == "不通过" and chinese["say_instead"] == "建议话术"
    assert all(chinese[s] for s in STATUSES) and all(chinese[f"how.{h}"] for h in HOWS)
    with pytest.raises(TypeError):
        chinese["fail"] = "x"  # type: ignore[index]
    assert labels("zh-CN") == chinese


@pytest.mark.parametrize("given", ["fr", "zh-TW", "", "ZH-Hant", 3, None])
def test_an_unknown_language_is_a_usage_error(given: Any) -> None:
    with pytest.raises(csqa.UsageError) as info:
        check_lang(given)
    assert info.value.code == "E400" and "\n" not in str(info.value)
    with pytest.raises(csqa.UsageError):
        csqa.Scorer(rules=load_rules(), lang=given)
    with pytest.raises(csqa.UsageError):
        labels(given)


@pytest.mark.parametrize(("given", "lang"), [("en", "en"), ("zh", "zh"), ("zh-CN", "zh"), ("zh_Hans", "zh"), ("EN", "en")])
def test_language_names_that_are_understood(given: str, lang: str) -> None:
    assert check_lang(given) == lang


# --- reports: the same verdicts, the text in Chinese ------------------------------------------------------


def _bare(report: csqa.Report) -> dict[str, Any]:
    """A report without its text: what must not depend on the language."""
    data = report.model_dump(mode="json")
    data["unscored"] = data["unscored"] is not None
    for check in data["checks"]:
        check["message"] = None
        for evidence in check["evidence"]:
            evidence["note"] = None
    return data


def _texts(report: csqa.Report) -> Iterator[tuple[str, str]]:
    if report.unscored:
        yield "unscored", report.unscored
    for check in report.checks:
        yield check.rule, check.message
        for evidence in check.evidence:
            yield f"{check.rule} note", evidence.note


def _corpus(root: Path) -> Iterator[tuple[str, csqa.Call]]:
    default = load_rules()
    yield from ((a.source, a.call) for a in load_annotated(root / "corpora" / "annotated", rules=default))
    yield from (("demo", c) for c in csqa.load_calls(root / "corpora" / "demo") if isinstance(c, csqa.Call))
    yield from ((a.source, a.call) for a in rule_set_examples(default))


def _site_corpus(root: Path) -> Iterator[tuple[str, csqa.Call]]:
    site = load_rules(root / "rules" / "examples" / "site.toml")
    yield from ((a.source, a.call) for a in load_annotated(root / "rules" / "examples" / "calls.jsonl", rules=site))
    yield from ((a.source, a.call) for a in rule_set_examples(site))


def test_every_finding_of_the_corpora_in_chinese(scorer: csqa.Scorer, root: Path) -> None:
    """The development corpus, the demo corpus, every rule's documented examples, and the site file's calls
    and examples (each call with the scorecard's company; the text does not depend on it): in Chinese, every
    report is the English one but for its text, and that text holds no English."""
    site = csqa.Scorer(root / "rules" / "examples" / "site.toml")
    runs = [(scorer, _corpus(root)), (site, _site_corpus(root))]
    leftovers: dict[str, list[str]] = {}
    seen: set[str] = set()
    calls = 0
    for english, corpus in runs:
        chinese = english.in_lang("zh")
        for source, call in corpus:
            calls += 1
            en, zh = english.score(call), chinese.score(call)
            assert _bare(zh) == _bare(en), source
            for (where, en_text), (_, zh_text) in zip(_texts(en), _texts(zh), strict=True):
                assert bool(en_text) == bool(zh_text), f"{source} {where}"
                seen.add(zh_text)
                if english_in(zh_text):
                    leftovers[f"{source} {where}"] = english_in(zh_text)
    assert not leftovers
    assert calls > 800 and len(seen) > 150  # the corpora reach most messages


def test_score_and_scorer_take_lang(scorer: csqa.Scorer) -> None:
    call = {"call_id": "c1", "rings": 5, "hangup_by": "agent",
            "utterances": [{"speaker": "agent", "text": "喂"}, {"speaker": "customer", "text": "我想问一下树苗什么时候发货"},
                           {"speaker": "agent", "text": "明天发货。"}]}
    english, chinese = csqa.score(call), csqa.score(call, lang="zh")
    assert _bare(english) == _bare(chinese)
    assert chinese.check("ST01").message == "响铃5声后才接听（超过3声）"
    assert chinese.check("ST01").evidence[0].note == "接听前响铃5声"
    assert english.check("ST01").message == "answered after 5 rings (more than 3)"
    assert chinese.check("restate-question").suggestion == english.check("restate-question").suggestion
    assert csqa.score(call, company="楠山农林", lang="zh").check("ST06").message == "坐席先于客户挂机"
    zh = scorer.in_lang("zh")
    assert zh.lang == "zh" and scorer.lang == "en" and scorer.in_lang("en") is scorer and "lang='zh'" in repr(zh)
    assert zh._tokenizer is scorer._tokenizer  # the copy shares the dictionary
    clone = pickle.loads(pickle.dumps(zh))  # a worker process writes in the same language
    assert clone.lang == "zh" and clone.score(call).model_dump() == chinese.model_dump()


def test_unscored_reason_in_chinese(scorer: csqa.Scorer) -> None:
    call = {"call_id": "c2", "rings": 1, "hangup_by": "customer", "utterances": [{"speaker": "customer", "text": "喂?"}]}
    report = scorer.in_lang("zh").score(call)
    assert report.score is None and report.unscored is not None
    assert report.unscored == say("zh", "unscored.silent-agent", count=2) and not english_in(report.unscored)


def test_a_site_files_own_chinese(tmp_path: Path, scorer: csqa.Scorer) -> None:
    rules = tmp_path / "site.toml"
    rules.write_text('''extends = "default"

[script.greeting.parts.offer]
label = "an offer"
label_zh = "主动询问"
variants = ["有什么{可以|能}帮{您|你}"]

[rules.no-slang]
kind = "phrase-forbidden"
code = "SX01"
title = "No slang"
title_zh = "不说俚语"
weight = 2
severity = "warning"
phrases = ["靠谱"]
note = "used slang"
note_zh = "说了俚语"
''', encoding="utf-8")
    site = csqa.Scorer(rules, lang="zh")
    assert site.rules.checks["no-slang"].title_in("zh") == "不说俚语"
    assert site.rules.checks["no-slang"].summary_in("zh") == "不说俚语"
    call = {"call_id": "c3", "rings": 1, "hangup_by": "customer",
            "utterances": [{"speaker": "agent", "text": "您好!楠山农林客服部。"},
                           {"speaker": "customer", "text": "你们靠谱吗"}, {"speaker": "agent", "text": "我们很靠谱。"}]}
    report = site.score(call)
    assert report.check("SX01").message == "坐席说了俚语：「靠谱」"
    assert report.check("SX01").evidence[0].note == "说了俚语"
    assert report.check("ST02").message == "坐席的开场白（标准问候）缺少：主动询问"
    english = site.in_lang("en").score(call)
    assert english.check("ST02").message == "the agent's opening (standard greeting) lacks: an offer"
    assert english.check("SX01").message == "the agent used slang: 「靠谱」"


# --- the command line ----------------------------------------------------------------------------------


def test_score_lang_zh_on_the_command_line(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    demo = str(root / "corpora" / "demo")
    outputs = {}
    for lang in LANGS:
        out = tmp_path / f"{lang}.jsonl"
        assert main(["score", demo, "--format", "jsonl", "-o", str(out), "--lang", lang]) == 0
        outputs[lang] = [csqa.Report.model_validate_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [_bare(r) for r in outputs["en"]] == [_bare(r) for r in outputs["zh"]]
    assert outputs["en"][0].checks[0].message != outputs["zh"][0].checks[0].message
    monkeypatch.setenv("CSQA_LANG", "zh")
    assert main(["score", demo]) == 0
    table = capsys.readouterr().out
    assert "得分" in table and "不通过率" in table and "达到合格线" in table
    assert main(["score", demo, "--lang", "en"]) == 0  # the option wins over the environment
    assert "calls scored" in capsys.readouterr().out


def test_an_unknown_language_on_the_command_line_exits_2_with_one_line(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for command in (["score", "--lang", "fr"], ["rules", "--lang", "fr"], ["examples", "--lang", "fr"],
                    ["eval", "--lang", "fr"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "[E400] --lang 'fr'" in err and "'zh'" in err
    monkeypatch.setenv("CSQA_LANG", "klingon")
    assert main(["rules"]) == 2
    assert "CSQA_LANG 'klingon'" in capsys.readouterr().err


def test_rules_and_examples_in_chinese(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = str(root / "rules" / "examples" / "site.toml")
    assert main(["rules", "--rules", site, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "检查内容" in out and RULES_ZH["restate-question"][1] in out and "核实来电人身份" not in out
    assert "解答客户的问题之前，坐席先核实来电人的身份" in out and "严重（一票否决）" in out
    assert main(["rules", "--rules", site, "--lang", "zh", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["rule"]: r["checks"] for r in rows}["no-arguing"] == RULES_ZH["no-arguing"][1]


def test_eval_in_chinese_gives_the_same_figures(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = root / "rules" / "examples" / "site.toml"
    calls = root / "rules" / "examples" / "calls.jsonl"
    english = evaluate([calls], rules=site, examples=False)
    chinese = evaluate([calls], rules=site, examples=False, lang="zh")
    assert english.rules == chinese.rules
    assert [(d.call_id, d.rule, d.gold, d.predicted, [(e.utterance, e.start, e.end) for e in d.evidence])
            for d in english.disagreements] == [
           (d.call_id, d.rule, d.gold, d.predicted, [(e.utterance, e.start, e.end) for e in d.evidence])
            for d in chinese.disagreements]
    assert main(["eval", str(calls), "--rules", str(site), "--no-examples", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "个标注通话" in out and "精确率" in out and "召回率" in out


def test_the_readmes_example(root: Path) -> None:
    call = {"call_id": "demo-0001", "rings": 2, "hangup_by": "customer",
            "utterances": [{"speaker": "agent", "text": "您好!楠山农林客服部,请问有什么能帮您?"},
                           {"speaker": "customer", "text": "我想问一下我订的树苗什么时候发货"},
                           {"speaker": "agent", "text": "好的,明天发货。"}]}
    report = csqa.score(call, lang="zh")
    check = report.check("ST03")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for shown in (check.message, check.suggestion, report.check("ST05").message,
                  repr([(ev.quote, ev.note) for ev in check.evidence])):
        assert f"{shown}" in readme


def test_lake_score_in_chinese(tmp_path: Path, scorer: csqa.Scorer, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    from csqa.scale import frames
    from csqa.scale.lake import run as lake
    from tests.lakedata import DEMO, assert_same, raw_items, read_output

    expected = list(scorer.in_lang("zh").score_many(raw_items(DEMO)))
    assert lake(["import", str(DEMO), "-o", str(tmp_path / "lake"), "--layout", "call"]) == 0
    argv = ["score", str(tmp_path / "lake"), "-o", str(tmp_path / "qa"), "--layout", "call", "--workers", "1", "--lang", "zh-CN"]
    assert lake(argv) == 0
    assert_same(frames.results_from_frames(*read_output(tmp_path / "qa")), expected)
    capsys.readouterr()
    assert lake([*argv[:-1], "fr"]) == 2
    assert "[E400] --lang 'fr'" in capsys.readouterr().err
