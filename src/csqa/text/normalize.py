"""Normalisation for matching, keeping every character where it was.

Call text arrives in Simplified or Traditional characters, with full- or half-width letters and digits, and
Chinese or ASCII punctuation. Checks compare against the script in one canonical form: Simplified, half
width, ASCII punctuation, lower-case Latin letters. Evidence, though, must quote the *original* text, so the
canonical form is built character for character: ``normalize(text)[i]`` always stands for ``text[i]``, and an
offset in the normalised text is the same offset in the original. Where OpenCC would convert a phrase into a
string of another length (it never does for ``t2s`` today, but its dictionaries are data), the conversion
falls back to one character at a time so the one-to-one map still holds.

Hong Kong calls written in Cantonese have their function words folded the same way (佢→他, 哋→们, 冇→没,
係→是, 唔→不, 嘅→的, 咗→了, 喺→在, 俾→给, 睇→看, 乜嘢→什么…), so the manual's phrases match them and evidence
still quotes the Cantonese.
"""

from __future__ import annotations

import re
import threading

import opencc

__all__ = ["Normalizer"]

# Cantonese written in Hong Kong (佢哋冇收到, 唔係我哋嘅問題): its function words folded to the Mandarin the rules are
# written in, one character for one, after OpenCC has made the text Simplified. Pairs first (their second
# character would fold otherwise), then single characters; 唔 and 係 by their neighbours (below).
_CANTONESE_PAIRS = {
    # 唔該 before 俾 (give) asks for something (唔該你俾你嘅手機號碼我: please give me…); elsewhere it thanks
    "唔该你俾": "麻烦你给", "唔该你畀": "麻烦你给", "唔该俾": "麻烦给", "唔该畀": "麻烦给",
    "唔该": "谢谢", "唔使": "不用", "乜嘢": "什么", "点解": "为何", "边度": "哪里", "边个": "哪个", "边位": "哪位",
    "咁样": "这样", "噉样": "这样", "点知": "怎知", "点样": "怎样", "唔得": "不行",
    "呢个": "这个", "呢度": "这里", "呢间": "这间",  # 呢 as a demonstrative; alone it is Mandarin's particle
    "听日": "明日", "琴日": "昨日", "尋日": "昨日", "寻日": "昨日",  # 聽日 tomorrow, 琴日 / 尋日 yesterday
}
_CANTONESE = str.maketrans({
    "佢": "他", "哋": "们", "冇": "没", "咩": "啥", "嘅": "的", "咗": "了", "喺": "在", "俾": "给", "畀": "给",
    "睇": "看", "啲": "些", "乜": "啥", "咁": "这", "噉": "这", "揾": "找", "嚟": "来", "嘢": "事",
    "嘈": "吵",  # 同我嘈有咩用 (跟我吵有什么用); Mandarin's 嘈杂 reads 吵杂, which no phrase needs
})
_CANTONESE_CHARS = re.compile("[" + "".join(sorted({*"".join(_CANTONESE_PAIRS), *map(chr, _CANTONESE), "唔"})) + "係仲]|系咪")
_BEFORE_SHI = set("事真確确其老誠诚現现落證证核屬属充踏結结")  # 事實係, 其實係 …: 实 of a Mandarin word, not 實係 (肯定)
_NOT_BEFORE_ZHONG = set("裁夏秋春冬介")  # 仲裁, 仲夏 …: Mandarin words; elsewhere Cantonese 仲 is 还 (仲有冇, 仲未到)
_NOT_AFTER_XI = set("关联连维体派世直旁")  # 关系, 联系 …: Traditional Mandarin's 係 is 系, not Cantonese 是
_NOT_BEFORE_XI = set("统統列数數主")  # 系统, 系列 …: a Simplified 系 that starts a Mandarin word
_NOT_BEFORE_DEI = set("址方点點区區铁鐵图圖下板面段铺舖盘盤产產契位球")  # 你地址 …: 地 of a Mandarin word, not 哋


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII block
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    for code in range(0xFF21, 0xFF3B):  # full-width capitals fold straight to lower case
        table[code] = chr(code - 0xFEE0 + 32)
    punctuation = {
        "、": ",", "。": ".", "｡": ".", "“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"',
        "『": '"', "』": '"', "《": "<", "》": ">", "〈": "<", "〉": ">", "【": "[", "】": "]", "〔": "[",
        "〕": "]", "…": ".", "—": "-", "–": "-", "～": "~", "·": ".", "\u00a0": " ", "\t": " ",
        "\r": " ", "\n": " ",
    }
    for src, dst in punctuation.items():
        table[ord(src)] = dst
    return table


_FOLD = _fold_table()


def _runs_of(codes: list[int]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(codes)) + "]+")


_FOLDED = _runs_of(list(_FOLD))
_FOLDED_KEEP_LINES = _runs_of([code for code in _FOLD if code != ord("\n")])


def _fold(text: str, runs: re.Pattern[str]) -> str:
    """``text.translate(_FOLD)``, translating only the runs of characters that change.

    Call text is mostly Chinese characters the fold leaves alone. ``str.translate`` would look every one of
    them up in a table of 65,000 code points, which pushes jieba's dictionary out of the processor's cache;
    a regular expression finds the few runs that change (punctuation, full-width letters) and only they are
    translated.
    """
    return runs.sub(_translate_run, text)


def _translate_run(run: re.Match[str]) -> str:
    return run[0].translate(_FOLD)


class Normalizer:
    """Traditional→Simplified, width and punctuation folding, one output character per input character.

    OpenCC converters are not picklable and are cheap to rebuild, so the converter is created lazily per
    process and guarded by a lock for first use from several threads.
    """

    __slots__ = ("_converter", "_lock")

    def __init__(self) -> None:
        self._converter: opencc.OpenCC | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self._converter = None
        self._lock = threading.Lock()

    def _opencc(self) -> opencc.OpenCC:
        if self._converter is None:
            with self._lock:
                if self._converter is None:
                    self._converter = opencc.OpenCC("t2s")
        return self._converter

    def __call__(self, text: str) -> str:
        folded = _fold(text, _FOLDED)
        if folded.isascii():
            return folded
        converted = self._convert(folded)
        if len(converted) != len(folded):
            converted = "".join(self._char(ch) for ch in folded)
        return _cantonese(text, converted)

    def many(self, texts: list[str]) -> list[str]:
        """``[self(t) for t in texts]``, with one fold and one OpenCC call for all of them (a call's utterances).

        The texts are joined by line breaks, folded by a table that keeps the joins, converted once and split
        again. A text with a line break of its own, or a conversion that does not give back texts of the
        same lengths, sends every text through ``self`` one at a time instead.
        """
        joined = "\n".join(texts)
        if joined.count("\n") != len(texts) - 1:
            return [self(text) for text in texts]
        folded = _fold(joined, _FOLDED_KEEP_LINES)
        if folded.isascii():
            return folded.split("\n")
        converted = self._convert(folded).split("\n")
        if len(converted) == len(texts) and all(len(a) == len(b) for a, b in zip(converted, texts)):
            return [_cantonese(text, out) for text, out in zip(texts, converted)]
        return [self(text) for text in texts]

    def _convert(self, text: str) -> str:
        try:
            converted: str = self._opencc().convert(text)
        except (UnicodeError, ValueError, RuntimeError):
            return "".join(self._char(ch) for ch in text)
        return converted

    def _char(self, ch: str) -> str:
        try:
            out = self._opencc().convert(ch)
        except (UnicodeError, ValueError, RuntimeError):
            return ch
        return out if len(out) == 1 else ch


def _cantonese(original: str, text: str) -> str:
    """``text`` (the Simplified form of ``original``) with Cantonese function words folded to Mandarin, one
    character for one. 唔 is 不 before another character (唔系, 唔好) but a hesitation sound on its own; 係 is 是
    where the original wrote the Traditional 係 outside a word such as 關係, and so is the Simplified 系 raw ASR writes
    for it (冇記錄就系冇記錄) outside 关系, 系统 and their like; the 咪 of 係咪 is 吗, the 話 of 係話 / 佢話 is 说, and 實係
    on its own (not 事實係, 其實係) is 肯定; 仲 is 还 (仲有冇其他嘢) outside a Mandarin word such as 仲裁; the 地 of 我地,
    你地, 佢地 (informal writing's 哋) is 们, outside 你地址 and its like. Only text with a Cantonese word is folded."""
    if _CANTONESE_CHARS.search(original) is None:
        return text
    for pair, mandarin in _CANTONESE_PAIRS.items():
        text = text.replace(pair, mandarin)
    chars = list(text.translate(_CANTONESE))
    for i, ch in enumerate(original):
        if ch == "係" and (i == 0 or chars[i - 1] not in _NOT_AFTER_XI):
            chars[i] = "是"
            following = original[i + 1 : i + 2]
            if following == "咪":  # 係咪 (是不是), the Cantonese tag question
                chars[i + 1] = "吗"
            elif following in ("話", "话"):  # 你係話 (你是说): 話 is 说 after 係 and 佢, not in 电话 or 的话
                chars[i + 1] = "说"
            if i and original[i - 1] in "實实" and (i < 2 or original[i - 2] not in _BEFORE_SHI):  # 實係: definitely
                chars[i - 1], chars[i] = "肯", "定"
        elif ch == "系" and original[i + 1 : i + 2] == "咪":  # raw ASR writes the tag 係咪 with a Simplified 系
            chars[i], chars[i + 1] = "是", "吗"
        elif (ch == "系" and (i == 0 or chars[i - 1] not in _NOT_AFTER_XI)
              and original[i + 1 : i + 2] not in _NOT_BEFORE_XI):  # raw ASR's 系 for 係 (就系, 我系Ada), not 系统
            chars[i] = "是"
        elif (ch == "地" and i and original[i - 1] in "我你佢"
              and original[i + 1 : i + 2] not in _NOT_BEFORE_DEI):  # 我地, 你地, 佢地: informal 哋 (我們), not 你地址
            chars[i] = "们"
        elif ch == "佢" and original[i + 1 : i + 2] in ("話", "话"):
            chars[i + 1] = "说"
        elif ch == "仲" and (i + 1 == len(chars) or chars[i + 1] not in _NOT_BEFORE_ZHONG):
            chars[i] = "还"
        elif chars[i] == "唔" and i + 1 < len(chars) and "\u4e00" <= chars[i + 1] <= "\u9fff" and chars[i + 1] != "唔":
            chars[i] = "不"
    return "".join(chars)
