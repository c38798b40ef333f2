"""Every rule has documentation, and every documented example is scored as the documentation says."""

from __future__ import annotations

import pytest

import csqa
from csqa.checks.docs import rule_doc, rule_examples
from csqa.checks.registry import REGISTRY

EXAMPLES = [example for rule_id in REGISTRY for example in rule_examples(rule_id)]
TABOOS = ("no-", "apologise-")


@pytest.mark.parametrize("rule_id", csqa.RULE_IDS)
def test_every_rule_has_a_doc_with_why(rule_id: str) -> None:
    doc = rule_doc(rule_id)
    assert doc.startswith(f"# {rule_id} (")
    assert "## Why" in doc


@pytest.mark.parametrize("rule_id", csqa.RULE_IDS)
def test_rules_document_what_counts_with_examples(rule_id: str) -> None:
    doc = rule_doc(rule_id)
    for section in ("## What counts", "## What does not count", "## Decisions", "## Configuration", "## Examples"):
        assert section in doc, f"{rule_id}: missing {section}"
    statuses = [example.expect for example in rule_examples(rule_id)]
    need = 8 if rule_id.startswith(TABOOS) else 3  # the taboo issue asks for 8 positive and 8 negative cases
    assert statuses.count("pass") >= need and statuses.count("fail") >= need, statuses


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.rule}#{e.number}")
def test_documented_example(example, scorer: csqa.Scorer) -> None:  # type: ignore[no-untyped-def]
    result = scorer.score(example.call).check(example.rule)
    assert result.status == example.expect, f"{example.why}: {result.message}"
    for evidence in result.evidence:
        if evidence.utterance is not None:
            assert example.call.utterances[evidence.utterance].text[evidence.start : evidence.end] == evidence.quote
