"""The registry of the built-in checks, one per rule id of MANUAL.md, in the manual's order (the order of their codes)."""

from __future__ import annotations

from dataclasses import replace

from csqa.checks.base import Check, Context
from csqa.checks.restate import RESTATE_CHECK
from csqa.checks.steps import STEP_CHECKS
from csqa.checks.taboos import TABOO_CHECKS
from csqa.outputs.i18n import RULES_ZH

__all__ = ["REGISTRY", "RULE_IDS", "Check", "Context", "code_order"]


_GROUPS = ("ST", "CB", "TB")  # the manual's order: 十 电话接听, 十一 电话回访, then 七/八 the taboos


def code_order(code: str) -> tuple[int, str]:
    """Where a code sorts: the manual's groups in the manual's order, then site codes alphabetically."""
    prefix = code.rstrip("0123456789")
    return (_GROUPS.index(prefix) if prefix in _GROUPS else len(_GROUPS), code)


def _in_chinese(check: Check) -> Check:
    """The declaration with its Chinese title and summary from the message catalogue."""
    title, summary = RULES_ZH.get(check.id, ("", ""))
    return replace(check, title_zh=title, summary_zh=summary)


REGISTRY: dict[str, Check] = {
    check.id: _in_chinese(check)
    for check in sorted((*STEP_CHECKS, RESTATE_CHECK, *TABOO_CHECKS), key=lambda c: code_order(c.code))
}
RULE_IDS: tuple[str, ...] = tuple(REGISTRY)
