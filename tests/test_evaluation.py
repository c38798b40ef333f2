"""The evaluation: figures computed right, and the accuracy gate over the annotated corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import csqa
from csqa.cli import main
from csqa.outputs.evaluate import AnnotatedCall, evaluate, load_annotated

ANNOTATED = Path(__file__).resolve().parent.parent / "corpora" / "annotated"


def annotated(call_id: str, text: str, gold: str) -> AnnotatedCall:
    call = csqa.parse_call({"call_id": call_id, "utterances": [{"speaker": "agent", "text": text}]})
    return AnnotatedCall(call=call, gold={"no-arguing": gold})


def test_figures_are_computed_from_the_confusion() -> None:
    items = [
        annotated("tp", "你有病吧", "fail"),
        annotated("fp", "有完没完", "pass"),  # labelled wrong on purpose: a false positive for csqa
        annotated("fn", "您好", "fail"),  # a miss
        annotated("tn", "您好", "pass"),
    ]
    result = evaluate(examples=False, annotated=items)
    metrics = result.rules["no-arguing"]
    assert metrics.confusion["fail"]["fail"] == 1 and metrics.confusion["pass"]["fail"] == 1
    assert metrics.confusion["fail"]["pass"] == 1 and metrics.confusion["pass"]["pass"] == 1
    assert metrics.precision == 0.5 and metrics.recall == 0.5 and metrics.f1 == 0.5 and metrics.accuracy == 0.5
    assert {d.call_id for d in result.disagreements} == {"fp", "fn"}
    assert result.rules["standard-greeting"].support == 0 and result.rules["standard-greeting"].precision is None
    assert any("no-arguing: precision 0.500" in miss for miss in result.below())


def test_company_of_an_annotated_call_configures_the_scorer() -> None:
    # named where no pattern of the bundled rules looks for a company (inside a welcome), only the configured one counts
    call = csqa.parse_call({"call_id": "c", "utterances": [{"speaker": "agent", "text": "您好,青禾优选欢迎您,有什么可以帮您"}]})
    own = AnnotatedCall(call=call, gold={"standard-greeting": "pass"}, company="青禾优选")
    default = AnnotatedCall(call=call, gold={"standard-greeting": "pass"})
    assert evaluate(examples=False, annotated=[own]).rules["standard-greeting"].accuracy == 1.0
    assert evaluate(examples=False, annotated=[default]).rules["standard-greeting"].accuracy == 0.0


def test_bad_annotation_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"call": {"call_id": "x", "utterances": []}, "gold": {"no-such-rule": "pass"}}) + "\n",
                    encoding="utf-8")
    with pytest.raises(csqa.InputError) as info:
        list(load_annotated(path))
    assert "bad.jsonl:1" in str(info.value) and "gold.no-such-rule" in str(info.value)


def test_annotated_corpus_is_balanced() -> None:
    records = list(load_annotated(ANNOTATED))
    assert len(records) >= 120
    assert all(set(r.gold) == set(csqa.RULE_IDS) for r in records)
    for rule in csqa.RULE_IDS:
        statuses = [r.gold[rule] for r in records]
        need = 6 if rule.startswith("callback-") else 10
        assert statuses.count("fail") >= need and statuses.count("pass") >= need, rule
    texts = ["".join(u.text for u in r.call.utterances) for r in records]
    traditional = sum(1 for t in texts if any(ch in t for ch in "們這說會來對請問謝號話"))
    asr = sum(1 for r in records if not any(p in u.text for u in r.call.utterances for p in ",，。?？!！"))
    timed = sum(1 for r in records if r.call.timed)
    assert traditional >= len(records) // 5 and asr >= len(records) // 5 and timed >= len(records) // 2


def test_gate_every_rule_meets_precision_recall_and_accuracy() -> None:
    result = evaluate([ANNOTATED])
    assert result.calls >= 120
    assert result.below(precision=0.95, recall=0.90, accuracy=0.95) == []


def test_eval_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(ANNOTATED), "--gate"]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "restate-question" in out
    assert main(["eval", str(ANNOTATED), "--format", "json", "--no-examples"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["calls"] >= 120 and set(payload["rules"]) == set(csqa.RULE_IDS)
    assert main(["eval", str(ANNOTATED), "--gate", "--min-precision", "1.01"]) == 1
