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

from csqa.checks.registry import RULE_IDS
from csqa.checks.rulefile import RuleSet, load_rules
from csqa.checks.script import render_script
from csqa.errors import CsqaError, InputError, InputProblem, RuleFileError, RuleProblem, UnknownRuleError, UsageError
from csqa.input.loaders import load_calls, parse_call, parse_text
from csqa.input.model import Call, CallError, Event, Utterance
from csqa.input.tables import calls_from_frame
from csqa.outputs.evaluate import evaluate
from csqa.outputs.html import write_site
from csqa.outputs.i18n import Lang
from csqa.outputs.report import CheckResult, Evidence, Report, Severity, Status
from csqa.outputs.reviews import ReviewSet, load_reviews
from csqa.outputs.sheets import write_sheets
from csqa.outputs.summary import Summary, read_reports, summarize, to_dataframe
from csqa.scoring.live import LIVE_RULES, LiveEvent, LiveSession
from csqa.scoring.scorer import CallInput, Scorer, ScoringError
from csqa.version import __version__

__all__ = [
    "LIVE_RULES",
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
    "LiveEvent",
    "LiveSession",
    "Report",
    "ReviewSet",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "Scorer",
    "ScoringError",
    "Severity",
    "Status",
    "Summary",
    "UnknownRuleError",
    "UsageError",
    "Utterance",
    "__version__",
    "calls_from_frame",
    "evaluate",
    "load_calls",
    "load_reviews",
    "load_rules",
    "parse_call",
    "parse_text",
    "read_reports",
    "score",
    "script",
    "summarize",
    "to_dataframe",
    "write_sheets",
    "write_site",
]

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


def score(call: CallInput, *, rules: str | RuleSet | None = None, company: str | None = None,
          lang: Lang = "en") -> Report:
    """Score one call (a :class:`Call`, a dict, or JSON text) with the bundled rules or ``rules``, the findings
    in ``lang`` (``"en"`` or ``"zh"``, Simplified Chinese). A path is a :class:`UsageError`: files are read with
    :func:`load_calls`."""
    if rules is None and company is None:
        return _default_scorer().in_lang(lang).score(call)
    return Scorer(rules, company=company, lang=lang).score(call)


def script(*, direction: str = "inbound", company: str | None = None, rules: str | RuleSet | None = None) -> str:
    """The agent script for ``direction`` (``inbound`` or ``outbound``), rendered for ``company``."""
    return render_script(load_rules(rules).with_company(company), direction=direction)
