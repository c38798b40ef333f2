"""``restate-question``: after the customer states their matter, the agent restates it before answering.

The manual's step is "顾客陈述完毕后,根据记录询问'您是咨询有关**的问题,是吗?'。顾客确认后再进行耐心解答". The
check therefore needs three things from the transcript: where the customer's matter is stated, whether an
agent utterance restates it *and* asks for confirmation, and whether that happened before the agent started
answering. Spotting 是吗 is not enough: the restatement must share content with what the customer said
(a shared content word, or a fuzzy match of the remaining words above a threshold).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz

from csqa.checks.base import Check, Context
from csqa.outputs.report import CheckResult
from csqa.text.doc import ContentWord, UtteranceDoc
from csqa.text.phrases import PhraseHit

# The check, and the pieces of it the live restatement alert (csqa.scoring.live) judges with, so that live and the
# report agree.
__all__ = [
    "RESTATE_CHECK", "RestateParams", "answers_after", "closes_call", "context_of", "core_tokens", "has_substance", "is_matter",
    "is_restatement", "is_waypoint", "restates_statement", "shares_content", "spans_of", "takes_correction",
    "withdraws_matter",
]


_SENTENCE_ENDS = frozenset("。.!?！？")   # normalisation folds 。 to .
"""Where a sentence ends; not a semicolon, which joins the parts of one (您是上个月重复还款,想问能不能退回;另外想修改账单
日,对吗? restates two matters in one sentence)."""
_QUALIFIERS = "没不未还已都也就又再"
"""Characters jieba glues to the front of a verb (没开, 已收, 还没), stripped when an answer is compared with the agent's
question it echoes."""
_FUNCTION_CHARS = frozenset("的了是吗呢吧啊呀我你您他她它们这那个在有")
"""Characters too common to make a shared pair of characters a shared word (的钱, 我的)."""
_NUMBER = re.compile("[0-9a-z零〇一二三四五六七八九十百千万两幺]+")
"""A number or code as read back (SJ八八一零…, 1023): no matter restated."""


class RestateParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_matter_chars: Annotated[int, Field(ge=1)] = 3
    min_shared_words: Annotated[int, Field(ge=1)] = 1
    min_shared_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    fuzzy_threshold: Annotated[float, Field(ge=0, le=100)] = 70.0
    topic_chars: Annotated[int, Field(ge=2)] = 12
    min_correction_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    news_check_chars: Annotated[int, Field(ge=0)] = 3
    answer_first_chars: Annotated[int, Field(ge=1)] = 8
    sympathy_slack_chars: Annotated[int, Field(ge=0)] = 4
    """An agent utterance of sympathy answers nothing when at most this many content characters are neither sympathy,
    courtesy nor the customer's own words (天哪,猫咪拉肚子真的让人揪心: 猫咪)."""
    min_tag_chars: Annotated[int, Field(ge=1)] = 4
    """A restatement by its tag alone (no 您是说…) has at least this many content characters before the tag: 家财险
    是吧 echoes a word before answering; 想换成四十三码,是吗 restates."""


def _core_words(ctx: Context, u: UtteranceDoc, skip: list[tuple[int, int]]) -> list[ContentWord]:
    """Content words of an utterance with their spans: no stopwords, nothing inside the ``skip`` content-key
    spans."""
    return [
        (word, start, end)
        for word, start, end in u.content
        if word not in ctx.stopwords and not any(s < end and start < e for s, e in skip)
    ]


def core_tokens(ctx: Context, u: UtteranceDoc, skip: list[tuple[int, int]]) -> list[str]:
    """Content words of an utterance: no stopwords, nothing inside the ``skip`` content-key spans."""
    return [word for word, _, _ in _core_words(ctx, u, skip)]


def spans_of(ctx: Context, u: UtteranceDoc, *families: str) -> list[tuple[int, int]]:
    return [(h.start, h.end) for family in families for h in ctx.doc.hits(u, family)]


def has_substance(ctx: Context, u: UtteranceDoc) -> bool:
    """Whether a customer utterance says something beyond greetings and acknowledgements (a content word)."""
    return bool(core_tokens(ctx, u, spans_of(ctx, u, "lexicon.non-matter")))


def is_matter(ctx: Context, u: UtteranceDoc, params: RestateParams) -> bool:
    """Whether a customer utterance states a matter: enough content words beyond greetings and answers (fewer
    when it asks or requests: 我想问一下退货); on a callback, only a question or request of the customer's own,
    since there the agent asks the questions, and with no more than the agent's own words echoed (哦,驾校啊,啥事?
    after 这里是通途驾校客服部)."""
    skip = spans_of(ctx, u, "lexicon.non-matter", "lexicon.line-check")
    words = _core_words(ctx, u, skip)
    if ctx.doc.call.direction == "outbound" and u.index and ctx.doc.utterances[u.index - 1].speaker == "agent":
        echoed = _substrings(ctx.doc.utterances[u.index - 1].key, max((len(w[0]) for w in words), default=0))
        # an echo negated or qualified is still an echo (是否已经开卡? — 还没开: jieba's 没开)
        words = [w for w in words if w[0] not in echoed and (w[0].lstrip(_QUALIFIERS) or w[0]) not in echoed]
    core = "".join(word for word, _, _ in words)
    asks = _asks(ctx, u, words) or any(not _trails_off(ctx, u, hit) for hit in ctx.doc.hits(u, "lexicon.customer-matter"))
    if len(core) < (2 if asks else params.min_matter_chars):
        return False
    if ctx.doc.call.direction == "inbound":
        return True
    # on a callback, whether the agent's news has come true (钱退了吗, 找到了吗 after 跟您同步一下进展) asks after the
    # agent's own topic, in a word or two: no matter of the customer's own
    news = ctx.doc.utterances[u.index - 1].speaker == "agent" if u.index else False
    if news and len(core) <= params.news_check_chars and ctx.lexicon_hit(u, "news-check") is not None:
        return False
    return asks


def _trails_off(ctx: Context, u: UtteranceDoc, hit: PhraseHit) -> bool:
    """Whether a customer utterance breaks off right after a sign of a matter, before saying what it is (我想问一下
    那个……): nothing but stop words after the sign and an ellipsis or dash at the end. The matter comes next."""
    return u.utterance.text.rstrip().endswith(("…", "...", "—", "-")) and not ctx.says_beyond_covered(u, None, hit.end)


def _substrings(text: str, longest: int) -> set[str]:
    """Every substring of ``text`` up to ``longest`` characters (at most 8: a longer word is never taken for an echo), in
    time linear in ``text``."""
    size = min(longest, 8)
    return {text[i : i + n] for i in range(len(text)) for n in range(1, size + 1)}


def _asks(ctx: Context, u: UtteranceDoc, core: list[ContentWord]) -> bool:
    """Whether a customer utterance asks something: a question at its end, or a clause with words of substance
    (``core``) ended by a question mark, or by 吗 in raw ASR, before it (对了,你们那边附近有地方停车吗?上次绕了好久;
    not 啊?满意啊); not a
    retort that only defends the customer's answer (我就觉得五分,不行吗?) or objects to the agent's manner, at the end
    or before it (你这人怎么说话的?我说了不需要)."""
    text = u.norm
    closing = [len(text)] * (len(text) + 1)  # closing[i]: where the clause running through text offset i ends
    for position in range(len(text) - 1, -1, -1):
        closing[position] = closing[position + 1] if text[position].isalnum() else position
    retorts = ctx.doc.hits(u, "lexicon.retort")
    asked = sum(
        len(word) for word, start, end in core
        if (((mark := closing[u.key_map[end - 1] + 1]) < len(text) - 1 and text[mark] == "?")
            or _asked_unmarked(u, start))
        and not any(hit.start <= start and end <= hit.end for hit in retorts)  # 你这人怎么说话的?我说了不需要
    )
    if asked >= 2:
        return True
    if not u.is_question:
        return False
    return not retorts or retorts[-1].end < len(u.key) or u.clause_start(retorts[-1].start) != retorts[-1].start


def _asked_unmarked(u: UtteranceDoc, start: int) -> bool:
    """Whether the clause holding content-key offset ``start`` is a question raw ASR left unmarked: it ends in 吗
    before another clause (那我那个首充礼包还能补吗 当时没到账), the last clause being read by ``is_question``."""
    end = u.clause_end(start)
    return end < len(u.key) and u.key[end - 1 : end] == "吗"


def _reads_back(ctx: Context, u: UtteranceDoc) -> bool:
    """Whether a confirmation only reads a number back (您的单号是SJ八八一零二三四五六七,是吗?): besides the lead or
    tag, stop words and what the number is (``[lexicon.read-back]``: 单号, 手机号, 卡号…), nothing but the number; or
    only the details the customer has just given in answer to a question that asked for them (请问您的姓名和航班号? —
    唐小雨,航班是YN八八零一 — 唐小雨女士,YN八八零一,是吧?): every word in that answer, or a form of address."""
    words = _core_words(ctx, u, spans_of(ctx, u, ctx.family("lead"), ctx.family("tag"), "lexicon.read-back",
                                         "lexicon.address"))
    if not words:
        return False
    if all(_NUMBER.fullmatch(word) or _masked(u, end) for word, _, end in words):
        return True
    utterances = ctx.doc.utterances
    if u.index < 2 or utterances[u.index - 1].speaker != "customer" or utterances[u.index - 2].speaker != "agent":
        return False
    answer, asked = utterances[u.index - 1], utterances[u.index - 2]
    # the question named what it asked for in its own clause (请问您的姓名和航班号?), not in a greeting's other clause
    # (华翔航空客服中心,工号3306,请问有什么可以帮您?)
    questions = {asked.clause_start(hit.start) for hit in ctx.doc.hits(asked, "lexicon.clarifying-question")}
    return (any(asked.clause_start(hit.start) in questions for hit in ctx.doc.hits(asked, "lexicon.read-back"))
            and all(_NUMBER.fullmatch(word) or word in answer.key for word, _, _ in words))


def _masked(u: UtteranceDoc, end: int) -> bool:
    """Whether the word ending at content-key offset ``end`` is read back masked (机主姓名徐**, 138****5521)."""
    at = u.key_map[end - 1] + 1
    return u.norm[at : at + 1] in ("*", "＊")


def is_restatement(ctx: Context, u: UtteranceDoc, params: RestateParams, heard: Sequence[UtteranceDoc] = ()) -> bool:
    """A restatement lead (您是说…), or a confirmation tag that ends its clause (…,是吗?) after enough words to name
    a matter (``min_tag_chars``): a 是不是 inside a sentence (您再核对一下,看是不是还开着) asks something else, and a
    number read back (您的单号是…,是吗?) checks a detail."""
    if _reads_back(ctx, u):
        return False
    lead = ctx.find_part([u], "lead")
    if lead is not None:
        return (not _lead_alone(ctx, u, lead[1]) and not _answered_first(ctx, u, lead[1].start, params, heard)
                and not _told_not_asked(ctx, u, lead[1], params))
    return any(
        u.ends_clause(hit.end) and hit.start >= params.min_tag_chars and not _answered_first(ctx, u, hit.start, params, heard)
        for hit in ctx.doc.hits(u, ctx.family("tag"))
    )


def _lead_alone(ctx: Context, u: UtteranceDoc, lead: PhraseHit) -> bool:
    """Whether an utterance says nothing after its restatement lead (亲 跟您确认下哈): a chat message that announces the
    restatement the next message makes; it restates nothing itself and answers nothing."""
    covered = ctx.covered(u, "lexicon.address", "lexicon.backchannel", "lexicon.courtesy-reply")
    return not ctx.says_beyond_covered(u, covered, lead.end)


def _told_not_asked(ctx: Context, u: UtteranceDoc, lead: PhraseHit, params: RestateParams) -> bool:
    """Whether a restatement by its lead alone is said, not asked, and the agent goes straight on to answer (您说的是会员
    自动续费扣款的问题。这个自动续费是您开通会员时默认勾选的…): no confirmation tag ends a clause, the lead's sentence
    ends without a question mark, and what follows it says at least ``answer_first_chars`` of its own. The customer was
    never asked to confirm; a restatement said as a statement and left for the customer to answer still asks."""
    if any(u.ends_clause(hit.end) for hit in ctx.doc.hits(u, ctx.family("tag"))):
        return False
    text = u.norm
    begin = u.key_map[lead.start] if lead.start < len(u.key_map) else len(text)
    end = next((i for i in range(begin, len(text)) if text[i] in _SENTENCE_ENDS), None)
    if end is None or text[end] in "?？":
        return False
    return _answers_from(ctx, u, bisect_left(u.key_map, end), params)


def _said_beyond(ctx: Context, u: UtteranceDoc, covered: set[int], start: int, stop: int, theirs: str = "") -> int:
    """Content characters of ``u`` in words starting within content-key ``[start, stop)`` that are not stop words,
    letters or digits (a waybill number read back), inside ``covered``, or (two characters or more) the customer's own
    words (``theirs``): what an agent utterance says of its own there, weighed against ``answer_first_chars``."""
    return sum(end - begin for word, begin, end in u.content
               if start <= begin < stop and word not in ctx.stopwords and not word.isascii()
               and not covered.issuperset(range(begin, end)) and not (len(word) >= 2 and word in theirs))


def _answered_first(ctx: Context, u: UtteranceDoc, marker: int, params: RestateParams,
                    heard: Sequence[UtteranceDoc] = (), *, clause: bool = False) -> bool:
    """Whether an utterance answers in a sentence before the one holding its restatement's lead or tag (降压药可以用
    一小口水送服,不影响胃镜的。您是问降压药能不能吃,对吧): a sentence before it with at least ``answer_first_chars``
    content characters beyond courtesies, back-channels, the greeting's parts, questions for details and talk of
    looking something up, and no sympathy in it (真的很抱歉让您经历这么糟糕的一趟行程。您是说… apologises first). The
    sentence, not the clause: a restatement may run over several clauses. Letters and digits (a waybill number read
    back) are no answer, nor is a question, talk about the line, or a sentence that only names the record found
    (:func:`_reads_record`). With ``clause`` the clauses before the marker's count as one more sentence: a request for
    details (麻烦…, 请问…) ends its own clause, and what comes before it in the sentence may already answer."""
    text = u.norm
    at = u.key_map[marker] if marker < len(u.key_map) else len(text)
    ends = _sentence_ends(text, at)
    if clause and 0 < (begins := u.clause_start(marker)) < len(u.key_map) and (not ends or u.key_map[begins] > ends[-1]):
        ends.append(u.key_map[begins] - 1)  # the clauses before the marker's, as well as whole sentences
    if not ends:
        return False   # 35.5元 is a number, not a sentence's end
    covered = ctx.covered(u, "lexicon.courtesy-reply", "lexicon.backchannel", "lexicon.clarifying-question",
                          "lexicon.holding-talk", "lexicon.invitation", "lexicon.line-trouble", "script.greeting.greet",
                          "script.greeting.identify", "script.greeting.offer")
    sympathy = [hit.start for family in ("lexicon.empathy", "lexicon.address") for hit in ctx.doc.hits(u, family)]
    found = [hit.start for hit in ctx.doc.hits(u, "lexicon.record-found")]
    causes = [hit.start for hit in ctx.doc.hits(u, "lexicon.cause")]
    # the customer's own words repeated (明白,您家有老人在用制氧机,这个情况很重要。我跟您确认一下…) answer nothing
    theirs = "".join(h.key for h in heard)
    start = 0
    for end in ends:
        stop = bisect_left(u.key_map, end)
        if (text[end] not in "?？"   # a question before it (光猫和路由器是放在一起的吗?) asks, it answers nothing
                and _said_beyond(ctx, u, covered, start, stop, theirs) >= params.answer_first_chars
                and not any(start <= at_ < stop for at_ in sympathy)
                and not _reads_record(ctx, u, covered, start, stop, found, causes)):
            return True
        start = stop
    return False


def _sentence_ends(text: str, stop: int) -> list[int]:
    """Where sentences end in ``text[:stop]``: not at the point of a number (35.5元, 5.4kg)."""
    return [i for i in range(stop) if text[i] in _SENTENCE_ENDS
            and not (text[i] == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())]


def _only_reads_record(ctx: Context, u: UtteranceDoc) -> bool:
    """Whether an utterance of one sentence only names the record the agent found (查到了,是锦绣小区那条宽带; 尾号0931
    这单 …): :func:`_reads_record` over the whole of it, after courtesies, back-channels and forms of address."""
    text = u.norm.rstrip("。.!！ ")
    if _sentence_ends(text, len(text)):
        return False
    found = [hit.start for hit in ctx.doc.hits(u, "lexicon.record-found")]
    if not found:
        return False
    causes = [hit.start for hit in ctx.doc.hits(u, "lexicon.cause")]
    covered = ctx.covered(u, "lexicon.courtesy-reply", "lexicon.backchannel", "lexicon.address", "lexicon.holding-talk")
    return _reads_record(ctx, u, covered, 0, len(u.key), found, causes)


def _reads_record(ctx: Context, u: UtteranceDoc, covered: set[int], start: int, stop: int, found: list[int],
                  causes: list[int]) -> bool:
    """Whether the sentence at content-key ``[start, stop)`` only says which record the agent found (查到了,是锦绣小区
    那条两百兆的宽带。您是说…): it opens with a look-up's result named (``[lexicon.record-found]``: 查到了,是…, 看到了,是…)
    and gives no reason (``[lexicon.cause]``: 查到了,是因为上个月估抄 explains the bill). Naming the account or order
    the customer's details led to checks the detail; the matter is still to be restated."""
    if any(start <= at < stop for at in causes):
        return False
    return any(start <= at < stop and not _said_beyond(ctx, u, covered, start, at) for at in found)


def answers_after(ctx: Context, u: UtteranceDoc, params: RestateParams) -> bool:
    """Whether a restatement goes on to answer after its confirmation tag (您是想咨询续报是吗?续报的话现在有八折优惠,
    在APP里点我的课程就能看到): at least ``answer_first_chars`` content characters after the last tag that ends a
    clause, beyond courtesies, back-channels, questions for details, talk of looking something up and an offer of
    further help (您是问运费是吗?请问您的订单号是多少? only asks)."""
    tags = [hit for hit in ctx.doc.hits(u, ctx.family("tag")) if u.ends_clause(hit.end)]
    return bool(tags) and _answers_from(ctx, u, tags[-1].end, params)


def _answers_from(ctx: Context, u: UtteranceDoc, start: int, params: RestateParams) -> bool:
    """Whether ``u`` answers from content-key offset ``start`` to its end, after a restatement: at least
    ``answer_first_chars`` of its own beyond courtesies, back-channels, questions for details, talk of looking something
    up, sympathy, forms of address and an offer of further help."""
    covered = ctx.covered(u, "lexicon.courtesy-reply", "lexicon.backchannel", "lexicon.clarifying-question",
                          "lexicon.holding-talk", "lexicon.empathy", "lexicon.address", "script.further-help.offer")
    return _said_beyond(ctx, u, covered, start, len(u.key)) >= params.answer_first_chars


def shares_content(ctx: Context, u: UtteranceDoc, said: list[UtteranceDoc], params: RestateParams) -> bool:
    markers = spans_of(ctx, u, ctx.family("lead"), ctx.family("tag"))
    mine = core_tokens(ctx, u, markers)
    theirs = [w for c in said for w in core_tokens(ctx, c, [])]
    mine_text, their_text = "".join(mine), "".join(theirs)
    # a word of the restatement found in the customer's words however jieba cut them (寄回 in 寄|回去)
    shared = {w for w in mine if len(w) >= 2 and w in their_text}
    # The agent's own word for the customer's (联系方式 for 电话): a word of a synonym group in the customer's
    # words, as a word, inside one (two characters or more), or inside a two-character word jieba glued it into
    # (笔钱, 我付).
    glued = {ch for w in theirs if len(w) <= 2 for ch in w}
    shared |= {w for w in mine if any(s in glued or (len(s) >= 2 and s in their_text) for s in ctx.synonyms.get(w, ()))}
    if len(shared) >= params.min_shared_words:
        return True
    if len(mine_text) < 2 or not their_text:
        return False
    in_theirs = sum(1 for ch in mine_text if ch in their_text)
    if in_theirs >= 2 and in_theirs / len(mine_text) >= params.min_shared_share:
        return True
    # A paraphrase keeps the words' roots: 车辆 for 车, 刮蹭 for 刮, 报案 for 报. Words of the restatement
    # that share a character with a word of the customer's count, when there are two or more of them and
    # they are at least min_shared_share of its words.
    rooted = sum(1 for word in mine if any(ch in their_text for ch in word))
    if rooted >= 2 and rooted / len(mine) >= params.min_shared_share:
        return True
    # A customer who said little (为什么?我寄的时候已经付过了) is restated by an agent who names all of it and adds
    # what the customer left unsaid (您是问寄件时已经付过运费,为什么还要补): two or more words of the customer's, each
    # sharing a character with the restatement.
    if len(theirs) >= 2 and all(any(ch in mine_text for ch in word) for word in theirs):
        return True
    if fuzz.partial_ratio(mine_text, their_text) >= params.fuzzy_threshold:
        return True
    # Two characters said together on both sides however jieba cut them (去|水慢 and 去|水好|慢 share 去水): a word
    # neither segmentation kept whole
    covered = {i for start, end in markers for i in range(start, end)}
    stop = {i for word, start, end in u.content if word in ctx.stopwords for i in range(start, end)}
    keys = "|".join(c.key for c in said)
    return any(
        i not in covered and i + 1 not in covered and not (i in stop and i + 1 in stop)
        and "\u4e00" <= u.key[i] <= "\u9fff" and "\u4e00" <= u.key[i + 1] <= "\u9fff"
        and _FUNCTION_CHARS.isdisjoint(u.key[i : i + 2]) and u.key[i : i + 2] in keys
        for i in range(len(u.key) - 1)
    )


def is_waypoint(ctx: Context, u: UtteranceDoc, said: Sequence[UtteranceDoc] = ()) -> bool:
    """An agent utterance that neither answers nor restates: a back-channel, a question for details, talk
    about the line (喂喂,听得到吗?您那边声音断断续续的), or words that end by handing the turn back (您请说): the
    agent has not heard the matter yet. Offering or announcing a transfer is handling the matter. Sympathy may
    repeat the customer's own words (``said``: 理解您的心情,付了钱一直没发货确实着急) and still answer nothing."""
    if ctx.is_backchannel(u) or ctx.lexicon_hit(u, "line-trouble") is not None:
        return True
    lead = ctx.find_part([u], "lead")
    if lead is not None and _lead_alone(ctx, u, lead[1]):
        return True  # 亲 跟您确认下哈: the restatement comes in the next message
    if _only_reads_record(ctx, u):
        return True  # 好的亲 尾号0931这单 渴望六种鱼猫粮5.4kg: the order the details led to, named
    if not ctx.says_beyond(u, "lexicon.courtesy-reply"):
        return True  # 谢谢您一直以来的支持, to a customer who has not come to the matter yet
    # the agent's greeting after a chat customer wrote first (您好,这里是师说教育客户服务中心,很高兴为您服务), or a part of
    # it sent alone (很高兴为您服务)
    greeting = any(ctx.doc.hits(u, f"script.greeting.{part}") for part in ("greet", "identify", "offer"))
    if greeting and not ctx.says_beyond_covered(u, ctx.covered(
            u, "script.greeting.greet", "script.greeting.identify", "script.greeting.offer", "lexicon.courtesy-reply",
            "lexicon.backchannel", "lexicon.address", "lexicon.self-introduction")):
        return True
    # 非常抱歉给您带来不便 / 先生您别着急,我理解您的心情: sympathy, nothing answered yet. Sympathy there must be:
    # 这跟我们没关系 is stop words and a back-channel's 没关系, and it answers.
    uncovered: int | None = None
    if ctx.doc.hits(u, "lexicon.empathy") or ctx.doc.hits(u, "lexicon.address"):
        covered = ctx.covered(u, "lexicon.empathy", "lexicon.address", "lexicon.courtesy-reply", "lexicon.backchannel")
        heard = "".join(h.key for h in said)
        covered.update(i for word, start, end in u.content if len(word) >= 2 and word in heard for i in range(start, end))
        rest = [(word, start, end) for word, start, end in u.content
                if word not in ctx.stopwords and not covered.issuperset(range(start, end))]
        if not rest:
            return True
        if ctx.doc.hits(u, "lexicon.empathy"):  # an address or a sigh alone (阿姨,我们阿姨都是培训过的) is no sympathy
            # words of two characters or more count against the slack below: 请您先 before a precaution says nothing
            uncovered = sum(end - start for word, start, end in rest if len(word) >= 2)
    if ctx.lexicon_hit(u, "transfer-announce") is not None:
        return False  # 我给您转一下好吗? hands the matter on: that is handling it, not asking for details
    if any(hit.end >= u.clause_start(len(u.key) - 1) for hit in ctx.doc.hits(u, "lexicon.invitation")):
        return True  # 陈浩妈妈您好,您请说: the agent hands the turn back, having answered nothing
    if ctx.lexicon_hit(u, "proposal") is not None:
        return False  # 您看一室的行不行: an alternative put to the customer handles the matter
    # Sympathy with a few words of its own besides (孩子学得吃力,家长看着也着急; 请您先暂停使用喔): a feeling shared or a
    # precaution, too short to answer the matter (``sympathy_slack_chars``)
    params = ctx.params
    if uncovered is not None and isinstance(params, RestateParams) and uncovered <= params.sympathy_slack_chars:
        return True
    offer = ctx.doc.first_hit(u, "script.further-help.offer")
    if offer is None and any(hit.end >= u.clause_start(len(u.key) - 1) for hit in ctx.doc.hits(u, "script.greeting.offer")):
        # the greeting's offer said again last (我们这边也是阴天,您出门注意安全。请问今天有什么可以帮您的): the agent invites
        # the matter, so what the customer said before was not it
        return True
    if offer is None:
        asked = ctx.lexicon_hit(u, "clarifying-question")
        if asked is None and not u.is_question:
            return False
        # what comes before the question may already answer (吸尘机如果是有质量问题,收货十四日内可以退,麻烦你给订单号码
        # 我): then the agent answered, and asked for details to act on it
        if asked is None:
            return not (isinstance(params, RestateParams)
                        and _answered_first(ctx, u, u.clause_start(len(u.key) - 1), params, said))
        # a request for details (麻烦…, 请问…) ends its own clause: the clauses before it may answer
        return not (isinstance(params, RestateParams) and _answered_first(ctx, u, asked.start, params, said, clause=True))
    # An utterance that goes on to offer further help (包裹的赔偿我给您登记了…请问还有其他问题吗?) has answered and
    # moves to close the call: its question mark and the 请问 of the offer's clause ask for no details.
    clause = u.clause_start(offer.start)
    return any(hit.end <= clause for hit in ctx.doc.hits(u, "lexicon.clarifying-question"))


def closes_call(ctx: Context, u: UtteranceDoc, said: list[UtteranceDoc]) -> bool:
    """Whether ``u`` only closes a call the customer has closed: nothing but closing talk (好的,感谢您的来电,再见)
    after a customer reply that raises nothing (没有了,就这个) or only checks the line (喂?听得到吗?). A goodbye
    straight after the customer's question dodges the matter and is judged as an answer without a restatement."""
    if not said or ctx.says_beyond(u, "lexicon.closing-talk"):
        return False
    return ctx.is_interjection(said[-1]) or not ctx.says_beyond(said[-1], "lexicon.line-check")


def withdraws_matter(ctx: Context, u: UtteranceDoc) -> bool:
    """Whether a customer utterance ends by putting the matter off (…我问问她再打给你们吧 / 回头再说,先这样 /
    那没事了,不好意思啊): the customer ended the matter before any answer, so whether the agent would have
    restated it cannot be told, and the agent's goodbye is no answer to it. The sign-off need not be the last
    clause, but nothing after it may raise the matter again: no question and no request of the customer's
    (算了,我回头自己在app上催一下吧,你们也忙 withdraws; 回头再说吧,你们到底什么时候修? does not), and a sign-off
    said inside a question is asked about (以后不用了要还吗?)."""
    signoffs = ctx.doc.hits(u, "lexicon.customer-signoff")
    if not signoffs:
        return False
    last = signoffs[-1].end
    # a sign-off inside a question is part of what is asked (以后不用了要还吗?): it puts nothing off
    end = u.clause_end(last - 1)
    if end and (u.key[:end].endswith(("吗", "么")) or u.norm[u.key_map[end - 1] + 1 :].lstrip().startswith("?")):
        return False
    if u.is_question and u.clause_start(len(u.key) - 1) >= last:
        return False
    return not any(hit.start >= last for hit in ctx.doc.hits(u, "lexicon.customer-matter"))


def takes_correction(ctx: Context, u: UtteranceDoc, correction: UtteranceDoc, heard: Sequence[UtteranceDoc],
                     params: RestateParams) -> bool:
    """Whether the agent's next words repeat the customer's correction of its restatement and go no further than
    a question for details (您是想把交费日期从五月改到六月是吗? — 不是五月,是三月 — 好的,从三月改到六月,请问您的保单号
    是多少?): the matter was restated, put right by the customer and taken up, so it is confirmed. The repeat
    must be the first clause of substance, not the announcement of a lookup (我查一下年卡的冻结规则), and the rest may
    only ask: 提速的话,五百兆每个月多二十块 answers the corrected matter without confirming it. Most of the repeat's
    words (``min_correction_share``) must be words already said (the correction, ``heard``: what the customer said
    and the restatement corrected): 酒店超卖的话按规定是由酒店负责安排同级酒店入住的 shares 酒店 and 超卖 with the
    customer, and states a rule."""
    # an apology or a back-channel before the repeat (抱歉,是下周四上午的号) is not its first clause of substance
    covered = ctx.covered(u, "lexicon.backchannel", "lexicon.empathy", "lexicon.address", "lexicon.courtesy-reply")
    words = [w for w in core_tokens(ctx, correction, []) if len(w) >= 2]
    theirs, their_text = set(words), "".join(words)  # joined in the order said: a set's order varies between runs
    first = next(
        (start for word, start, end in u.content
         if word not in ctx.stopwords and not all(i in covered for i in range(start, end))),
        None,
    )
    if first is None:
        return False
    clause = u.clause_start(first)
    ends = u.clause_end(first)
    if any(hit.end > first and hit.start < ends for hit in ctx.doc.hits(u, "lexicon.holding-talk")):
        return False  # 我查一下年卡的冻结规则 names the corrected matter only as what the agent will look up
    # the correction's words however jieba cut them (周四 in 下周四, 一次 in 一次性)
    said = u.key[clause:ends]
    echoed = any(len(word) >= 2 and word in their_text for word, start, _ in u.content if clause <= start < ends) or any(
        w in said for w in theirs)
    if not echoed:
        return False
    known = their_text + "".join(h.key for h in heard)
    repeat = [word for word, start, _ in u.content if clause <= start < ends and len(word) >= 2
              and word not in ctx.stopwords]
    if repeat and sum(word in known for word in repeat) < params.min_correction_share * len(repeat):
        return False
    if ends >= len(u.key):
        return True
    # …and what follows only asks: a question for details, or a question that ends it straight after the repeat
    # (宝宝退烧以后还有没有咳嗽); an answer between them (疫苗的话周二到周日都可以 上午九点到十二点 您看哪天呗) answers
    if u.is_question and u.clause_start(len(u.key) - 1) <= ends:
        return True
    asks = next((hit.start for hit in ctx.doc.hits(u, "lexicon.clarifying-question") if hit.start >= ends), None)
    if asks is None:
        return False
    # nothing of substance between the repeat and the question (好的,航班取消属于非自愿退票,不收手续费。请问您的订单号?
    # answers before it asks)
    # a clause that announces a look-up (我先帮您看一下账户状态) only says what comes next, whatever it names
    lookups = {u.clause_start(hit.start) for hit in ctx.doc.hits(u, "lexicon.holding-talk")}
    return not any(ends <= start < asks and word not in ctx.stopwords and not all(i in covered for i in range(start, end))
                   and u.clause_start(start) not in lookups for word, start, end in u.content)


def _replies(ctx: Context) -> list[UtteranceDoc | None]:
    """For each utterance, the customer's next utterance after it (``None`` when the customer says nothing
    more): one pass from the end, so finding a reply costs nothing per restatement."""
    replies: list[UtteranceDoc | None] = []
    following: UtteranceDoc | None = None
    for u in reversed(ctx.doc.utterances):
        replies.append(following)
        if u.speaker == "customer":
            following = u
    replies.reverse()
    return replies


def _corrected(ctx: Context, u: UtteranceDoc, replies: list[UtteranceDoc | None]) -> bool:
    """Whether the customer's reply to a restatement corrects it (不是,是提速 / 不对): the restatement named
    another matter, and the agent has still to restate the right one."""
    following = replies[u.index]
    if following is None:
        return False
    hit = ctx.lexicon_hit(following, "correction")
    return hit is not None and hit.start == 0


def restates_statement(ctx: Context, u: UtteranceDoc, heard: list[UtteranceDoc], params: RestateParams) -> bool:
    """Whether an agent restatement restates the customer statements it follows (``heard``): it shares content
    with them, or with them and what the first of them answers (:func:`context_of`: 赔付二百六十元 — 这也太少了 —
    您是觉得二百六十元的赔付偏低,对吗?) while still sharing two characters of content with the customer's own
    words (二百六), so that a question about the agent's own topic (方便,你说 — 请问这个地址对吗?) restates nothing."""
    if shares_content(ctx, u, heard, params):
        return True
    context = context_of(ctx, heard[0])
    if not context or not shares_content(ctx, u, [*context, *heard], params):
        return False
    mine = set("".join(core_tokens(ctx, u, [])))
    theirs = set("".join(w for c in heard for w in core_tokens(ctx, c, spans_of(ctx, c, "lexicon.non-matter"))))
    return len(mine & theirs) >= 2


def _restated_statement(ctx: Context, params: RestateParams, replies: list[UtteranceDoc | None]) -> UtteranceDoc | None:
    """The first customer statement the agent restated and asked to confirm, uncorrected: on a callback a
    complaint of the customer's own (你们那个师傅修完第二天又不制冷了) has no question or request to mark it as a
    matter, but the agent who restates it (您是说空调修完第二天又不制冷了,是吗?) has taken it as one
    (:func:`restates_statement`)."""
    said: list[UtteranceDoc] = []
    for u in ctx.doc.utterances:
        if u.speaker == "customer":
            said.append(u)
            continue
        heard = [c for c in said if has_substance(ctx, c)]
        if (heard and is_restatement(ctx, u, params, heard) and restates_statement(ctx, u, heard, params)
                and not _corrected(ctx, u, replies)):
            # the statement it restates (收到了,颜色是对的 — 对了,我还想再买一对枕套: the second), else the first heard
            return next((c for c in heard if shares_content(ctx, u, [c], params)), heard[0])
        said = []
    return None


def context_of(ctx: Context, matter: UtteranceDoc) -> list[UtteranceDoc]:
    """What the customer's matter answers, when it answers the agent: on a callback the customer's first
    words of substance often reply to the agent's own question (请问您家上周安检做了吗? — 没做啊,没人通知我),
    and a matter raised mid-call often reacts to what the agent just said (…是一笔海外交易 — 那笔钱怎么办?);
    a restatement may name the agent's topic (您是担心这笔海外交易的款项要不要由您来缴,是吗?). The agent's
    greeting is no such context."""
    before = ctx.doc.utterances[matter.index - 1] if matter.index else None
    if before is None or before.speaker != "agent":
        return []
    return [before] if before.is_question or all(before is not u for u in ctx.opening()) else []


def restate_question(ctx: Context) -> CheckResult:
    params = ctx.params
    assert isinstance(params, RestateParams)
    doc = ctx.doc
    customer = list(doc.by("customer"))
    if any(ctx.lexicon_hit(u, "wrong-number") for u in doc.utterances):
        return ctx.not_applicable(ctx.say("restate.wrong-number"))
    matter = next((u for u in customer if is_matter(ctx, u, params)), None)
    replies = _replies(ctx)
    stated = _restated_statement(ctx, params, replies)
    if stated is not None and (matter is None or stated.index < matter.index):
        matter = stated
    if matter is None:
        return ctx.not_applicable(ctx.say("restate.no-matter"))
    said: list[UtteranceDoc] = context_of(ctx, matter)
    mismatched: UtteranceDoc | None = None
    correction: UtteranceDoc | None = None
    corrected = matter
    for u in doc.utterances[matter.index :]:
        if u.speaker == "customer":
            if withdraws_matter(ctx, u):
                return ctx.not_assessable(ctx.say("restate.withdrawn"))
            said.append(u)
            continue
        if is_restatement(ctx, u, params, said):
            if shares_content(ctx, u, said, params) and not _corrected(ctx, u, replies):
                lead = ctx.find_part([u], "lead") or ctx.find_part([u], "tag")
                assert lead is not None
                return ctx.result(
                    "pass",
                    ctx.say("restate.pass"),
                    [u.whole(ctx.say("restate.restatement")), matter.whole(ctx.say("restate.matter"))],
                )
            if shares_content(ctx, u, said, params):
                correction, corrected = replies[u.index], u
            mismatched = mismatched or u
            if not answers_after(ctx, u, params):
                continue
            # 您是想咨询暑期班怎么续报是吗?续报的话现在有八折优惠… — 不是,我是要退费: the restatement that does not
            # count went on to answer, without waiting to hear whether it was right; that is the first answer
        elif correction is not None and takes_correction(ctx, u, correction, [*said, corrected], params):
            return ctx.result(
                "pass",
                ctx.say("restate.pass"),
                [u.whole(ctx.say("restate.restatement")), matter.whole(ctx.say("restate.matter"))],
            )
        else:
            correction = None
            if is_waypoint(ctx, u, said) or closes_call(ctx, u, said):
                continue
        topic = "".join(core_tokens(ctx, matter, spans_of(ctx, matter, "lexicon.non-matter")))[: params.topic_chars]
        evidence = [u.whole(ctx.say("restate.answered-here"), "absence"), matter.whole(ctx.say("restate.matter"))]
        if mismatched is not None:
            if mismatched is not u:
                evidence.append(mismatched.whole(ctx.say("restate.mismatch-note")))
            message = ctx.say("restate.mismatch")
        else:
            message = ctx.say("restate.fail")
        return ctx.result("fail", message, evidence, suggestion=ctx.suggestion(topic=topic or "**"))
    return ctx.not_assessable(ctx.say("restate.no-answer"))


RESTATE_CHECK = Check(
    "restate-question",
    "ST03",
    "Restate the customer's question",
    "Before answering, the agent restates the customer's matter and asks for confirmation (您是咨询…的问题,是吗?).",
    restate_question,
    params=RestateParams,
    step_parts=("lead", "tag"),
    lexicons=("non-matter", "customer-matter", "news-check", "wrong-number", "backchannel", "clarifying-question", "goodbye",
              "line-trouble", "correction", "line-check", "closing-talk", "customer-signoff", "invitation",
              "transfer-announce", "courtesy-reply", "retort", "holding-talk", "empathy", "address", "self-introduction",
              "proposal", "read-back", "record-found", "cause"),
    other_parts=("further-help.offer", "greeting.greet", "greeting.identify", "greeting.offer"),
    manual="您是咨询有关 **的问题,是吗?",
)
