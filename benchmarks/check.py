"""Lines per second of `leadflow check`'s work: parsing a script and checking it.

A generated script of N lines (10,000 by default: objects, events and
rules with conditions, arithmetic, string interpolations and blocks) is
parsed and checked in-process; the figures are CPU time of this process
(`time.process_time`), so other work on a shared machine disturbs them less
than wall time would. Baselines in the same run:
  * Python's own `compile()` of a generated Python module of about the
    same number of lines and tokens (one function per rule);
  * Lark parsing the same script alone with Leadflow's grammar, building
    its default parse tree, without positions or the AST.

Each measurement is repeated (--repeat, default 5) and the median reported.

Usage: python benchmarks/check.py [--lines N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from leadflow.check.checker import check  # noqa: E402
from leadflow.syntax.parser import _lark, parse  # noqa: E402

HEAD = """object contact {
  first_name: text
  score: number = 0
  lifecycle: enum { subscriber, lead, mql, sql, customer } = subscriber
  region: text
  last_seen: datetime
}
event visit { page: text, seconds: number }
list vip "VIP"
"""

RULE = """rule "Rule {i}"
when visit where event.page == "/p{i}" and event.seconds > {mod60}
if score + {i} * 2 > 10 and lifecycle != customer or region == "emea-{i}"
then {{
  set score = score + {mod7} - 1
  set first_name = "Hi {{first_name ?? "x"}} {i}"
  add to vip
}}
"""

PYTHON_RULE = """def rule_{i}(event, contact, vip):
    if event["page"] == "/p{i}" and event["seconds"] > {mod60}:
        if contact["score"] + {i} * 2 > 10 and contact["lifecycle"] != "customer" or contact["region"] == "emea-{i}":
            contact["score"] = contact["score"] + {mod7} - 1
            contact["first_name"] = f"Hi {{contact.get('first_name') or 'x'}} {i}"
            vip.add(contact["id"])
"""


def generate(template: str, head: str, lines: int) -> str:
    parts, count, i = [head], head.count("\n"), 0
    while count < lines:
        rule = template.format(i=i, mod60=i % 60, mod7=i % 7)
        parts.append(rule)
        count += rule.count("\n")
        i += 1
    return "".join(parts)


def median_time(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--lines", type=int, default=10_000)
    options.add_argument("--repeat", type=int, default=5)
    args = options.parse_args()

    script = generate(RULE, HEAD, args.lines)
    python = generate(PYTHON_RULE, "", args.lines)
    lines = script.count("\n")
    lark = _lark()
    parse(HEAD)  # build and cache the parser before timing

    parsed = {}

    def leadflow_parse():
        parsed["program"] = parse(script, "bench.flow")

    def leadflow_check():
        check(parsed["program"], {"bench.flow": script})

    def leadflow_both():
        check(parse(script, "bench.flow"), {"bench.flow": script})

    results = [
        ("python compile()", python.count("\n"), median_time(lambda: compile(python, "bench.py", "exec"), args.repeat)),
        ("lark parse tree only", lines, median_time(lambda: lark.parse(script, start="start"), args.repeat)),
        ("leadflow parse", lines, median_time(leadflow_parse, args.repeat)),
        ("leadflow check", lines, median_time(leadflow_check, args.repeat)),
        ("leadflow parse + check", lines, median_time(leadflow_both, args.repeat)),
    ]
    baseline = results[0][1] / results[0][2]
    print(f"{lines:,}-line script ({len(script):,} characters), median of {args.repeat} runs, CPU seconds\n")
    print(f"{'step':<26}{'seconds':>9}{'lines/s':>12}{'ratio':>8}")
    for name, count, seconds in results:
        rate = count / seconds
        print(f"{name:<26}{seconds:>9.3f}{rate:>12,.0f}{rate / baseline:>8.2f}")


if __name__ == "__main__":
    main()
