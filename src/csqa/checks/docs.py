"""Rule documentation, and the examples in it that are run as tests and used as evaluation fixtures.

Each rule has ``rules/docs/<rule-id>.md`` with sections *Why*, *What counts*, *What does not count*, *Decisions*
and *Examples*. An example is a fenced block with the info string ``example``: header lines ``# expect:
<status>`` and ``# why: …``, then a call in the plain-text form (``# rings: 5``, ``# hangup_by: agent``,
``客服: …``, ``[00:03-00:05] 客户: …``). Because the examples are parsed here, the documentation cannot
drift from the behaviour: the test suite scores every example and asserts its expected status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from csqa.errors import RuleFileError, RuleProblem
from csqa.input.loaders import parse_text
from csqa.input.model import Call
from csqa.outputs.report import Status

if TYPE_CHECKING:
    from csqa.checks.rulefile import RuleSet

__all__ = ["RuleExample", "rule_doc", "rule_examples", "rule_table", "rule_text"]

_BLOCK = re.compile(r"^```example[^\n]*\n(?P<body>.*?)^```", re.M | re.S)
_META = re.compile(r"^#\s*(expect|why)\s*:\s*(.*)$")
_STATUSES = ("pass", "fail", "not_applicable", "not_assessable")


@dataclass(frozen=True)
class RuleExample:
    """One documented example: the call, the status the rule must give it, and why."""

    rule: str
    number: int
    expect: Status
    why: str
    call: Call


def rule_doc(rule_id: str) -> str:
    """The Markdown documentation of one rule."""
    return resources.files("csqa.rules").joinpath("docs", f"{rule_id}.md").read_text(encoding="utf-8")


def rule_examples(rule_id: str) -> list[RuleExample]:
    """The examples of one rule's documentation, parsed into calls."""
    examples = []
    for number, block in enumerate(_BLOCK.finditer(rule_doc(rule_id)), 1):
        meta: dict[str, str] = {}
        lines = []
        for line in block.group("body").splitlines():
            found = _META.match(line.strip())
            if found:
                meta[found.group(1)] = found.group(2).strip()
            else:
                lines.append(line)
        expect = meta.get("expect", "")
        if expect not in _STATUSES:
            raise RuleFileError([RuleProblem(f"rules/docs/{rule_id}.md", f"example {number}",
                                             f"'# expect:' must be one of {', '.join(_STATUSES)}")])
        if not meta.get("why"):
            raise RuleFileError([RuleProblem(f"rules/docs/{rule_id}.md", f"example {number}", "'# why:' is missing")])
        call = parse_text("\n".join(lines), call_id=f"{rule_id}#{number}", source=f"rules/docs/{rule_id}.md")
        examples.append(RuleExample(rule_id, number, expect, meta["why"], call))  # type: ignore[arg-type]
    return examples


def rule_table(rules: RuleSet) -> str:
    """The rules of a rule set as the README's Markdown table: code, id, what the manual says (a site rule:
    what it checks), weight and severity. Made from the declarations and the rule file, so the README's
    table cannot drift from them (a test compares the two)."""
    lines = ["| code | rule id | the manual says | weight | severity |", "|---|---|---|---|---|"]
    for rule_id, check in rules.checks.items():
        cfg = rules.model.rules[rule_id]
        severity = cfg.severity + (" (veto)" if cfg.vetoes else "")
        lines.append(f"| {check.code} | `{rule_id}` | {check.manual or check.summary} | {cfg.weight:g} | {severity} |")
    return "\n".join(lines)


def rule_text(rules: RuleSet, rule_id: str) -> str:
    """A rule's documentation: the Markdown page of a built-in rule; for a site rule, its declaration as
    the rule file gives it (kind, settings, examples)."""
    check = rules.checks[rule_id]
    if not check.site:
        text = rule_doc(rule_id)
        # a rule made of a kind is declared beside its settings model; a dedicated one beside its function
        declared = check.run.__module__ if check.kind == "dedicated" else check.params.__module__
        run = getattr(check.run, "__qualname__", type(check.run).__qualname__)
        text = (text.rstrip() + f"\n\n## Where it lives\n\nDeclared in `{declared}` with code {check.code}; "
                f"judged by `{check.run.__module__}.{run}`; this page is `{check.doc}`.\n")
        if check.kind != "dedicated":
            settings = rules.params[rule_id].model_dump(exclude_defaults=False)
            shown = "\n".join(f"- `{key}` = {value!r}" for key, value in settings.items() if value not in ((), "", False, None))
            text = (text.rstrip() + f"\n\n## Made of\n\nThe generic kind `{check.kind}` (docs/rules.md), with these "
                    f"settings (its parameters; a rule file tunes them under `[rules.{rule_id}.params]`):\n\n{shown}\n")
        return text
    cfg = rules.model.rules[rule_id]
    lines = [f"# {rule_id} ({check.code}) — {check.title}", "", check.summary, "",
             f"A site rule of kind `{check.kind}`, from {rules.sources[-1]}; applies to {' and '.join(check.directions)} calls.",
             "", "## Settings", ""]
    lines += [f"- `{key}` = {value!r}" for key, value in cfg.settings.items()]
    if cfg.fix:
        lines += ["", "## Say instead", "", cfg.fix]
    if cfg.examples:
        lines += ["", "## Examples", ""]
        for number, example in enumerate(cfg.examples, 1):
            lines += [f"Example {number}: expect `{example.expect}`" + (f" — {example.why}" if example.why else ""), "",
                      "```", example.call.strip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"
