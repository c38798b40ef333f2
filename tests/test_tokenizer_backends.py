"""Tokenizer backends: rjieba is the default only because it cuts exactly like jieba; chosen, pickled and
reported as asked.

The identity check is the gate for ``auto``: it compares every utterance of the annotated and demo corpora,
raw and normalised, tokenised by a jieba-backed and an rjieba-backed tokenizer with the default scorer's user
words, and then seeded random texts that mix Han characters with the ASCII, separators and extension
characters where rjieba's own cut differs (csqa sends those texts to jieba; see ``csqa.text.tokenizer``).
"""

from __future__ import annotations

import pickle
import random
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

import csqa
from csqa.outputs.evaluate import load_annotated
from csqa.text.normalize import Normalizer
from csqa.text.tokenizer import Token, Tokenizer

ROOT = Path(__file__).resolve().parent.parent
ANNOTATED = ROOT / "corpora" / "annotated"
DEMO = ROOT / "corpora" / "demo"


class Text(NamedTuple):
    call_id: str
    index: int
    source: str
    text: str


class Difference(NamedTuple):
    text: Text
    form: str
    jieba: list[Token]
    rjieba: list[Token]


def corpus_texts() -> list[Text]:
    """Every utterance text of the annotated and the demo corpora (JSONL, SCA JSON and .txt calls)."""
    calls = [(item.source, item.call) for item in load_annotated(ANNOTATED)]
    demo = list(csqa.load_calls(DEMO))
    assert all(isinstance(c, csqa.Call) for c in demo), demo
    calls += [("corpora/demo", c) for c in demo]  # type: ignore[misc]
    return [Text(c.call_id, i, source, u.text) for source, c in calls for i, u in enumerate(c.utterances)]


def default_user_words(scorer: csqa.Scorer) -> list[str]:
    """The user words the default scorer gives its tokenizer (see ``Scorer.__init__``)."""
    normalizer, card, matching = Normalizer(), scorer.rules.scorecard, scorer.rules.matching
    words = (card.company, *card.company_aliases, *card.departments, *matching.user_words)
    return [normalizer(w) for w in words]


@pytest.fixture(scope="module")
def pair(scorer: csqa.Scorer) -> tuple[Tokenizer, Tokenizer]:
    pytest.importorskip("rjieba")  # a guard only: the test extra installs rjieba
    words = default_user_words(scorer)
    return Tokenizer(words, backend="jieba"), Tokenizer(words, backend="rjieba")


@pytest.fixture(scope="module")
def texts() -> list[Text]:
    return corpus_texts()


@pytest.fixture(scope="module")
def differences(pair: tuple[Tokenizer, Tokenizer], texts: list[Text]) -> list[Difference]:
    reference, fast = pair
    normalize = Normalizer()
    found = []
    for item in texts:
        for form, text in (("raw", item.text), ("normalised", normalize(item.text))):
            expected, got = reference.tokenize(text), fast.tokenize(text)
            if got != expected:
                found.append(Difference(item, form, expected, got))
    return found


def test_rjieba_gives_jiebas_tokens_on_the_corpora(texts: list[Text], differences: list[Difference]) -> None:
    assert len(texts) > 1700
    assert any("ABC-5678" in item.text for item in texts)  # a text rjieba alone would cut differently
    if differences:
        first = differences[0]
        pytest.fail(
            f"{len(differences)} of {2 * len(texts)} texts tokenise differently; first: {first.text.source} "
            f"call {first.text.call_id} utterance {first.text.index} ({first.form}) {first.text.text!r}\n"
            f"  jieba:  {first.jieba}\n  rjieba: {first.rjieba}"
        )


@pytest.mark.parametrize(
    "alphabet", [".,?! ，。", "0123456789ab-", "0123456789ab._%+#&", "9z--..%% ", "a1-+#&_.%@/:", "㐀㐁鿖鿗豈𠀀𠀁-1a"]
)
def test_rjieba_gives_jiebas_tokens_on_random_mixed_text(
    pair: tuple[Tokenizer, Tokenizer], texts: list[Text], alphabet: str
) -> None:
    """Han characters from the corpora mixed with one alphabet at a time: 2,000 seeded texts each."""
    reference, fast = pair
    han = sorted({ch for item in texts for ch in item.text if "\u4e00" <= ch <= "\u9fd5"})
    rng = random.Random(alphabet)
    for _ in range(2000):
        text = "".join(rng.choice(han) if rng.random() < 0.75 else rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        assert fast.tokenize(text) == reference.tokenize(text), text


@pytest.mark.parametrize("text", [
    "您好，请问有什么可以帮您？",
    "hello 世界, OK! 3.5%的",
    "我的订单号是12345，谢谢。",
    "😀中文𠀀\r\n z\t好",
    "a\ud800b中文\udc00",  # lone surrogates cannot cross into Rust; both backends emit each one alone
    "",
])
def test_rjieba_offsets_are_character_offsets(pair: tuple[Tokenizer, Tokenizer], text: str) -> None:
    reference, fast = pair
    tokens = fast.tokenize(text)
    assert all(text[start:end] == word for word, start, end in tokens)
    assert "".join(word for word, _, _ in tokens) == text
    assert tokens == reference.tokenize(text)


def test_rjieba_backend_without_rjieba_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rjieba")
    built_before = Tokenizer(backend="rjieba")  # constructed while rjieba is importable, resolved after
    monkeypatch.setitem(sys.modules, "rjieba", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'csqa\[fast\]'"):
        Tokenizer(backend="rjieba")
    with pytest.raises(ImportError, match=r"pip install 'csqa\[fast\]'"):
        built_before.tokenize("您好")
    with pytest.raises(ImportError, match="rjieba"):
        csqa.Scorer(tokenizer_backend="rjieba")
    assert Tokenizer().backend == "jieba"
    with pytest.raises(ValueError, match="backend must be one of"):
        Tokenizer(backend="fast")  # type: ignore[arg-type]


def test_backend_survives_pickling_and_auto_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rjieba")
    fast = Tokenizer(["客服部"], backend="rjieba")
    clone = pickle.loads(pickle.dumps(fast))
    assert clone.backend == "rjieba"
    assert clone.tokenize("客服部您好") == fast.tokenize("客服部您好") == [("客服部", 0, 3), ("您好", 3, 5)]
    assert pickle.loads(pickle.dumps(Tokenizer(backend="jieba"))).backend == "jieba"
    scorer = pickle.loads(pickle.dumps(csqa.Scorer(tokenizer_backend="rjieba")))
    assert scorer._tokenizer.backend == "rjieba"
    auto = Tokenizer()  # auto: rjieba when it is importable
    assert auto.backend == "rjieba"
    assert pickle.loads(pickle.dumps(auto)).backend == "rjieba"
    monkeypatch.setitem(sys.modules, "rjieba", None)
    assert Tokenizer().backend == "jieba"


def test_scoring_the_demo_corpus_is_the_same_with_either_backend() -> None:
    pytest.importorskip("rjieba")
    calls = list(csqa.load_calls(DEMO))
    reports = {}
    for backend in ("jieba", "rjieba"):
        scorer = csqa.Scorer(tokenizer_backend=backend)
        assert scorer._tokenizer.backend == backend
        reports[backend] = [r.model_dump() for r in scorer.score_many(calls)]
    assert len(reports["jieba"]) == len(calls) >= 12
    assert reports["rjieba"] == reports["jieba"]


def test_user_word_frequencies_are_jiebas_own() -> None:
    """The rjieba backend takes each user word's frequency and the final total from jieba run on a small
    table of the words' substrings; they must be what jieba gives over its whole dictionary."""
    from csqa.text.tokenizer import (
        _dictionary_path,
        _load_dictionary,
        _read_dictionary,
        _user_word_frequencies,
        _with_user_words,
    )

    words = ("楠山农林", "客服部", "中国", "顺达快运", "ABC物流", "C++课程", "南山", "南山南", "的", "售后服务部")
    freq, total = _with_user_words(None, words)
    counts, base_total, _ = _read_dictionary(_dictionary_path())
    mine, my_total = _user_word_frequencies(counts, base_total, words)
    assert mine == {w: freq[w] for w in words}
    assert my_total == total > _load_dictionary()[1]
