"""The registry of checks, one per rule id of MANUAL.md, in the manual's order."""

from __future__ import annotations

from csqa.checks.base import Check, Context
from csqa.checks.restate import RESTATE_CHECK
from csqa.checks.steps import STEP_CHECKS
from csqa.checks.taboos import TABOO_CHECKS

__all__ = ["Check", "Context", "REGISTRY", "RULE_IDS"]


def _ordered() -> dict[str, Check]:
    by_id = {check.id: check for check in (*STEP_CHECKS, RESTATE_CHECK, *TABOO_CHECKS)}
    order = (
        "answer-within-three-rings",
        "standard-greeting",
        "restate-question",
        "offer-further-help",
        "thank-and-goodbye",
        "customer-hangs-up-first",
        "callback-introduction",
        "callback-closing",
        "no-forbidden-phrases",
        "no-interrupting",
        "no-filler-words",
        "no-arguing",
        "no-chatting-before-hangup",
        "no-transfer-without-consent",
        "no-absolute-promises",
        "apologise-after-hold",
    )
    return {rule_id: by_id[rule_id] for rule_id in order}


REGISTRY: dict[str, Check] = _ordered()
RULE_IDS: tuple[str, ...] = tuple(REGISTRY)
