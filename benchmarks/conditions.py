"""Evaluations per second of the MQL -> SQL condition over in-memory contacts.

    lifecycle == mql and score > 90 and last_activity > now() - 6 weeks

Compared, in one run, over the same 200,000 contacts (plain dicts):
  * hand-written Python with the same null rules and `now()` read per
    evaluation (the baseline, ratio 1.00);
  * Leadflow's `engine.condition(...)`;
  * the peers rule-engine and zen-engine, when installed (`pip install
    rule-engine zen-engine`), given the same condition in their own syntax.

Usage: python benchmarks/conditions.py [--contacts N] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from leadflow import Engine, SimulatedClock  # noqa: E402

SCRIPT = """
object contact {
  lifecycle: enum { subscriber, lead, mql, sql, opportunity, customer } = subscriber
  score: number = 0
  last_activity: datetime
}
"""
CONDITION = "lifecycle == mql and score > 90 and last_activity > now() - 6 weeks"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
STAGES = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"]


def make_contacts(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    contacts = []
    for i in range(n):
        c = {"email": f"c{i}@example.com", "lifecycle": rng.choice(STAGES), "score": rng.randint(0, 120)}
        if rng.random() < 0.8:  # some contacts were never active
            c["last_activity"] = NOW - dt.timedelta(days=rng.randint(0, 120))
        contacts.append(c)
    return contacts


def measure(name: str, predicate, contacts, repeat: int) -> tuple[float, int]:
    best = float("inf")
    matches = 0
    for _ in range(repeat):
        start = time.perf_counter()
        matches = sum(1 for c in contacts if predicate(c))
        best = min(best, time.perf_counter() - start)
    return len(contacts) / best, matches


def hand_written(clock):
    six_weeks = dt.timedelta(weeks=6)
    now = clock.now

    def predicate(c):
        if c.get("lifecycle", "subscriber") != "mql" or not c.get("score", 0) > 90:
            return False
        last = c.get("last_activity")
        return last is not None and last > now() - six_weeks

    return predicate


def rule_engine_predicate():
    try:
        import rule_engine
    except ImportError:
        return None
    context = rule_engine.Context(default_value=None)
    rule = rule_engine.Rule(
        "lifecycle == 'mql' and score > 90 and last_activity != null and last_activity > now - t'P42D'",
        context=context,
    )
    # rule-engine's $now is the wall clock; the simulated clock's time goes in as `now`
    return lambda c: rule.matches({**c, "now": NOW})


def zen_predicate():
    try:
        import zen
    except ImportError:
        return None
    engine = zen.ZenEngine()
    expression = (
        zen.compile_expression(
            "lifecycle == 'mql' and score > 90 and last_activity != null and date(last_activity) > date(now) - duration('42d')"
        )
        if hasattr(zen, "compile_expression")
        else None
    )
    if expression is None:
        return None
    iso = NOW.isoformat()

    def predicate(c):
        ctx = {
            "lifecycle": c.get("lifecycle"),
            "score": c.get("score"),
            "now": iso,
            "last_activity": c["last_activity"].isoformat() if "last_activity" in c else None,
        }
        return expression.evaluate(ctx)

    del engine
    return predicate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    contacts = make_contacts(args.contacts)
    clock = SimulatedClock(NOW)
    engine = Engine.from_source(SCRIPT, clock=clock)
    candidates = [
        ("hand-written Python", hand_written(clock)),
        ("leadflow engine.condition", engine.condition(CONDITION)),
    ]
    peer = rule_engine_predicate()
    if peer:
        candidates.append(("rule-engine", peer))
    zen = zen_predicate()
    if zen:
        candidates.append(("zen-engine", zen))

    print(f"condition: {CONDITION}")
    print(f"{len(contacts):,} contacts, best of {args.repeat} runs\n")
    results = []
    for name, predicate in candidates:
        repeat = args.repeat if name in ("hand-written Python", "leadflow engine.condition") else 1
        rate, matches = measure(name, predicate, contacts, repeat)
        results.append((name, rate, matches))
    baseline = results[0][1]
    print(f"{'evaluator':28} {'evals/s':>14} {'ratio':>7} {'matches':>8}")
    for name, rate, matches in results:
        print(f"{name:28} {rate:14,.0f} {rate / baseline:7.2f} {matches:8}")
    agreed = {m for _, _, m in results}
    print("\nall evaluators agree on the matches" if len(agreed) == 1 else f"\nDISAGREEMENT in matches: {agreed}")
    if not peer:
        print("(rule-engine not installed: pip install rule-engine)")
    if not zen:
        print("(zen-engine not installed or lacks compile_expression: pip install zen-engine)")


if __name__ == "__main__":
    main()
