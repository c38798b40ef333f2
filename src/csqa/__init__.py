"""csqa — score Chinese call-centre calls against the customer-service manual.

    >>> import csqa
    >>> report = csqa.score({"call_id": "c1", "rings": 2, "hangup_by": "customer", "utterances": [...]})
    >>> scorer = csqa.Scorer(rules="default", company="楠山农林")
    >>> for report in scorer.score_many(csqa.load_calls("calls.jsonl")): ...

Every rule's verdict carries evidence at character offsets of the original utterance text, and every
failed step carries the script line the agent should have said. Rule ids are those of MANUAL.md.
"""

from __future__ import annotations

import threading
from importlib.metadata import PackageNotFoundError, version

from csqa.checks import RULE_IDS
from csqa.errors import CsqaError, InputError, InputProblem, RuleFileError, RuleProblem, UnknownRuleError, UsageError
from csqa.loaders import load_calls, parse_call, parse_text
from csqa.model import Call, Event, Utterance
from csqa.report import CallError, CheckResult, Evidence, Report, Severity, Status
from csqa.rulefile import RuleSet, load_rules
from csqa.scorer import CallInput, Scorer, ScoringError
from csqa.script import render_script

__all__ = [
    "RULE_IDS",
    "Call",
    "CallError",
    "CallInput",
    "CheckResult",
    "CsqaError",
    "Event",
    "Evidence",
    "InputError",
    "InputProblem",
    "Report",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "Scorer",
    "ScoringError",
    "Severity",
    "Status",
    "UnknownRuleError",
    "UsageError",
    "Utterance",
    "__version__",
    "load_calls",
    "load_rules",
    "parse_call",
    "parse_text",
    "score",
    "script",
]

try:
    __version__ = version("csqa")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_default: Scorer | None = None
_default_lock = threading.Lock()


def _default_scorer() -> Scorer:
    # The one piece of module state: a lazily built, never mutated Scorer for the bundled rules, so that
    # csqa.score(call) does not reload jieba's dictionary on every call.
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Scorer()
    return _default


def score(call: CallInput, *, rules: str | RuleSet | None = None, company: str | None = None) -> Report:
    """Score one call (a :class:`Call`, a dict, or JSON text) with the bundled rules or ``rules``."""
    if rules is None and company is None:
        return _default_scorer().score(call)
    return Scorer(rules, company=company).score(call)


def script(*, direction: str = "inbound", company: str | None = None, rules: str | RuleSet | None = None) -> str:
    """The agent script for ``direction`` (``inbound`` or ``outbound``), rendered for ``company``."""
    return render_script(load_rules(rules).with_company(company), direction=direction)
