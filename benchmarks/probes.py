"""Score the single-line probes of ``corpora/probes/`` (see its README) and print how the rules read them.

``arguing.tsv``: each line becomes a call of the standard greeting, the customer's words and the agent's reply;
a rude reply is caught when ``no-arguing`` or ``no-forbidden-phrases`` fails, a polite one is falsely failed when
either does. ``greeting.tsv``: each opening turn starts an otherwise compliant inbound call; an ``ok`` opening that
fails ``standard-greeting`` is a false fail, a ``bad`` one that passes is a miss. ``--show`` lists them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import csqa

PROBES = Path(__file__).resolve().parent.parent / "corpora" / "probes"
GREETING = "您好,楠山农林客服部,请问有什么可以帮您?"
REST = [
    ("customer", "我想查一下我的订单到哪了"), ("agent", "您是想查订单的物流进度,对吗?"), ("customer", "对"),
    ("agent", "好的,已经在派送了,请问还有其他可以帮您的吗?"), ("customer", "没有了"), ("agent", "感谢您的来电,再见"),
]


def _rows(name: str) -> list[list[str]]:
    lines = (PROBES / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip()]


def arguing(scorer: csqa.Scorer, show: bool) -> None:
    caught = rude = false = polite = 0
    for index, (label, customer, agent) in enumerate(_rows("arguing.tsv")):
        call = csqa.parse_call({"call_id": f"a{index}", "direction": "inbound", "utterances": [
            {"speaker": "agent", "text": GREETING}, {"speaker": "customer", "text": customer},
            {"speaker": "agent", "text": agent}]})
        report = scorer.score(call)
        failed = "fail" in (report.check("no-arguing").status, report.check("no-forbidden-phrases").status)
        if label == "rude":
            rude += 1
            caught += failed
            if show and not failed:
                print("missed     ", agent)
        else:
            polite += 1
            false += failed
            if show and failed:
                print("false fail ", agent)
    print(f"arguing.tsv: {caught} of {rude} rude replies fail, {false} of {polite} polite ones do")


def greeting(scorer: csqa.Scorer, show: bool) -> None:
    false = missed = ok = bad = 0
    for index, (label, text) in enumerate(_rows("greeting.tsv")):
        utterances = [{"speaker": "agent", "text": text}, *({"speaker": s, "text": t} for s, t in REST)]
        call = csqa.parse_call({"call_id": f"g{index}", "direction": "inbound", "rings": 1, "hangup_by": "customer",
                                "utterances": utterances})
        status = scorer.score(call).check("standard-greeting").status
        if label == "ok":
            ok += 1
            false += status != "pass"
            if show and status != "pass":
                print("false fail ", text)
        else:
            bad += 1
            missed += status == "pass"
            if show and status == "pass":
                print("missed     ", text)
    print(f"greeting.tsv: {false} of {ok} compliant openings fail, {missed} of {bad} bad ones pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list the lines read wrongly")
    args = parser.parse_args()
    scorer = csqa.Scorer()
    arguing(scorer, args.show)
    greeting(scorer, args.show)


if __name__ == "__main__":
    main()
