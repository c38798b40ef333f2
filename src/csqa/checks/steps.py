"""The manual's phone-handling steps (十、电话接听标准动作 and 十一、电话回访标准动作).

The script lines (greeting, callback introduction, offer of help, thanks and goodbye, callback closing) are
required phrases of the generic kinds, declared by their settings; rings and the hang-up party read the
call's data and keep their own logic. Each script line's parts come from the rule file: what counts as a
greeting, an offer of help or a goodbye is data there. The decisions the manual leaves open are written down in each rule's
documentation under ``rules/docs/``.
"""

from __future__ import annotations

from typing import Literal

from csqa.checks.base import Check, Context
from csqa.checks.kinds import PhraseRequired, Within, kind_check
from csqa.outputs.report import CheckResult, Evidence

__all__ = ["STEP_CHECKS"]


def _field(field: str, note: str) -> Evidence:
    return Evidence(utterance=None, start=0, end=0, quote="", field=field, note=note, how="data")


# --- answer-within-three-rings --------------------------------------------------------------------------


def answer_within_three_rings(ctx: Context) -> CheckResult:
    call = ctx.doc.call
    if call.direction != "inbound":
        return ctx.not_applicable(ctx.say("rings.callback"))
    timing = ctx.rules.timing
    answered = ctx.doc.agent[:1]
    if call.rings is not None:
        if call.rings <= timing.max_rings:
            return ctx.result("pass", ctx.say("rings.pass", rings=call.rings))
        evidence = [_field("rings", ctx.say("rings.rang", rings=call.rings))]
        evidence += [u.whole(ctx.say("rings.answer")) for u in answered]
        return ctx.result("fail", ctx.say("rings.fail", rings=call.rings, max=timing.max_rings), evidence)
    if call.ring_seconds is not None:
        limit = timing.max_rings * timing.ring_cycle_seconds
        if call.ring_seconds < limit:
            return ctx.result("pass", ctx.say("rings.seconds-pass", seconds=call.ring_seconds, limit=limit))
        evidence = [_field("ring_seconds", ctx.say("rings.seconds", seconds=call.ring_seconds, max=timing.max_rings,
                                                   limit=limit))]
        evidence += [u.whole(ctx.say("rings.answer")) for u in answered]
        return ctx.result("fail", ctx.say("rings.seconds-fail", seconds=call.ring_seconds, limit=limit), evidence)
    return ctx.not_assessable(ctx.say("rings.unknown"))


# --- the script lines: generic kinds ---------------------------------------------------------------------
# The greeting, the callback introduction and the three closings are required phrases: every part of the
# script step's line, said anywhere in the agent's opening or closing (the windows of csqa.checks.kinds,
# where the decisions about where an opening ends and whose closing it is are made once for every rule).


class GreetingSettings(PhraseRequired):
    kind: Literal["phrase-required"] = "phrase-required"
    parts: tuple[str, ...] = ("greet", "identify", "offer")
    within: Within = "opening"


class CallbackIntroductionSettings(GreetingSettings):
    parts: tuple[str, ...] = ("greet", "identify")


class FurtherHelpSettings(PhraseRequired):
    kind: Literal["phrase-required"] = "phrase-required"
    parts: tuple[str, ...] = ("offer",)
    within: Within = "wrap-up"


class GoodbyeSettings(PhraseRequired):
    kind: Literal["phrase-required"] = "phrase-required"
    parts: tuple[str, ...] = ("thanks", "goodbye")
    within: Within = "closing"


class CallbackClosingSettings(GoodbyeSettings):
    parts: tuple[str, ...] = ("apology", "thanks", "goodbye")


# --- customer-hangs-up-first ----------------------------------------------------------------------------


def customer_hangs_up_first(ctx: Context) -> CheckResult:
    call = ctx.doc.call
    if call.hangup_by is None:
        return ctx.not_assessable(ctx.say("hangup.unknown"))
    if call.hangup_by == "customer":
        return ctx.result("pass", ctx.say("hangup.pass"))
    evidence = [_field("hangup_by", ctx.say("hangup.by-agent"))]
    agent = ctx.doc.agent
    if agent:
        evidence.append(agent[-1].whole(ctx.say("hangup.last-words")))
    return ctx.result("fail", ctx.say("hangup.fail"), evidence)


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
    kind_check(
        "standard-greeting",
        "ST02",
        "Standard greeting",
        "The agent's opening greets, names the company or department, and offers help.",
        GreetingSettings,
        directions=("inbound",),
        manual="您好! ****公司客服部,请问有什么能帮您?",
    ),
    kind_check(
        "offer-further-help",
        "ST04",
        "Offer further help",
        "In the agent's last three utterances, the agent asks whether the customer needs anything else.",
        FurtherHelpSettings,
        directions=("inbound",),
        manual="请问还需要其它的帮助吗?",
    ),
    kind_check(
        "thank-and-goodbye",
        "ST05",
        "Thank the caller and say goodbye",
        "The agent's closing thanks the customer and says goodbye.",
        GoodbyeSettings,
        directions=("inbound",),
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
    kind_check(
        "callback-introduction",
        "CB01",
        "Callback introduction",
        "A callback opens with a greeting and says who is calling (这里是…客服部).",
        CallbackIntroductionSettings,
        directions=("outbound",),
        manual="**先生/女士您好,这里是****公司客服部。",
    ),
    kind_check(
        "callback-closing",
        "CB02",
        "Callback closing",
        "A callback closes with an apology for the disturbance, thanks for the support, and goodbye.",
        CallbackClosingSettings,
        directions=("outbound",),
        manual="非常抱歉打搅您了,感谢您对我们工作的支持!再见!",
    ),
)
