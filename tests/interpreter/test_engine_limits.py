"""Budgets that hold: each way a script can grow a value, or run long, ends in a
runtime error naming the rule and the line, within bounded time, with the event
rolled back and the engine usable for the next event.

Every case runs in a child process with a cap on its memory, so a crash (the
segmentation fault text doubling used to cause) or a runaway allocation shows
as a failed test, not a dead test runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

BASE = """\
object contact { note: text?, n: number = 0, pings: number = 0, review: datetime?, tags: list<text>? }
event ping {}
event go { s: text, k: number }
rule "Ping" when ping then increment pings
"""

NUMBERS_TO = lambda n: "[" + ", ".join(str(i) for i in range(1, n + 1)) + "]"  # noqa: E731

# name: (declarations, the rule's action, the event's data, a text on the failing line, what the message says)
CASES = {
    "text doubling": (
        f"fn grow(s: text) -> text {{\n  let t = s\n  for i in {NUMBERS_TO(40)} {{\n    t = t + t  # fails\n  }}\n  return t\n}}",
        "set note = grow(event.s)",
        {"s": "ab", "k": 0},
        "# fails",
        "over the limit of 1,000,000",
    ),
    "interpolation doubling": (
        f'fn grow(s: text) -> text {{\n  let t = s\n  for i in {NUMBERS_TO(40)} {{\n    t = "{{t}}-{{t}}"  # fails\n  }}\n  return t\n}}',
        "set note = grow(event.s)",
        {"s": "ab", "k": 0},
        "# fails",
        "over the limit of 1,000,000",
    ),
    "replace growth": (
        f'fn grow(s: text) -> text {{\n  let t = s\n  for i in {NUMBERS_TO(40)} {{\n    t = replace(t, "a", "aaa")  # fails\n  }}\n  return t\n}}',
        "set note = grow(event.s)",
        {"s": "a", "k": 0},
        "# fails",
        "over the limit of 1,000,000",
    ),
    "integer squaring": (
        f"fn grow(k: number) -> number {{\n  let n = k\n  for i in {NUMBERS_TO(24)} {{\n    n = n * n  # fails\n  }}\n  return n\n}}",
        "set n = grow(event.k)",
        {"s": "", "k": 3},
        "# fails",
        "a number is out of range",
    ),
    "integer sum growth": (
        f"fn grow(k: number) -> number {{\n  let n = k\n  for i in {NUMBERS_TO(2000)} {{\n    n = n + n * 7  # fails\n  }}\n  return n\n}}",
        "set n = grow(event.k)",
        {"s": "", "k": 3},
        "# fails",
        "a number is out of range",
    ),
    "float overflow to inf": (
        f"fn grow(k: number) -> number {{\n  let n = k + 0.5\n  for i in {NUMBERS_TO(24)} {{\n    n = n * n  # fails\n  }}\n  return n\n}}",
        "set n = grow(event.k)",
        {"s": "", "k": 3},
        "# fails",
        "a number is out of range",
    ),
    "increment overflow": (
        "",
        "increment n by event.k * event.k * event.k  # fails",
        {"s": "", "k": 10**103},
        "# fails",
        "a number is out of range",
    ),
    "list from split": (
        f"fn grow(s: text) -> number {{\n  let t = s\n  for i in {NUMBERS_TO(17)} {{\n    t = t + t\n  }}\n"
        f'  let parts = split(t, ",")  # fails\n  return count(parts)\n}}',
        "set n = grow(event.s)",
        {"s": "a,", "k": 0},
        "# fails",
        "over the limit of 100,000",
    ),
    "nested list written out": (
        "fn grow(s: text) -> text {\n  let a = [s, s, s, s, s, s, s, s, s, s]\n  let b = [a, a, a, a, a, a, a, a, a, a]\n"
        "  let c = [b, b, b, b, b, b, b, b, b, b]\n  let d = [c, c, c, c, c, c, c, c, c, c]\n"
        "  let e = [d, d, d, d, d, d, d, d, d, d]\n  let f = [e, e, e, e, e, e, e, e, e, e]\n"
        "  let g = [f, f, f, f, f, f, f, f, f, f]\n  let h = [g, g, g, g, g, g, g, g, g, g]\n"
        '  return "{h}"  # fails\n}',
        "set note = grow(event.s)",
        {"s": "abcdef", "k": 0},
        "# fails",
        "too large to write out",
    ),
    "nested list in a webhook body": (
        "fn grow(s: text) -> list<list<list<list<list<list<text>>>>>> {\n  let a = [s, s, s, s, s, s, s, s, s, s]\n"
        "  let b = [a, a, a, a, a, a, a, a, a, a]\n  let c = [b, b, b, b, b, b, b, b, b, b]\n"
        "  let d = [c, c, c, c, c, c, c, c, c, c]\n  let e = [d, d, d, d, d, d, d, d, d, d]\n"
        "  return [e, e, e, e, e, e, e, e, e, e]\n}",
        'webhook post "https://hooks.example.com/x" with {items: grow(event.s)}  # fails',
        {"s": "abcdef", "k": 0},
        "# fails",
        "too large to write out",
    ),
    "date overflow": (
        "",
        "set review = now() + 10000 years  # fails",
        {"s": "", "k": 0},
        "# fails",
        "a date is out of range",
    ),
    "date underflow": (
        "",
        "set review = now() - days(event.k)  # fails",
        {"s": "", "k": 800000},
        "# fails",
        "a date is out of range",
    ),
    "duration overflow": (
        "",
        "set review = now() + days(event.k)  # fails",
        {"s": "", "k": 10**20},
        "# fails",
        "a duration is out of range",
    ),
    "duration times a number": (
        "",
        "set review = now() + event.k * 1 days  # fails",
        {"s": "", "k": 10**300},
        "# fails",
        "a duration is out of range",
    ),
}

CHILD = textwrap.dedent("""
    import datetime as dt, json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))  # 2 GiB: a runaway allocation fails fast
    from leadflow import Engine, LeadflowRuntimeError, SimulatedClock
    source, data, time_limit = json.loads(sys.stdin.read())
    clock = SimulatedClock(dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc))
    engine = Engine.from_source(source, "limits.flow", clock=clock, time_limit=time_limit)
    engine.emit("upsert", "ada@example.com", {"note": "before"})
    def state():
        record = engine.record("ada@example.com")
        return [record.properties, len(engine.store.history(record.id)), len(engine.store.events())]
    before = state()
    start = time.monotonic()
    try:
        engine.emit("go", "ada@example.com", data)
        outcome = {"error": None}
    except LeadflowRuntimeError as error:
        outcome = {"error": type(error).__name__, "message": error.message, "where": error.where,
                   "line": error.span.line if error.span else None, "text": str(error)}
    outcome["seconds"] = time.monotonic() - start
    outcome["rolled back"] = state() == before
    engine.emit("ping", "ada@example.com", {})
    outcome["pings after"] = engine.record("ada@example.com").properties["pings"]
    print(json.dumps(outcome, default=str))
""")


def run_child(source: str, data: dict, time_limit: float = 5.0, timeout: float = 60) -> dict:
    """Emit `go` with `data` in a fresh engine in a child process; what happened, as a dict."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps([source, data, time_limit]),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"the child process died ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", list(CASES))
def test_each_growth_shape_is_a_runtime_error_at_its_line(name):
    declarations, action, data, marker, message = CASES[name]
    source = BASE + declarations + f'\nrule "Grow" when go then {action}\n'
    outcome = run_child(source, data)
    assert outcome["error"] == "LimitExceeded", outcome
    assert message in outcome["message"]
    assert outcome["where"] == 'rule "Grow"'
    failing_line = next(i for i, line in enumerate(source.splitlines(), 1) if marker in line)
    assert outcome["line"] == failing_line
    assert f"limits.flow:{failing_line}:" in outcome["text"]
    assert "Error" not in outcome["message"]  # no Python exception name: the language's own words
    assert outcome["seconds"] < 3, outcome
    assert outcome["rolled back"] is True
    assert outcome["pings after"] == 1  # the engine goes on with the next event


def test_the_time_limit_stops_a_loop_of_slow_steps():
    # each step writes half a megabyte as a slug, some 20 ms: far under the step budget, far over
    # the time limit; the clock read only every 1,024 steps let it run on for 20 s and more
    source = (
        BASE
        + f"""\
fn slow(s: text) -> number {{
  let t = s
  for i in {NUMBERS_TO(18)} {{
    t = t + t
  }}
  let n = 0
  for i in split(pad_left("", 99999, ","), ",") {{
    n = n + length(slug(t))
  }}
  return n
}}
rule "Grow" when go then set n = slow(event.s)
"""
    )
    outcome = run_child(source, {"s": "ab", "k": 0}, time_limit=1.0)
    assert outcome["error"] == "BudgetExceeded", outcome
    assert "time limit of 1 s" in outcome["message"]
    assert outcome["line"] == source.splitlines().index('  for i in split(pad_left("", 99999, ","), ",") {') + 1
    assert 1.0 <= outcome["seconds"] < 3, outcome
    assert outcome["rolled back"] is True and outcome["pings after"] == 1


def test_values_within_the_limits_still_work():
    source = (
        BASE
        + f"""\
fn grow(s: text) -> text {{
  let t = s
  for i in {NUMBERS_TO(18)} {{
    t = t + t
  }}
  return t
}}
rule "Grow" when go then {{
  set note = grow(event.s)
  set n = event.k * event.k
  set review = now() + 9 years
}}
"""
    )
    outcome = run_child(source, {"s": "ab", "k": 10**150})
    assert outcome["error"] is None, outcome
    assert outcome["rolled back"] is False and outcome["pings after"] == 1


@pytest.mark.parametrize(
    "declared, result, message",
    [
        ("text", "x" * 1_000_001, "text of 1,000,001 characters is over the limit of 1,000,000"),
        ("list<text>", ["x"] * 100_001, "a list has 100,001 items, over the limit of 100,000"),
        ("number", 10**400, "a number is out of range"),
    ],
)
def test_a_host_result_past_a_limit_fails_the_rule_that_called_it(engine_for, declared, result, message):
    from leadflow import LimitExceeded

    engine = engine_for(
        BASE.replace("event ping {}", f"event ping {{}}\nextern fn enrich(s: text) -> {declared}")
        + 'rule "Grow" when go then set note = "{enrich(event.s)}"\n'
    )
    engine.bind("enrich", lambda s: result)
    with pytest.raises(LimitExceeded) as caught:
        engine.emit("go", "ada@example.com", {"s": "a", "k": 0})
    assert message in caught.value.message and "enrich" in caught.value.message
    assert caught.value.where == 'rule "Grow"' and caught.value.span.line == 6
    assert engine.store.count_records() == 0


def test_unique_over_many_records_takes_linear_time():
    # comparing each record with every one kept took 20,000 x 10,000 comparisons
    source = (
        BASE.replace("event ping {}", "event ping {}\nevent many { items: list<{id: number}> }")
        + 'rule "Count" when many then set n = count(unique(event.items))\n'
    )
    child = CHILD.replace('engine.emit("go", "ada@example.com", data)', 'engine.emit("many", "ada@example.com", data)')
    done = subprocess.run(
        [sys.executable, "-c", child],
        input=json.dumps([source, {"items": [{"id": i} for i in range(20_000)]}, 5.0]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout)
    assert outcome["error"] is None and outcome["seconds"] < 3, outcome


def test_url_encoding_is_within_the_text_limit(engine_for):
    from leadflow import LimitExceeded

    engine = engine_for(BASE + 'rule "Grow" when go then set note = url_encode(event.s)\n')
    with pytest.raises(LimitExceeded, match="over the limit of 1,000,000") as caught:
        engine.emit("go", "ada@example.com", {"s": "é" * 200_000, "k": 0})  # 6 characters each, encoded
    assert caught.value.where == 'rule "Grow"' and caught.value.span.line == 5
    engine.emit("go", "ada@example.com", {"s": "é" * 100_000, "k": 0})
    assert len(engine.record("ada@example.com").properties["note"]) == 600_000
