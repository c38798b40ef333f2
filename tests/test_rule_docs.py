"""Every rule has documentation, and every documented example is scored as the documentation says."""

from __future__ import annotations

import pytest

import csqa
from csqa.checks import REGISTRY
from csqa.docs import rule_doc, rule_examples

IMPLEMENTED = [rule_id for rule_id, check in REGISTRY.items() if check.implemented]
EXAMPLES = [example for rule_id in IMPLEMENTED for example in rule_examples(rule_id)]


@pytest.mark.parametrize("rule_id", csqa.RULE_IDS)
def test_every_rule_has_a_doc_with_why(rule_id: str) -> None:
    doc = rule_doc(rule_id)
    assert doc.startswith(f"# {rule_id} (")
    assert "## Why" in doc


@pytest.mark.parametrize("rule_id", IMPLEMENTED)
def test_implemented_rules_document_what_counts_with_examples(rule_id: str) -> None:
    doc = rule_doc(rule_id)
    for section in ("## What counts", "## What does not count", "## Decisions", "## Examples"):
        assert section in doc, f"{rule_id}: missing {section}"
    statuses = [example.expect for example in rule_examples(rule_id)]
    assert statuses.count("pass") >= 3 and statuses.count("fail") >= 3, statuses


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.rule}#{e.number}")
def test_documented_example(example, scorer: csqa.Scorer) -> None:  # type: ignore[no-untyped-def]
    result = scorer.score(example.call).check(example.rule)
    assert result.status == example.expect, f"{example.why}: {result.message}"
    for evidence in result.evidence:
        if evidence.utterance is not None:
            assert example.call.utterances[evidence.utterance].text[evidence.start : evidence.end] == evidence.quote
