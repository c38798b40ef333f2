"""The agent script, rendered from the rule file: the same lines the checks look for and reports suggest."""

from __future__ import annotations

from csqa.phrases import expand_pattern
from csqa.rulefile import RuleSet

__all__ = ["render_script"]

_DIRECTIONS = ("inbound", "outbound")


def render_script(rules: RuleSet, *, direction: str = "inbound", topic: str = "**", title: str = "**先生/女士") -> str:
    """The script lines for ``direction`` (and those for both directions) in rule-file order, numbered, with
    the company filled in."""
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(_DIRECTIONS)}, not {direction!r}")
    slots = {name: values[:1] for name, values in rules.placeholders.items()}
    slots.update({"topic": (topic,), "title": (title,), "days": ("*",)})
    steps = [s for s in rules.script.values() if s.direction in (direction, "both")]
    heading = "电话接听 (inbound)" if direction == "inbound" else "电话回访 (outbound)"
    lines = [f"{rules.scorecard.company} — {heading}"]
    for number, step in enumerate(steps, 1):
        rule = f"  [{step.rule}]" if step.rule else ""
        lines.append(f"{number}. {step.title}{rule}")
        lines.append(f"   {expand_pattern(step.line, slots)[0]}")
    return "\n".join(lines) + "\n"
