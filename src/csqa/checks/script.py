"""The agent script, rendered from the rule file: the same lines the checks look for and reports suggest."""

from __future__ import annotations

from csqa.checks.rulefile import LINE_SLOTS, RuleSet
from csqa.errors import UsageError

__all__ = ["render_script"]

_DIRECTIONS = ("inbound", "outbound")


def render_script(
    rules: RuleSet, *, direction: str = "inbound", topic: str = LINE_SLOTS["topic"], title: str = LINE_SLOTS["title"]
) -> str:
    """The script lines for ``direction`` (and those for both directions) in rule-file order, numbered, with
    the company filled in."""
    if direction not in _DIRECTIONS:
        raise UsageError(f"direction must be one of {', '.join(_DIRECTIONS)}, not {direction!r}")
    steps = [s for s in rules.script.values() if s.direction in (direction, "both")]
    heading = "电话接听 (inbound)" if direction == "inbound" else "电话回访 (outbound)"
    lines = [f"{rules.scorecard.company} — {heading}"]
    for number, step in enumerate(steps, 1):
        rule = f"  [{step.rule}]" if step.rule else ""
        lines.append(f"{number}. {step.title}{rule}")
        lines.append(f"   {rules.render(step.line, topic=topic, title=title)}")
    return "\n".join(lines) + "\n"
