"""The manual's phone-handling steps (十、电话接听标准动作 and 十一、电话回访标准动作).

Each check reads the parts of its script step from the rule file; what counts as a greeting, an offer of
help or a goodbye is data there. The decisions the manual leaves open are written down in each rule's
documentation under ``rules/docs/``.
"""

from __future__ import annotations

from csqa.checks.base import Check, Context
from csqa.outputs.report import CheckResult, Evidence
from csqa.text.doc import UtteranceDoc

__all__ = ["STEP_CHECKS"]


def _field(field: str, note: str) -> Evidence:
    return Evidence(utterance=None, start=0, end=0, quote="", field=field, note=note)


def _missing_parts(
    ctx: Context, utterances: list[UtteranceDoc], parts: tuple[str, ...]
) -> tuple[list[str], list[Evidence]]:
    missing: list[str] = []
    found: list[Evidence] = []
    for part in parts:
        located = ctx.find_part(utterances, part)
        if located is None:
            missing.append(part)
        else:
            u, hit = located
            found.append(u.hit_evidence(hit, f"{ctx.part_label(part)}"))
    return missing, found


def _judge_parts(
    ctx: Context,
    utterances: list[UtteranceDoc],
    parts: tuple[str, ...],
    *,
    where: str,
    due: UtteranceDoc,
) -> CheckResult:
    """Pass when every part is said somewhere in ``utterances``; a fail names the missing parts."""
    missing, found = _missing_parts(ctx, utterances, parts)
    if not missing:
        return ctx.result("pass", f"{where} has every part of the script line", found)
    labels = "; ".join(ctx.part_label(p) for p in missing)
    evidence = [due.whole(f"{where}: missing {labels}"), *found]
    return ctx.result("fail", f"{where} lacks: {labels}", evidence)


# --- answer-within-three-rings --------------------------------------------------------------------------


def answer_within_three_rings(ctx: Context) -> CheckResult:
    call = ctx.doc.call
    if call.direction != "inbound":
        return ctx.not_applicable("a callback is not answered, so it has no ring count")
    timing = ctx.rules.timing
    answered = ctx.doc.agent[:1]
    if call.rings is not None:
        if call.rings <= timing.max_rings:
            return ctx.result("pass", f"answered after {call.rings} ring(s)")
        evidence = [_field("rings", f"rang {call.rings} times before the answer")]
        evidence += [u.whole("the answer came here") for u in answered]
        return ctx.result("fail", f"answered after {call.rings} rings (more than {timing.max_rings})", evidence)
    if call.ring_seconds is not None:
        limit = timing.max_rings * timing.ring_cycle_seconds
        if call.ring_seconds < limit:
            return ctx.result("pass", f"answered after {call.ring_seconds:g} s of ringing (under {limit:g} s)")
        evidence = [_field("ring_seconds", f"{call.ring_seconds:g} s of ringing, {timing.max_rings} rings take {limit:g} s")]
        evidence += [u.whole("the answer came here") for u in answered]
        return ctx.result("fail", f"answered after {call.ring_seconds:g} s of ringing (limit {limit:g} s)", evidence)
    return ctx.not_assessable("the call has neither rings nor ring_seconds")


# --- standard-greeting / callback-introduction ----------------------------------------------------------


def _opening_check(ctx: Context, direction: str, parts: tuple[str, ...], what: str) -> CheckResult:
    if ctx.doc.call.direction != direction:
        return ctx.not_applicable(f"only {direction} calls have {what}")
    opening = ctx.opening()
    if not opening:
        return ctx.not_assessable("the agent never speaks in this transcript")
    return _judge_parts(ctx, opening, parts, where=f"the agent's opening ({what})", due=opening[0])


def standard_greeting(ctx: Context) -> CheckResult:
    return _opening_check(ctx, "inbound", ("greet", "identify", "offer"), "the standard greeting")


def callback_introduction(ctx: Context) -> CheckResult:
    return _opening_check(ctx, "outbound", ("greet", "identify"), "the callback introduction")


# --- offer-further-help / thank-and-goodbye / callback-closing ------------------------------------------


def _closing_check(ctx: Context, direction: str, parts: tuple[str, ...], what: str) -> CheckResult:
    if ctx.doc.call.direction != direction:
        return ctx.not_applicable(f"only {direction} calls have {what}")
    closing = ctx.closing()
    if not closing:
        return ctx.not_assessable("the agent never speaks in this transcript")
    handed_off = ctx.handed_off()
    if handed_off is None:
        return ctx.not_assessable("the call was transferred, and without utterance times it cannot be told whether the agent "
                                  "spoke again")
    if handed_off:
        return ctx.not_applicable("the call was transferred and the agent did not speak again; the closing was not theirs")
    return _judge_parts(ctx, closing, parts, where=f"the agent's closing ({what})", due=closing[-1])


def offer_further_help(ctx: Context) -> CheckResult:
    return _closing_check(ctx, "inbound", ("offer",), "the offer of further help")


def thank_and_goodbye(ctx: Context) -> CheckResult:
    return _closing_check(ctx, "inbound", ("thanks", "goodbye"), "thanks and goodbye")


def callback_closing(ctx: Context) -> CheckResult:
    return _closing_check(ctx, "outbound", ("apology", "thanks", "goodbye"), "the callback closing")


# --- customer-hangs-up-first ----------------------------------------------------------------------------


def customer_hangs_up_first(ctx: Context) -> CheckResult:
    call = ctx.doc.call
    if call.hangup_by is None:
        return ctx.not_assessable("the call does not say who hung up (hangup_by)")
    if call.hangup_by == "customer":
        return ctx.result("pass", "the customer hung up first")
    evidence = [_field("hangup_by", "the agent ended the call")]
    agent = ctx.doc.agent
    if agent:
        evidence.append(agent[-1].whole("the agent's last words before hanging up"))
    return ctx.result("fail", "the agent hung up before the customer", evidence)


STEP_CHECKS = (
    Check(
        "answer-within-three-rings",
        "ST01",
        "Answer within three rings",
        "Inbound calls are answered within three rings (or three ring cycles of ring_seconds).",
        answer_within_three_rings,
        directions=("inbound",),
        manual="电话在响三声之内接起",
    ),
    Check(
        "standard-greeting",
        "ST02",
        "Standard greeting",
        "The agent's opening greets, names the company or department, and offers help.",
        standard_greeting,
        directions=("inbound",),
        step_parts=("greet", "identify", "offer"),
        lexicons=("line-check",),
        manual="您好! ****公司客服部,请问有什么能帮您?",
    ),
    Check(
        "offer-further-help",
        "ST04",
        "Offer further help",
        "In the agent's last three utterances, the agent asks whether the customer needs anything else.",
        offer_further_help,
        directions=("inbound",),
        step_parts=("offer",),
        lexicons=("goodbye", "non-matter"),
        manual="请问还需要其它的帮助吗?",
    ),
    Check(
        "thank-and-goodbye",
        "ST05",
        "Thank the caller and say goodbye",
        "The agent's closing thanks the customer and says goodbye.",
        thank_and_goodbye,
        directions=("inbound",),
        step_parts=("thanks", "goodbye"),
        lexicons=("goodbye", "non-matter"),
        manual="感谢您的来电,再见!",
    ),
    Check(
        "customer-hangs-up-first",
        "ST06",
        "Let the customer hang up first",
        "The customer, not the agent, ends the call (hangup_by = customer).",
        customer_hangs_up_first,
        manual="顾客挂机后再挂断电话",
    ),
    Check(
        "callback-introduction",
        "CB01",
        "Callback introduction",
        "A callback opens with a greeting and says who is calling (这里是…客服部).",
        callback_introduction,
        directions=("outbound",),
        step_parts=("greet", "identify"),
        lexicons=("line-check",),
        manual="**先生/女士您好,这里是****公司客服部。",
    ),
    Check(
        "callback-closing",
        "CB02",
        "Callback closing",
        "A callback closes with an apology for the disturbance, thanks for the support, and goodbye.",
        callback_closing,
        directions=("outbound",),
        step_parts=("apology", "thanks", "goodbye"),
        lexicons=("goodbye", "non-matter"),
        manual="非常抱歉打搅您了,感谢您对我们工作的支持!再见!",
    ),
)
