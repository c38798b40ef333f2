"""The taboos and banned phrases (七、服务的禁忌, 八、服务禁语, and 3.5 凡事留有余地 of the second seed).

Every check here reads only the agent's speech: a customer who says 我怎么知道 or scolds never costs the agent
anything. Phrase checks use the one multi-pattern pass of :mod:`csqa.text.phrases` (token boundaries, hesitations
skipped inside phrases, homophones where a family allows them, and the ``unless_before`` / ``unless_after``
context that tells a polite sentence from a rebuff). Timing checks read timestamps and events when the call
has them and report ``not_assessable`` rather than guess when it does not.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from csqa.checks.base import Check, Context
from csqa.outputs.report import CheckResult, Evidence
from csqa.text.doc import UtteranceDoc
from csqa.text.phrases import PhraseHit
from csqa.text.tokenizer import Token

__all__ = ["TABOO_CHECKS"]

_PARAMS = ConfigDict(extra="forbid", frozen=True)
Char = Annotated[str, Field(min_length=1, max_length=1)]


def _no_agent(ctx: Context) -> CheckResult | None:
    return None if ctx.doc.agent else ctx.not_assessable("the agent never speaks in this transcript")


def _distinct(hits: list[tuple[UtteranceDoc, PhraseHit]]) -> list[tuple[UtteranceDoc, PhraseHit]]:
    """One hit per stretch of speech: the longest of overlapping hits in the same utterance."""
    chosen: list[tuple[UtteranceDoc, PhraseHit]] = []
    here: list[PhraseHit] = []  # the hits chosen in the utterance being read: only they can overlap
    for u, hit in sorted(hits, key=lambda p: (p[0].index, p[1].start, -(p[1].end - p[1].start), p[1].by_sound)):
        if chosen and chosen[-1][0].index != u.index:
            here = []
        if any(c_hit.start < hit.end and hit.start < c_hit.end for c_hit in here):
            continue
        chosen.append((u, hit))
        here.append(hit)
    return chosen


def _agent_hits(ctx: Context, prefix: str) -> list[tuple[UtteranceDoc, PhraseHit]]:
    return _distinct([(u, hit) for u in ctx.doc.agent for hit in ctx.doc.hits_in(u, prefix)])


def _event(index: int, note: str) -> Evidence:
    return Evidence(utterance=None, start=0, end=0, quote="", field=f"events[{index}]", note=note)


def _how(hit: PhraseHit) -> str:
    return f" (heard as {hit.phrase!r}, a homophone)" if hit.by_sound else ""


# --- no-forbidden-phrases -------------------------------------------------------------------------------


def no_forbidden_phrases(ctx: Context) -> CheckResult:
    if (missing := _no_agent(ctx)) is not None:
        return missing
    found = _agent_hits(ctx, "banned.")
    if not found:
        return ctx.result("pass", "the agent said none of the banned phrases of 八、服务禁语")
    evidence = []
    for u, hit in found:
        banned = ctx.rules.model.banned[hit.family.removeprefix("banned.")]
        evidence.append(u.hit_evidence(hit, f"banned phrase 「{banned.phrase}」{_how(hit)}", ctx.instead(banned.instead)))
    phrases = "、".join(dict.fromkeys(f"「{e.quote}」" for e in evidence))
    return ctx.result("fail", f"the agent said {len(evidence)} banned phrase(s): {phrases}", evidence,
                      suggestion=evidence[0].suggestion)


# --- no-arguing / no-absolute-promises ------------------------------------------------------------------


def _lexicon_rule(ctx: Context, lexicon: str, what: str, clean: str) -> CheckResult:
    if (missing := _no_agent(ctx)) is not None:
        return missing
    found = _agent_hits(ctx, f"lexicon.{lexicon}")
    if not found:
        return ctx.result("pass", clean)
    evidence = [u.hit_evidence(hit, f"{what}{_how(hit)}") for u, hit in found]
    quotes = "、".join(dict.fromkeys(f"「{e.quote}」" for e in evidence))
    return ctx.result("fail", f"the agent {what}: {quotes}", evidence)


def no_arguing(ctx: Context) -> CheckResult:
    return _lexicon_rule(ctx, "scolding", "scolded or argued with the customer", "the agent never scolded or argued")


def no_absolute_promises(ctx: Context) -> CheckResult:
    return _lexicon_rule(ctx, "absolute-promise", "made an absolute promise", "the agent made no absolute promise")


# --- no-filler-words ------------------------------------------------------------------------------------


class FillerParams(BaseModel):
    model_config = _PARAMS

    threshold: Annotated[int, Field(ge=1)] = 3
    fillers: tuple[Char, ...] = ("嗯", "恩", "呃", "额", "唔")
    particles: tuple[Char, ...] = ("喽", "嘛", "呗", "咯")
    particle_pos: tuple[str, ...] = ("y", "e", "o", "zg", "x")


def _fillers_in(
    token: Token, pos: Callable[[str], str], fillers: str, edges: frozenset[str], params: FillerParams
) -> list[tuple[int, int, str]]:
    """Fillers in one token: the whole token (嗯, 嗯嗯, 嘛), or — in a word jieba's HMM made up (分嘛, 呃我),
    never in a dictionary word (干嘛, 额度) — a filler or particle at its edge."""
    text, start, end = token
    if not text or (text[0] not in edges and text[-1] not in edges):
        return []
    if not text.strip(fillers):
        return [(start, end, "filler")]
    if text in params.particles:
        return [(start, end, "impolite modal particle")] if pos(text) in params.particle_pos else []
    ends = text[0] + text[-1]
    if len(text) == 1 or ends.strip(fillers + "".join(params.particles)) == ends or pos(text) != "x":
        return []
    found: list[tuple[int, int, str]] = []
    if text[0] in fillers:
        found.append((start, start + 1, "filler"))
    if text[-1] in fillers:
        found.append((end - 1, end, "filler"))
    elif text[-1] in params.particles:
        found.append((end - 1, end, "impolite modal particle"))
    return found


def _tokens_with(u: UtteranceDoc, chars: frozenset[str]) -> list[Token]:
    """The tokens of ``u`` that hold one of ``chars``, in order."""
    found: list[Token] = []
    for offset, ch in enumerate(u.norm):
        if ch in chars and not (found and offset < found[-1][2]):
            found.append(u.token_at(offset))
    return found


def _runs(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Adjacent hesitations (呃呃呃 split into three tokens) are one hesitation."""
    runs: list[tuple[int, int, str]] = []
    for start, end, note in found:
        if runs and runs[-1][1] == start and runs[-1][2] == note == "filler":
            runs[-1] = (runs[-1][0], end, note)
        else:
            runs.append((start, end, note))
    return runs


def no_filler_words(ctx: Context) -> CheckResult:
    params = ctx.params
    assert isinstance(params, FillerParams)
    if (missing := _no_agent(ctx)) is not None:
        return missing
    fillers = "".join(params.fillers)
    edges = frozenset(params.fillers + params.particles)
    evidence: list[Evidence] = []
    for u in ctx.doc.agent:
        if edges.isdisjoint(u.norm) or ctx.is_backchannel(u):
            continue
        found = [f for token in _tokens_with(u, edges) for f in _fillers_in(token, ctx.doc.pos, fillers, edges, params)]
        for start, end, note in _runs(found):
            evidence.append(Evidence(utterance=u.index, start=start, end=end, quote=u.text[start:end], note=note))
    count = len(evidence)
    if count < params.threshold:
        detail = f" ({count} found)" if count else ""
        return ctx.result("pass", f"fewer than {params.threshold} fillers or impolite particles{detail}", evidence)
    return ctx.result("fail", f"the agent used {count} fillers or impolite particles (threshold {params.threshold})", evidence)


# --- no-interrupting ------------------------------------------------------------------------------------


class InterruptParams(BaseModel):
    model_config = _PARAMS

    tolerance_seconds: Annotated[float, Field(ge=0)] = 1.0


class _Speaking:
    """Which customer utterance, if any, is still going on at a moment: one that started at or before it and
    ends more than ``tolerance`` seconds after it.

    Utterances are sorted by start once, with a running maximum of their (end − tolerance), so each question
    is a binary search (O(log n)) rather than a scan of every customer utterance, which made a call of
    10,000 utterances take seconds. Of several such utterances, the one that goes on longest is named.
    """

    def __init__(self, utterances: list[UtteranceDoc], tolerance: float) -> None:
        ordered = sorted(utterances, key=lambda u: u.utterance.start or 0.0)
        self._starts = [u.utterance.start or 0.0 for u in ordered]
        self._longest: list[tuple[float, UtteranceDoc]] = []
        for u in ordered:
            until = (u.utterance.end or 0.0) - tolerance
            if not self._longest or until > self._longest[-1][0]:
                self._longest.append((until, u))
            else:
                self._longest.append(self._longest[-1])

    def at(self, moment: float) -> UtteranceDoc | None:
        started = bisect.bisect_right(self._starts, moment)
        if started == 0:
            return None
        until, utterance = self._longest[started - 1]
        return utterance if until > moment else None


def no_interrupting(ctx: Context) -> CheckResult:
    params = ctx.params
    assert isinstance(params, InterruptParams)
    if (missing := _no_agent(ctx)) is not None:
        return missing
    if not ctx.doc.call.timed:
        return ctx.not_assessable("judging interruptions needs start and end times on every utterance")
    speaking = _Speaking(
        [u for u in ctx.doc.utterances if u.speaker == "customer" and not ctx.is_interjection(u)],
        params.tolerance_seconds,
    )
    evidence: list[Evidence] = []
    for a in ctx.doc.agent:
        if ctx.is_backchannel(a):
            continue
        start = a.utterance.start
        assert start is not None
        c = speaking.at(start)
        if c is not None:
            overlap = (c.utterance.end or 0.0) - start
            evidence.append(a.whole(f"starts {overlap:.1f} s before the customer finishes"))
            evidence.append(c.whole("the customer was still speaking"))
    if not evidence:
        return ctx.result("pass", "the agent never started speaking over the customer (back-channels aside)")
    return ctx.result("fail", f"the agent interrupted the customer {len(evidence) // 2} time(s)", evidence)


# --- apologise-after-hold -------------------------------------------------------------------------------


class HoldParams(BaseModel):
    model_config = _PARAMS

    hold_gap_seconds: Annotated[float, Field(gt=0)] = 20.0
    short_segment_chars: Annotated[int, Field(ge=0)] = 6


def _holds(ctx: Context, params: HoldParams) -> tuple[list[tuple[UtteranceDoc | None, Evidence]], str | None]:
    """Each hold with the agent utterance that should apologise for it (``None`` when the call ends first).

    The second value is a reason the holds cannot be placed, when that is so.
    """
    call = ctx.doc.call
    agent = ctx.doc.agent
    events = [(index, e) for index, e in enumerate(call.events) if e.type == "hold"]
    if events:
        if any(u.utterance.start is None for u in agent):
            return [], "the call has hold events but its utterances have no times to place them"
        # The first agent utterance (in call order) starting at or after a moment is the first whose running
        # maximum of starts reaches it: a binary search per hold instead of a scan of the agent's speech.
        reached = list(itertools.accumulate((u.utterance.start or 0.0 for u in agent), max))
        holds: list[tuple[UtteranceDoc | None, Evidence]] = []
        for index, event in events:
            assert event.end is not None
            position = bisect.bisect_left(reached, event.end - 0.5)
            after = agent[position] if position < len(agent) else None
            note = f"hold from {event.start:g} s to {event.end:g} s"
            holds.append((after, _event(index, note)))
        return holds, None
    if call.timed:
        holds = []
        last_end: float | None = None
        customer_waits = False
        for u in ctx.doc.utterances:
            start, end = u.utterance.start, u.utterance.end
            assert start is not None and end is not None
            if u.speaker == "customer" and not ctx.says_beyond(u, "lexicon.line-check", stopwords=False):
                continue  # 喂?还在吗? during a hold does not end the agent's silence
            gap = None if last_end is None else start - last_end
            if u.speaker == "agent" and gap is not None and gap >= params.hold_gap_seconds and not customer_waits:
                holds.append((u, u.whole(f"the agent speaks again after {gap:.0f} s of silence")))
            customer_waits = u.speaker == "customer" and ctx.lexicon_hit(u, "wait-request") is not None
            last_end = end if last_end is None else max(last_end, end)
        return holds, None
    holds = []
    for position, u in enumerate(agent):
        hit = ctx.lexicon_hit(u, "wait-request")
        if hit is not None:
            after = agent[position + 1] if position + 1 < len(agent) else None
            holds.append((after, u.hit_evidence(hit, "the agent asks the customer to wait")))
    return holds, None


def apologise_after_hold(ctx: Context) -> CheckResult:
    params = ctx.params
    assert isinstance(params, HoldParams)
    if (missing := _no_agent(ctx)) is not None:
        return missing
    holds, unplaceable = _holds(ctx, params)
    if unplaceable:
        return ctx.not_assessable(unplaceable)
    if not holds:
        return ctx.not_applicable("the customer was never put on hold")
    judged = [(after, where) for after, where in holds if after is not None]
    if not judged:
        return ctx.not_assessable("the call ends during the hold; the agent never comes back")
    evidence: list[Evidence] = []
    found: list[Evidence] = []
    agent = ctx.doc.agent
    positions = {u.index: position for position, u in enumerate(agent)}
    for after, where in judged:
        position = positions[after.index]
        # ASR may split one sentence (不好意思 / 让您久等了): a short first segment is read with the next one
        span = 2 if len(after.key) <= params.short_segment_chars else 1
        located = ctx.find_part(agent[position : position + span], "apology")
        if located is None:
            evidence += [after.whole("the agent's first words after the hold, without an apology for the wait"), where]
        else:
            said, hit = located
            found.append(said.hit_evidence(hit, "apology for the wait"))
    if evidence:
        return ctx.result("fail", "after a hold the agent did not apologise for the wait", evidence)
    return ctx.result("pass", f"the agent apologised after each of {len(judged)} hold(s)", found)


# --- no-chatting-before-hangup --------------------------------------------------------------------------


def no_chatting_before_hangup(ctx: Context) -> CheckResult:
    if (missing := _no_agent(ctx)) is not None:
        return missing
    goodbye = ctx.last_goodbye()
    if goodbye is None:
        return ctx.not_applicable("the agent never ends the call with a goodbye, so there is no 'after the goodbye'")
    last = ctx.doc.hits(goodbye, "lexicon.goodbye")[-1]
    evidence: list[Evidence] = []
    if ctx.says_beyond(goodbye, "lexicon.closing-talk", last.end):
        evidence.append(goodbye.evidence(last.end, len(goodbye.key), "said after the goodbye"))
    evidence.extend(
        u.whole("said after the goodbye, with the customer still on the line")
        for u in ctx.doc.utterances[goodbye.index + 1 :]
        if u.speaker == "agent" and u.key and ctx.says_beyond(u, "lexicon.closing-talk")
    )
    if evidence:
        return ctx.result("fail", "after saying goodbye the agent kept talking about something else before the call ended",
                          [*evidence, goodbye.hit_evidence(last, "the goodbye")])
    return ctx.result("pass", "nothing but the closing after the agent's goodbye")


# --- no-transfer-without-consent ------------------------------------------------------------------------


def no_transfer_without_consent(ctx: Context) -> CheckResult:
    if (missing := _no_agent(ctx)) is not None:
        return missing
    doc = ctx.doc
    call = doc.call
    events = [(index, e) for index, e in enumerate(call.events) if e.type == "transfer"]
    announced = [u for u in doc.agent if ctx.lexicon_hit(u, "transfer-announce") is not None]
    if not events and not announced:
        return ctx.not_applicable("the call was not transferred")
    evidence: list[Evidence] = []
    before = list(doc.utterances)
    if events:
        index, event = min(events, key=lambda pair: pair[1].start)
        evidence.append(_event(index, f"transfer at {event.start:g} s"))
        if all(u.utterance.start is not None for u in doc.utterances):
            before = [u for u in doc.utterances if (u.utterance.start or 0.0) < event.start]
    # Where the agent raised the transfer: said it was transferring, or explained and asked.
    raised = next(
        (
            u
            for u in before
            if u.speaker == "agent"
            and (
                ctx.lexicon_hit(u, "transfer-announce") is not None
                or (ctx.lexicon_hit(u, "transfer-reason") is not None and ctx.lexicon_hit(u, "transfer-ask") is not None)
            )
        ),
        None,
    )
    if raised is not None:
        evidence.insert(0, raised.whole("the agent raises the transfer"))
    elif any(u.speaker == "agent" for u in before):
        evidence.insert(0, [u for u in before if u.speaker == "agent"][-1].whole("the agent's last words before the transfer"))
    requested = next((u for u in before if u.speaker == "customer" and ctx.lexicon_hit(u, "transfer-request") is not None), None)
    if requested is not None:
        return ctx.result("pass", "the customer asked to be transferred",
                          [requested.whole("the customer asks for the transfer"), *evidence])
    # An explanation answers the customer: 我是专门负责回访的 in a self-introduction explains nothing.
    spoke = next((u.index for u in doc.utterances if u.speaker == "customer" and not ctx.is_interjection(u)), len(doc.utterances))
    explained = next(
        (u for u in before if u.speaker == "agent" and u.index > spoke and ctx.lexicon_hit(u, "transfer-reason") is not None),
        None,
    )
    answers = [u for u in before if u.speaker == "customer" and raised is not None and u.index > raised.index]
    refused = next((u for u in answers if ctx.lexicon_hit(u, "refusal") is not None), None)
    agreed = next((u for u in answers if _assents(ctx, u)), None)
    if refused is not None and not events and all(_is_offer(ctx, u) for u in announced):
        return ctx.not_applicable("the agent offered a transfer, the customer declined, and no transfer happened")
    lacking: list[str] = []
    if explained is None:
        lacking.append("no explanation of who is responsible")
    if refused is not None:
        evidence.append(refused.whole("the customer objected"))
        lacking.append("the customer objected")
    elif agreed is None:
        lacking.append("no agreement from the customer")
    if lacking:
        return ctx.result("fail", f"the call was transferred with {' and '.join(lacking)}", evidence)
    assert agreed is not None and explained is not None
    return ctx.result(
        "pass",
        "the agent explained the transfer and the customer agreed",
        [explained.whole("explanation"), agreed.whole("the customer agrees"), *evidence],
    )


def _assents(ctx: Context, u: UtteranceDoc) -> bool:
    """好 / 可以 / 行 (the consent lexicon), or a bare 嗯, which the content key leaves out as a hesitation."""
    if u.key:
        return ctx.lexicon_hit(u, "consent") is not None
    return any(ch in "嗯恩" for ch in u.norm)


def _is_offer(ctx: Context, u: UtteranceDoc) -> bool:
    """An agent utterance that asks whether to transfer (需要帮您转过去吗?) rather than announcing it."""
    return u.is_question or ctx.lexicon_hit(u, "transfer-ask") is not None


TABOO_CHECKS = (
    Check(
        "no-forbidden-phrases",
        "TB01",
        "No banned phrases (服务禁语)",
        "The agent never says one of the 14 banned phrases of 八、服务禁语 or a close variant.",
        no_forbidden_phrases,
        lexicons=("backchannel",),
        manual="八、服务禁语 (14 phrases)",
    ),
    Check(
        "no-interrupting",
        "TB02",
        "Do not interrupt the customer",
        "The agent does not start speaking over the customer (back-channels excepted).",
        no_interrupting,
        params=InterruptParams,
        lexicons=("backchannel", "non-matter"),
        manual="客户讲话时轻易打断客户",
    ),
    Check(
        "no-filler-words",
        "TB03",
        "No frequent filler words",
        "The agent does not use filler words or impolite particles (嗯, 喽, 嘛, 呗) frequently.",
        no_filler_words,
        params=FillerParams,
        lexicons=("backchannel",),
        manual="频繁使用口头禅,非礼貌性语气助语",
    ),
    Check(
        "no-arguing",
        "TB04",
        "Never argue with or scold the customer",
        "The agent does not scold, insult or argue with the customer.",
        no_arguing,
        lexicons=("scolding",),
        manual="与客户发生争执,训斥或谩骂客户",
    ),
    Check(
        "no-chatting-before-hangup",
        "TB05",
        "No chatting before the customer hangs up",
        "After the goodbye, the agent says nothing outside the closing while the customer is on the line.",
        no_chatting_before_hangup,
        lexicons=("goodbye", "closing-talk", "non-matter"),
        manual="客户尚未挂机便与同事交谈",
    ),
    Check(
        "no-transfer-without-consent",
        "TB06",
        "No transfer without consent",
        "A transfer is explained and agreed to before it happens.",
        no_transfer_without_consent,
        lexicons=("transfer-announce", "transfer-reason", "transfer-ask", "transfer-request", "consent", "refusal"),
        manual="未经允许直接将电话交给其他工作人员受理",
    ),
    Check(
        "no-absolute-promises",
        "TB07",
        "No absolute promises (凡事留有余地)",
        "The agent makes no absolute promise (肯定, 保证, 绝对).",
        no_absolute_promises,
        lexicons=("absolute-promise",),
        manual="凡事留有余地: 不要用\"肯定,保证,绝对\"",
    ),
    Check(
        "apologise-after-hold",
        "TB08",
        "Apologise after a hold",
        "After a hold, the agent's next words apologise for the wait.",
        apologise_after_hold,
        params=HoldParams,
        step_parts=("apology",),
        lexicons=("wait-request", "line-check"),
        manual="不好意思,让您久等了。",
    ),
)
