"""The taboo and banned-phrase rules of MANUAL.md that this version does not judge yet.

They are registered so that a scorecard can list them with their weights and severities, and so that a
report always has one entry for every rule of the manual. Until they are implemented they report
``not_assessable``: never ``pass``, because an unjudged rule must not raise a score or hide a violation.
"""

from __future__ import annotations

from csqa.checks.base import Check, Context
from csqa.report import CheckResult

__all__ = ["PENDING_CHECKS"]


def _pending(ctx: Context) -> CheckResult:
    return ctx.not_assessable("this version of csqa does not judge this rule yet")


_SUMMARIES = {
    "no-forbidden-phrases": "The agent never says one of the 14 banned phrases of 八、服务禁语 or a close variant.",
    "no-interrupting": "The agent does not start speaking over the customer (back-channels excepted).",
    "no-filler-words": "The agent does not use filler words or impolite particles (嗯, 喽, 嘛, 呗) frequently.",
    "no-arguing": "The agent does not scold, insult or argue with the customer.",
    "no-chatting-before-hangup": "After the goodbye, the agent says nothing outside the closing while the customer is on the line.",
    "no-transfer-without-consent": "A transfer is explained and agreed to before it happens.",
    "no-absolute-promises": "The agent makes no absolute promise (肯定, 保证, 绝对).",
    "apologise-after-hold": "After a hold, the agent's next words apologise for the wait.",
}

PENDING_CHECKS = tuple(Check(rule_id, summary, _pending, implemented=False) for rule_id, summary in _SUMMARIES.items())
