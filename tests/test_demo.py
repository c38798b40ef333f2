"""The demo corpus: varied enough to show the product, and scored as its annotations say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import csqa


@pytest.fixture(scope="module")
def demo(root: Path) -> list[csqa.Call]:
    calls = list(csqa.load_calls(root / "corpora" / "demo"))
    assert all(isinstance(c, csqa.Call) for c in calls)
    return calls  # type: ignore[return-value]


def test_demo_is_varied(demo: list[csqa.Call]) -> None:
    assert len(demo) >= 12
    assert {c.direction for c in demo} == {"inbound", "outbound"}
    traditional = [c for c in demo if any(ch in u.text for u in c.utterances for ch in "們這說會來對於請問謝")]
    asr = [c for c in demo if not any(p in u.text for u in c.utterances for p in ",，。?？!！")]
    assert len(traditional) >= 3 and len(asr) >= 3
    assert any(c.events for c in demo) and any(c.rings is None for c in demo)


def test_demo_statuses_match_the_annotations(demo: list[csqa.Call], scorer: csqa.Scorer, root: Path) -> None:
    expected = json.loads((root / "tests" / "data" / "demo_expected.json").read_text(encoding="utf-8"))
    assert {c.call_id for c in demo} == set(expected)
    disagreements = []
    for call in demo:
        report = scorer.score(call)
        for rule, status in expected[call.call_id].items():
            got = report.check(rule)
            if got.status != status:
                disagreements.append(f"{call.call_id} {rule}: expected {status}, got {got.status} ({got.message})")
    assert disagreements == []
