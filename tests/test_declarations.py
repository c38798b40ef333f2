"""A rule's declaration says every phrase family it reads (its script parts, lexicons, and whether the banned
phrases): the rule file is validated against the declarations, so a family a rule reads without declaring
it could be missing from a site's file and the rule would silently never match. These tests score the
development corpus and every rule's documented examples with each rule's reads recorded, and compare."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

import csqa
from csqa.checks.docs import rule_examples
from csqa.checks.registry import REGISTRY
from csqa.outputs.evaluate import load_annotated
from csqa.text.doc import CallDoc
from csqa.text.phrases import PhraseHit

ROOT = Path(__file__).resolve().parents[1]


def _calls() -> Iterator[csqa.Call]:
    yield from (a.call for a in load_annotated(ROOT / "corpora" / "annotated"))
    for rule_id in REGISTRY:
        yield from (e.call for e in rule_examples(rule_id))


def _declared(rules: csqa.RuleSet, rule_id: str) -> set[str]:
    check = rules.checks[rule_id]
    step = rules.step_for(rule_id)
    families = {f"lexicon.{name}" for name in check.lexicons}
    if step is not None:
        step_name = next(name for name, s in rules.script.items() if s is step)
        families |= {f"script.{step_name}.{part}" for part in check.step_parts}
    return families | {f"script.{reference}" for reference in check.other_parts}


def test_every_family_a_rule_reads_is_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    scorer = csqa.Scorer()
    rules = scorer.rules
    reading: list[str] = []
    read: dict[str, set[str]] = defaultdict(set)
    original = CallDoc.hits

    def hits(self: CallDoc, u: object, family: str) -> list[PhraseHit]:
        read[reading[-1]].add(family)
        return original(self, u, family)  # type: ignore[arg-type]

    monkeypatch.setattr(CallDoc, "hits", hits)
    for call in _calls():
        doc = scorer.prepare(call)
        for rule_id in rules.checks:
            reading.append(rule_id)
            scorer._run(doc, rule_id)
            reading.pop()
    # every rule that reads phrases was seen reading them (rings and the hang-up party read the call's data)
    assert set(read) == set(rules.checks) - {"answer-within-three-rings", "customer-hangs-up-first"}
    undeclared = {}
    for rule_id, families in read.items():
        banned = {f for f in families if f.startswith("banned.")}
        if banned:  # the banned-phrase rule, and no-arguing, whose objections to a banned phrase add nothing
            params = rules.params[rule_id]
            assert rules.checks[rule_id].kind == "phrase-forbidden"
            assert params.banned or params.objections  # type: ignore[attr-defined]
        extra = families - banned - _declared(rules, rule_id)
        if extra:
            undeclared[rule_id] = sorted(extra)
    assert undeclared == {}


def test_a_rule_made_of_a_kind_declares_what_its_settings_read() -> None:
    checks = csqa.load_rules("default").checks
    assert checks["no-arguing"].lexicons == (
        "scolding", "scolding-exact", "scolding-curt", "scolding-judgement", "scolding-rhetorical", "scolding-blame",
        "quoting", "objection",
    )
    assert checks["offer-further-help"].step_parts == ("offer",)
    assert set(checks["offer-further-help"].lexicons) == {
        "goodbye", "non-matter", "transfer-announce", "wait-request", "backchannel", "closing-talk", "closing-courtesy",
        "objection", "colleague-aside",
    }
    assert checks["standard-greeting"].lexicons == ("line-check",)
    assert {checks[r].kind for r in ("standard-greeting", "offer-further-help", "thank-and-goodbye", "callback-introduction",
                                     "callback-closing")} == {"phrase-required"}
    assert {checks[r].kind for r in ("no-forbidden-phrases", "no-arguing", "no-absolute-promises")} == {"phrase-forbidden"}
    assert (checks["no-filler-words"].kind, checks["no-chatting-before-hangup"].kind) == ("fillers", "nothing-beyond")
