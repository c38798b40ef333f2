"""Coverage-guided fuzz target (atheris) for the rule-file reader.

Each input's bytes are written as a TOML rule file and read with ``csqa.load_rules``; the promise checked
(README, "Rule files"): a rule file either loads as a ``RuleSet`` or raises ``csqa.RuleFileError`` listing
its problems, each naming the file. Any other exception is a crash. Run:

    python fuzz/fuzz_rulefile.py -max_total_time=30

(see ``fuzz/harness.py`` for the defaults filled in: a seeded temporary corpus, a temporary
``-artifact_prefix`` and a dictionary). Exits 0 when nothing was found.
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

import atheris

sys.dont_write_bytecode = True  # importing harness leaves no __pycache__ in the work tree

with atheris.instrument_imports(include=["csqa"]):
    import csqa

from harness import PromiseBroken, main, work_dir  # noqa: E402 - after dont_write_bytecode and the instrumented csqa

RULES = Path()


def setup() -> None:
    """In the fuzzing process, before the first input: where the rule file goes; the bundled rules read once."""
    global RULES
    RULES = work_dir() / "site.toml"
    csqa.load_rules()


def test_one_input(data: bytes) -> None:
    RULES.write_bytes(data)
    try:
        rules = csqa.load_rules(RULES)
    except csqa.RuleFileError as exc:
        if not exc.problems or not all(problem.file for problem in exc.problems):
            raise PromiseBroken(f"a RuleFileError without problems naming their file: {exc}") from None
        return
    if not isinstance(rules, csqa.RuleSet):
        raise PromiseBroken(f"load_rules returned a {type(rules).__name__}")


def seeds() -> list[bytes]:
    default = resources.files("csqa.rules").joinpath("default.toml").read_text(encoding="utf-8")
    # the bundled file in pieces of a few tables each, every piece a site file extending the default
    tables = re.split(r"\n(?=\[)", default)
    out = []
    for start in range(0, len(tables), 4):
        piece = "\n".join(tables[start : start + 4])
        out.append(('extends = "default"\n' + piece).encode()[:4000])
    out += [
        'extends = "default"\n\n[scorecard]\ncompany = "顺达快运"\npass_mark = 85\n'.encode(),
        b'extends = "default"\n[rules.no-absolute-promises]\nenabled = false\n',
        'extends = "default"\n[script.greeting.parts.offer]\nlabel = "an offer of help"\n'
        'variants = ["有什么{可以|能}帮{您|你}"]\n'.encode(),
        b'extends = "default"\n[timing]\nring_cycle_seconds = nan\n[matching]\nclitics = ["\\u0000"]\n',
        b'extends = "default"\n[lexicon.x]\nlabel = "x"\nvariants = ["{a|b}{a|b}{a|b}{a|b}{company}"]\n',
        b"a = " + b"[" * 1200,
        b"a = " + b"{b=" * 600,
        b'extends = "default"\n[scorecard]\npass_mark = 1' + b"0" * 4400 + b"\n",
    ]
    return out


TOKENS = [
    b"extends", b'"default"', b"[scorecard]", b"[timing]", b"[matching]", b"[rules.", b"[script.", b"[lexicon.",
    b"[banned.", b".parts.", b".params]", b"company", b"company_aliases", b"departments", b"pass_mark", b"weight",
    b"severity", b'"critical"', b'"major"', b"veto", b"enabled", b"code", b"title", b"label", b"variants",
    b"homophones", b"boundary", b"unless_before", b"unless_after", b"window", b"clause_end", b"phrase", b"instead",
    b'"script.greeting"', b"line", b"direction", b'"both"', b"rule", b"hesitations", b"clitics", b"user_words",
    b"{company}", b"{department}", b"{a|b}", b"{|", b"nan", b"inf", b"1e400", b"[[", b"{a=", b'"""', b"'''",
    b"\\u0000", b"\\uD800", b"\\U0010FFFF", b"1979-05-27T07:32:00Z", b"true", b"restate-question", b"fuzzy_threshold",
]


if __name__ == "__main__":
    sys.exit(main(__file__, "rulefile", test_one_input, seeds, TOKENS, setup))
