"""The phrase language beyond fixed phrases: bounded gaps between parts ({~N} characters, {~Nw} words),
regular expressions run by RE2 (re:…), and the validation that names what is wrong with a bad pattern.
docs/phrases.md is the page these tests hold to."""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from itertools import product
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csqa
from csqa import RuleFileError, load_rules
from csqa.text.normalize import Normalizer
from csqa.text.phrases import (
    MAX_REGEX_MATCHES,
    Gap,
    PatternError,
    PhraseFamily,
    PhraseHit,
    PhraseIndex,
    SoundTable,
    _chain,
    check_pattern,
    compile_pattern,
)
from tests.conftest import make_call

PLACEHOLDERS = {"company": ("楠山农林",), "department": ("客服部",)}

# The three ways of offering further help of the issue, and how far apart their parts are:
# 还有 … 帮(到)您 with 4, 5 and 7 content characters (2, 3 and 4 words) in between.
OFFERS = ["还有什么可以帮您的吗", "请问还有其他还可以帮到您的吗", "请问还有别的问题需要我帮您处理吗"]

LEXICONS: dict[str, dict[str, object]] = {
    "offer-chars": {"variants": ["还有{~7}帮{|到}{您|你}"]},
    "offer-words": {"variants": ["还有{~4w}帮{|到}{您|你}"]},
    "offer-chars-6": {"variants": ["还有{~6}帮{|到}{您|你}"]},
    "offer-words-3": {"variants": ["还有{~3w}帮{|到}{您|你}"]},
    "three-parts": {"variants": ["{还有|有}{~4}{问题|需要}{~6}{帮|处理}"], "boundary": "start"},
    "you-mid-word": {"variants": ["有{~6}帮您"]},
    "ti-mid-word": {"variants": ["还有{~4}题吗"]},
    "wenti": {"variants": ["还有{~4}问题吗"]},
    "help-then-ma": {"variants": ["还有{~4}帮{~3}吗"]},
    "ends-in-word": {"variants": ["还有{~4}帮"]},
    "ends-in-word-start": {"variants": ["还有{~4}帮"], "boundary": "start"},
    "sound": {"variants": ["还有{~6}帮您"], "homophones": True},
    "guarantee": {"variants": ["不{~2}保证"], "unless_before": ["我们"]},
    "near-before": {"variants": ["保证"], "unless_before": ["我们公司"], "window": 1},
    "near-after": {"variants": ["保证"], "unless_after": ["不了的"], "window": 1},
    "near-mixed": {"variants": ["保证"], "unless_before": ["我们公司", "的"], "window": 2},
    "disown": {"variants": ["关我们什么事"]},
    "clause": {"variants": ["还有{~7}帮{|到}{您|你}"], "clause_end": True},
    "job-number": {"variants": ["re:工号是?\\d{3,6}"]},
    "goodbye-regex": {"variants": ["re:再见"], "homophones": True},
    "three-digits": {"variants": ["re:\\d{3}"]},
    "traditional-regex": {"variants": ["re:電話\\d+"]},
    "latin-regex": {"variants": ["re:VIP\\d+"]},
}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\") + '"'


def site_file(path: Path, lexicons: dict[str, dict[str, object]], extra: str = "") -> Path:
    lines = ['extends = "default"', ""]
    for name, table in lexicons.items():
        lines.append(f"[lexicon.t-{name}]")
        lines.append(f'label = "{name}"')
        lines.extend(f"{key} = {_toml(value)}" for key, value in table.items())
        lines.append("")
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def language(tmp_path_factory: pytest.TempPathFactory) -> csqa.Scorer:
    return csqa.Scorer(site_file(tmp_path_factory.mktemp("rules") / "site.toml", LEXICONS))


def hits(scorer: csqa.Scorer, family: str, text: str) -> list[tuple[PhraseHit, str]]:
    """The hits of lexicon ``t-<family>`` in an agent utterance, each with the original text it quotes."""
    doc = scorer.prepare(make_call(("agent", text)))
    u = doc.utterances[0]
    found = []
    for hit in doc.hits(u, f"lexicon.t-{family}"):
        evidence = u.hit_evidence(hit)
        assert text[evidence.start : evidence.end] == evidence.quote
        found.append((hit, evidence.quote))
    return found


def quotes(scorer: csqa.Scorer, family: str, text: str) -> list[str]:
    return [quote for _, quote in hits(scorer, family, text)]


# --- gaps ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["offer-chars", "offer-words"])
def test_one_gapped_pattern_covers_the_three_offers_of_help(language: csqa.Scorer, family: str) -> None:
    expected = ["还有什么可以帮您", "还有其他还可以帮到您", "还有别的问题需要我帮您"]
    for text, quote in zip(OFFERS, expected):
        ((hit, said),) = hits(language, family, text)
        assert said == quote
        assert hit.phrase == quote and hit.pattern == LEXICONS[family]["variants"][0]  # type: ignore[index]
        assert not hit.by_sound


def test_parts_too_far_apart_do_not_match(language: csqa.Scorer) -> None:
    # 7 characters (4 words) between 还有 and 帮您 in the third offer: one more than these gaps allow
    assert quotes(language, "offer-chars-6", OFFERS[1]) and not quotes(language, "offer-chars-6", OFFERS[2])
    assert quotes(language, "offer-words-3", OFFERS[1]) and not quotes(language, "offer-words-3", OFFERS[2])
    assert not quotes(language, "offer-chars", "还有什么问题您随时打过来我们一定帮您")


def test_parts_in_the_wrong_order_do_not_match(language: csqa.Scorer) -> None:
    assert not quotes(language, "offer-chars", "帮您看一下还有没有")


def test_a_part_never_starts_inside_a_word(language: csqa.Scorer) -> None:
    assert not quotes(language, "you-mid-word", "还有什么可以帮您")  # 有 is inside 还有
    assert not quotes(language, "ti-mid-word", "还有别的问题吗")  # 题 is inside 问题
    assert quotes(language, "wenti", "还有别的问题吗") == ["还有别的问题吗"]


def test_a_part_may_end_inside_a_word_but_the_hit_ends_on_the_familys_boundary(language: csqa.Scorer) -> None:
    text = "您还有什么需要帮助的吗"
    assert quotes(language, "help-then-ma", text) == ["还有什么需要帮助的吗"]  # 帮 of 帮助, then 吗
    assert not quotes(language, "ends-in-word", text)  # the hit would end inside 帮助
    assert quotes(language, "ends-in-word-start", text) == ["还有什么需要帮"]


def test_three_parts_and_two_gaps(language: csqa.Scorer) -> None:
    assert "还有别的问题需要我帮" in quotes(language, "three-parts", OFFERS[2])
    assert quotes(language, "three-parts", "您还有什么需要帮助的吗") == ["还有什么需要帮"]
    assert not quotes(language, "three-parts", OFFERS[0])  # no 问题 or 需要


def test_gaps_count_content_characters_through_traditional_punctuation_and_hesitations(language: csqa.Scorer) -> None:
    text = "還有，嗯……什麼可以幫您？"
    ((hit, said),) = hits(language, "offer-chars-6", text)
    assert said == "還有，嗯……什麼可以幫您" and hit.phrase == "还有什么可以帮您"


def test_a_gapped_pattern_finds_each_occurrence_shortest_first(language: csqa.Scorer) -> None:
    assert quotes(language, "offer-chars", "还有什么可以帮您还有什么可以帮您") == ["还有什么可以帮您"] * 2
    assert quotes(language, "offer-chars", "还有还有什么可以帮您") == ["还有什么可以帮您"]


def test_parts_are_matched_by_sound_where_the_family_allows_it(language: csqa.Scorer) -> None:
    text = "还有什么可以邦您"  # ASR wrote 邦 for 帮
    ((hit, said),) = hits(language, "sound", text)
    assert hit.by_sound and said == text
    assert not quotes(language, "offer-chars", text)
    ((hit, _),) = hits(language, "sound", "还有什么可以帮您")
    assert not hit.by_sound


def test_context_and_clause_end_apply_to_the_joined_hit(language: csqa.Scorer) -> None:
    assert quotes(language, "guarantee", "这个不能保证") == ["不能保证"]
    assert not quotes(language, "guarantee", "我们不能保证")
    assert quotes(language, "clause", "还有什么可以帮您?") == ["还有什么可以帮您"]
    assert not quotes(language, "clause", "还有什么可以帮您的吗")


def test_context_longer_than_the_window_is_read_where_it_ends_or_starts(language: csqa.Scorer) -> None:
    """The window says where a context phrase ends (before the hit) or starts (after it), not that it fits."""
    assert not quotes(language, "near-before", "我们公司保证明天送到")
    assert quotes(language, "near-before", "我们公司会保证明天送到") == ["保证"]  # 我们公司 ends two characters before
    assert not quotes(language, "near-after", "这个保证不了的")
    assert quotes(language, "near-after", "这个保证做不了的") == ["保证"]  # 不了的 starts one character after


def test_a_window_means_the_same_for_context_words_of_any_length(language: csqa.Scorer) -> None:
    """``window = 2``: a context word whose last character is one of the two before the hit cancels it, however
    long the word, and one further back does not, however short."""
    assert not quotes(language, "near-mixed", "我们公司会保证")
    assert quotes(language, "near-mixed", "我们公司会再保证") == ["保证"]
    assert not quotes(language, "near-mixed", "说的会保证")
    assert quotes(language, "near-mixed", "说的会再保证") == ["保证"]


def test_a_phrase_may_start_or_end_beside_a_loose_character(language: csqa.Scorer, tmp_path: Path) -> None:
    """Hong Kong 嘢 folds to 事, which jieba glues to the next word (事关|我们|啥事): with 事 loose (the default rule
    file's ``[matching] loose``) the phrase still matches; a rule file that makes nothing loose does not."""
    assert quotes(language, "disown", "呢啲嘢關我哋咩事啊?") == ["關我哋咩事"]
    strict = csqa.Scorer(site_file(tmp_path / "strict.toml", LEXICONS, "\n[matching]\nloose = []\n"))
    assert not quotes(strict, "disown", "呢啲嘢關我哋咩事啊?")
    assert quotes(strict, "disown", "那又关我们什么事啊?") == ["关我们什么事"]


def documented_rows(root: Path) -> list[tuple[str, str, str, str]]:
    """``(pattern, settings, matches, does not match)`` of every example table of docs/phrases.md."""
    rows = []
    header = "| pattern | settings | matches | does not match | why not |"
    in_table = False
    for line in (root / "docs" / "phrases.md").read_text(encoding="utf-8").splitlines():
        if line == header:
            in_table = True
        elif in_table and line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            pattern, settings, yes, no = cells[0].strip("`"), cells[1].strip("`"), cells[2], cells[3]
            rows.append((pattern, "" if settings == "—" else settings, yes, no))
        elif not line.startswith("|"):
            in_table = False
    return rows


@pytest.fixture(scope="module")
def documented(tmp_path_factory: pytest.TempPathFactory, root: Path) -> tuple[csqa.Scorer, list[tuple[str, str, str, str]]]:
    rows = documented_rows(root)
    text = ['extends = "default"']
    for n, (pattern, options, _, _) in enumerate(rows):
        text += [f"[lexicon.t-doc-{n}]", f'label = "doc {n}"', f"variants = [{_toml(pattern)}]"]
        text += [f"{key} = {_toml(value)}" for key, value in tomllib.loads(f"x = {{ {options} }}")["x"].items()]
    path = tmp_path_factory.mktemp("doc") / "doc.toml"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return csqa.Scorer(path), rows


def test_every_example_of_the_documentation_holds(documented: tuple[csqa.Scorer, list[tuple[str, str, str, str]]]) -> None:
    scorer, rows = documented
    assert len(rows) >= 30
    wrong = []
    for n, (pattern, options, yes, no) in enumerate(rows):
        if not quotes(scorer, f"doc-{n}", yes):
            wrong.append(f"{pattern} [{options}] does not find {yes}")
        if quotes(scorer, f"doc-{n}", no):
            wrong.append(f"{pattern} [{options}] finds {no}")
    assert not wrong, "\n".join(wrong)


# --- regular expressions ------------------------------------------------------------------------------


def test_regex_hits_map_back_to_the_original_text(language: csqa.Scorer) -> None:
    ((hit, said),) = hits(language, "job-number", "好的，我的工號是12345。")
    assert said == "工號是12345" and hit.phrase == "工号是12345" and hit.pattern == "re:工号是?\\d{3,6}"
    assert quotes(language, "job-number", "工号，嗯，１２３４５") == ["工号，嗯，１２３４５"]
    assert not quotes(language, "job-number", "工号12")


def test_regex_hits_keep_the_familys_token_boundaries(language: csqa.Scorer) -> None:
    assert quotes(language, "three-digits", "尾号是123") == ["123"]
    assert not quotes(language, "three-digits", "尾号是1234567")  # 123 ends inside the number


def test_regex_sources_fold_traditional_characters_and_ignore_case(language: csqa.Scorer) -> None:
    assert quotes(language, "traditional-regex", "电话13800") == ["电话13800"]
    assert quotes(language, "latin-regex", "您是vip3会员") == ["vip3"]


def test_regular_expressions_are_never_matched_by_sound(language: csqa.Scorer) -> None:
    assert quotes(language, "goodbye-regex", "好的再见") == ["再见"]
    assert not quotes(language, "goodbye-regex", "好的在见")


def test_a_pathological_regex_runs_in_linear_time() -> None:
    """(a+)+b backtracks exponentially in Python's re; RE2 is linear, so this returns at once."""
    index = PhraseIndex(
        [PhraseFamily("evil", ("re:(a+)+b", "re:a.*b|a"), boundary="char")],
        placeholders={}, normalizer=Normalizer(), sounds=SoundTable(),
    )
    key = "a" * 100_000
    (found,) = index.candidates([key], [[0, len(key)]])
    # (a+)+b never matches; a.*b|a matches every a, and only the first MAX_REGEX_MATCHES are looked at
    assert [c[2][2] for c in found["evil"]] == ["re:a.*b|a"] * MAX_REGEX_MATCHES


def test_a_regex_match_that_starts_inside_a_word_is_searched_again_from_the_next_word() -> None:
    """RE2 finds the leftmost match; one starting in the middle of 您好 is no hit, but the organisation name
    after it is, so the search goes on from the next word boundary after that start."""
    index = PhraseIndex(
        [PhraseFamily("org", (r"re:[^您]\p{Han}{1,8}中心",))],
        placeholders={}, normalizer=Normalizer(), sounds=SoundTable(),
    )
    key = "您好仁和医院预约中心"
    (found,) = index.candidates([key], [[0, 2, 4, 6, 8, 10]])
    assert [key[start:end] for start, end, *_ in found["org"]] == ["仁和医院预约中心"]


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("还有{~0}帮您", "N from 1 to 20"),
        ("还有{~21}帮您", "N from 1 to 20"),
        ("还有{~x}帮您", "is not a gap"),
        ("{~4}帮您", "starts with a gap"),
        ("还有{~4}", "ends with a gap"),
        ("还有{~4}{~2}帮您", "two gaps in a row"),
        ("{|还有}{~4}帮您", "part 1 of"),
        ("还有{~4}{nobody}", "unknown placeholder {nobody}"),
        ("re:", "empty regular expression"),
        ("re:工号(\\d+", "is not a valid regular expression"),
        ("re:(?<=工号)\\d+", "no look-around"),
        ("re:\\d*", "can match the empty string"),
        ("re:工号|", "can match the empty string"),
        ("re:\\b", "can match the empty string"),
        ("，。", "no letters or characters"),
    ],
)
def test_bad_patterns_are_refused_with_a_clear_message(pattern: str, message: str) -> None:
    with pytest.raises(PatternError) as info:
        check_pattern(pattern, PLACEHOLDERS)
    assert message in str(info.value)
    if "placeholder" not in message and "letters" not in message:
        assert repr(pattern) in str(info.value)  # the message names the pattern


@pytest.mark.parametrize(
    "pattern", ["还有{~7}帮{|到}{您|你}", "{company}{~4w}{department}", "还有{~20}帮您", "re:工号\\d{3,6}", "re:電話\\d+"]
)
def test_good_patterns_pass(pattern: str) -> None:
    check_pattern(pattern, PLACEHOLDERS)


def test_context_phrases_are_plain_patterns() -> None:
    for pattern in ("我们{~2}不", "re:我们"):
        with pytest.raises(PatternError, match="unless_before / unless_after"):
            check_pattern(pattern, PLACEHOLDERS, context=True)


def test_a_rule_file_reports_bad_patterns_with_file_and_path(tmp_path: Path) -> None:
    path = site_file(tmp_path / "site.toml", {
        "gap": {"variants": ["还有帮您", "还有{~30}帮您"]},
        "edge": {"variants": ["{~3}帮您"]},
        "regex": {"variants": ["re:工号(\\d+"]},
        "empty": {"variants": ["re:\\d*"]},
        "context": {"variants": ["保证"], "unless_before": ["我们{~2}不"]},
    }, '\n[script.greeting.parts.offer]\nunless_after = ["re:吗"]\n')
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    by_path = {p.path: p for p in info.value.problems}
    assert set(by_path) == {
        "lexicon.t-gap.variants[1]", "lexicon.t-edge.variants[0]", "lexicon.t-regex.variants[0]",
        "lexicon.t-empty.variants[0]", "lexicon.t-context.unless_before[0]",
        "script.greeting.parts.offer.unless_after[0]",  # context phrases are checked in every table
    }
    assert all(p.file.endswith("site.toml") for p in info.value.problems)
    assert "N from 1 to 20" in by_path["lexicon.t-gap.variants[1]"].message
    assert "can match the empty string" in by_path["lexicon.t-empty.variants[0]"].message


def test_a_script_line_is_checked_against_gapped_and_regex_variants(tmp_path: Path) -> None:
    # the further-help line is 请问还需要其它的帮助吗?: 请问 and 帮助 are six characters apart
    def offer(variants: list[str]) -> list[csqa.RuleProblem]:
        text = '\n[script.further-help.parts.offer]\nlabel = "offer"\nvariants = ' + _toml(variants) + "\n"
        try:
            load_rules(site_file(tmp_path / "site.toml", {}, text))
        except RuleFileError as exc:
            return exc.problems
        return []

    assert not offer(["请问{~6}帮助"])
    assert not offer(["请问{~2w}帮助"])  # no tokenizer at load: a word gap only needs its parts in order
    assert not offer(["re:需要.{2,4}帮助"])
    for variants in (["请问{~5}帮助"], ["帮助{~6}请问"], ["re:需要帮助"]):
        (problem,) = offer(variants)
        assert problem.path == "script.further-help.parts.offer" and "does not contain any variant" in problem.message


def test_compiled_patterns_report_their_parts() -> None:
    compiled = compile_pattern("{还有|有}{~4}{问题|需要}{~6w}{帮|处理}", PLACEHOLDERS)
    assert [[phrase for phrase, _ in part] for part in compiled.parts] == [["还有", "有"], ["问题", "需要"], ["帮", "处理"]]
    assert compiled.gaps == (Gap(4, False), Gap(6, True)) and compiled.regex is None


# --- the join, against every chain ----------------------------------------------------------------------


def _words_between(sizes: list[int], end: int, start: int) -> int:
    """How many words hold a character of key[end:start]."""
    return len({bisect_right(sizes, offset) - 1 for offset in range(end, start)})


def _brute_force(parts: list[dict[tuple[int, int], bool]], gaps: list[Gap], sizes: list[int]) -> list[tuple[int, int, bool]]:
    """For every span of the last part that some chain of the parts reaches: the latest first start of such
    a chain, and whether a chain with that start was found exactly throughout."""
    best: dict[tuple[int, int], tuple[int, bool]] = {}
    for chain in product(*(sorted(p) for p in parts)):
        if all(
            a[1] <= b[0] and (_words_between(sizes, a[1], b[0]) if gap.words else b[0] - a[1]) <= gap.size
            for gap, a, b in zip(gaps, chain, chain[1:])
        ):
            value = (chain[0][0], all(p[span] for p, span in zip(parts, chain)))
            best[chain[-1]] = max(best.get(chain[-1], value), value)
    return sorted((start, last[1], exact) for last, (start, exact) in best.items())


spans = st.dictionaries(
    st.tuples(st.integers(0, 30), st.integers(1, 3)).map(lambda t: (t[0], t[0] + t[1])), st.booleans(), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(spans, min_size=2, max_size=3),
    gaps=st.lists(st.builds(Gap, st.integers(1, 5), st.booleans()), min_size=2, max_size=2),
    cuts=st.sets(st.integers(1, 32)),
)
def test_joining_finds_the_best_chain_for_every_last_part(
    parts: list[dict[tuple[int, int], bool]], gaps: list[Gap], cuts: set[int]
) -> None:
    sizes = sorted({0, 33, *cuts})  # word boundaries of a 33-character key
    gaps = gaps[: len(parts) - 1]
    assert sorted(_chain(parts, gaps, sizes)) == _brute_force(parts, gaps, sizes)
