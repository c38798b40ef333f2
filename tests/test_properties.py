"""Properties over arbitrary input: nothing crashes, offsets always point at the original characters,
normalisation keeps a one-to-one map, and scoring is deterministic."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import csqa
from csqa.text.normalize import _FOLD, _FOLDED, _FOLDED_KEEP_LINES, Normalizer, _fold

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Chinese-heavy text with punctuation, fillers, Traditional characters and arbitrary Unicode mixed in.
PIECES = ["您好", "楠山農林", "客服部", "請問", "有什么能帮您", "嗯", "呃", "，", "。", "!", "?", " ", "再见", "在見",
          "謝謝", "我怎麼知道", "ＡＢＣ１２３", "\u3000", "是吗", "树苗", "发货", "\n", "您是咨询", "还有其他问题吗"]
chinese = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join)
any_text = st.text(max_size=60) | chinese


@st.composite
def calls(draw: st.DrawFn) -> dict[str, object]:
    count = draw(st.integers(0, 8))
    timed = draw(st.booleans())
    utterances = []
    clock = 0.0
    for _ in range(count):
        utterance: dict[str, object] = {"speaker": draw(st.sampled_from(["agent", "customer"])), "text": draw(any_text)}
        if timed:
            start = clock + draw(st.floats(0, 5))
            end = start + draw(st.floats(0, 10))
            utterance.update(start=start, end=end)
            clock = draw(st.sampled_from([start, end]))
        utterances.append(utterance)
    return {
        "call_id": "p",
        "direction": draw(st.sampled_from(["inbound", "outbound"])),
        "rings": draw(st.none() | st.integers(0, 9)),
        "ring_seconds": draw(st.none() | st.floats(0, 60)),
        "hangup_by": draw(st.none() | st.sampled_from(["agent", "customer"])),
        "utterances": utterances,
        "events": draw(st.sampled_from([[], [{"type": "transfer", "start": 3.0}],
                                        [{"type": "hold", "start": 1.0, "end": 30.0}]])),
    }


@SETTINGS
@given(text=any_text)
def test_normalisation_is_one_to_one(text: str) -> None:
    normalize = Normalizer()
    norm = normalize(text)
    assert len(norm) == len(text)
    assert normalize(norm) == norm
    for original, folded in zip(text, norm):
        assert len(normalize(original)) == 1
        if original.isascii() and original.isprintable() and not original.isupper():
            assert folded == original


@SETTINGS
@given(text=any_text)
def test_folding_changes_exactly_the_characters_of_the_table(text: str) -> None:
    expected = "".join(_FOLD.get(ord(ch), ch) for ch in text)
    assert _fold(text, _FOLDED) == expected
    assert _fold(text, _FOLDED_KEEP_LINES).split("\n") == [_fold(line, _FOLDED) for line in text.split("\n")]


@SETTINGS
@given(texts=st.lists(any_text, max_size=6))
def test_a_calls_texts_normalise_together_as_one_at_a_time(texts: list[str]) -> None:
    normalize = Normalizer()
    assert normalize.many(texts) == [normalize(text) for text in texts]


@SETTINGS
@given(text=chinese)
@example(text="乜嘢")  # a Cantonese pair folds otherwise than its characters one at a time
def test_content_key_maps_back_to_the_original(scorer: csqa.Scorer, text: str) -> None:
    doc = scorer.prepare({"call_id": "k", "utterances": [{"speaker": "agent", "text": text}]})
    (u,) = doc.utterances
    assert len(u.key) == len(u.key_map)
    norm = Normalizer()(text)  # folded in context: Hong Kong 乜嘢 is 什么 as a pair, 乜 alone is 啥
    for index, offset in enumerate(u.key_map):
        assert u.norm[offset] == u.key[index]
        assert norm[offset] == u.key[index]
        assert len(Normalizer()(text[offset])) == 1  # the key's character stands for exactly this one of the original
    assert sorted(u.key_map) == u.key_map
    assert "".join(word for word, _, _ in u.tokens) == u.norm


def _key_by_definition(tokens: list[tuple[str, int, int]], hesitations: str) -> tuple[str, list[int], set[int]]:
    """The content key as the docs define it, token by token with no short cuts: content words are the
    letters and digits of each token, hesitation tokens left out; a token with no letter or digit ends a
    clause."""
    words = []
    breaks = set()
    for word, _, _ in tokens:
        content = "".join(ch for ch in word if ch.isalnum())
        if not content:
            if words:
                breaks.add(len("".join(words)))
        elif not (word.isalnum() and all(ch in hesitations for ch in word)):
            words.append(content)
    key = "".join(words)
    breaks.add(len(key))
    return key, [len("".join(words[:i])) for i in range(len(words) + 1)], breaks


@SETTINGS
@given(text=chinese)
def test_content_key_follows_its_definition(scorer: csqa.Scorer, text: str) -> None:
    doc = scorer.prepare({"call_id": "k", "utterances": [{"speaker": "agent", "text": text}]})
    (u,) = doc.utterances
    key, sizes, breaks = _key_by_definition(u.tokens, scorer._hesitations)
    assert (u.key, u.sizes, u.breaks) == (key, sizes, breaks)
    assert [u.norm[a:b] for a, b in u.silent] == [w for w, _, _ in u.tokens if w.isalnum() and not w.strip(scorer._hesitations)]


@SETTINGS
@given(text=st.text(max_size=200))
def test_text_loader_never_crashes(text: str) -> None:
    try:
        call = csqa.parse_text(text, call_id="t")
    except csqa.InputError as exc:
        assert exc.problems
    else:
        assert isinstance(call, csqa.Call)


@SETTINGS
@given(payload=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                            max_leaves=20))
def test_json_loader_never_crashes(payload: object) -> None:
    try:
        csqa.parse_call(json.dumps(payload))
    except csqa.InputError as exc:
        assert str(exc).startswith("[E1")


@SETTINGS
@given(call=calls())
def test_scoring_never_crashes_and_evidence_quotes_the_original(scorer: csqa.Scorer, call: dict[str, object]) -> None:
    report = scorer.score(call)
    assert [c.rule for c in report.checks] == list(scorer.rules.rules)
    texts = [u["text"] for u in call["utterances"]]  # type: ignore[index]
    for check in report.checks:
        if check.status == "fail":
            assert check.evidence
        for ev in check.evidence:
            if ev.utterance is not None:
                assert texts[ev.utterance][ev.start : ev.end] == ev.quote
            else:
                assert ev.field


@SETTINGS
@given(call=calls())
def test_scoring_is_deterministic(scorer: csqa.Scorer, call: dict[str, object]) -> None:
    first = scorer.score(call).model_dump_json()
    assert scorer.score(json.dumps(call, ensure_ascii=False)).model_dump_json() == first


def test_sound_table_reads_characters_as_pypinyin_does() -> None:
    from pypinyin import Style, lazy_pinyin

    from csqa.text.phrases import SoundTable

    table = SoundTable(fold_retroflex=False, fold_nasal=False)
    sample = [chr(code) for code in range(0x4E00, 0x9FA5, 7)]
    keys = [table.key(ch) for ch in sample]
    syllables = [lazy_pinyin(ch, style=Style.NORMAL)[0] for ch in sample]
    # one sound code per pypinyin syllable and one syllable per code
    assert len(set(zip(syllables, keys))) == len(set(syllables)) == len(set(keys))
    assert all(len(key) == 1 for key in keys)
    folded = SoundTable()
    assert folded.key("再见") == folded.key("在见") and folded.key("楠山") == folded.key("南山")
    assert folded.key("是") == folded.key("四") and folded.key("绿") != folded.key("路")
