"""Runtime errors point where they happen and speak the language's words:
the action, condition or `fn` statement that failed (line and column), never
the rule's first line with Python's message."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_support import make_engine
from leadflow import LeadflowError, LeadflowRuntimeError, LimitExceeded
from leadflow.limits import python_error

SCRIPT = """\
object contact { note: text?, n: number = 0, review: datetime?, day: date? }
event go { k: number, s: text }
fn scaled(k: number) -> number {
  let x = k
  x = x * x * x * x
  return x
}
rule "Plan" when go then {
  set note = "planning"
  set review = now() + 10000 years
}
rule "Later" when go if days(event.k) > 1 days then set n = 1
rule "Scale" when go then {
  set note = "scaling"
  set n = scaled(event.k)
}
"""


def position(source: str, text: str) -> tuple[int, int]:
    """1-based line and column of the first `text` in `source`."""
    for number, line in enumerate(source.splitlines(), 1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(text)


def only(source: str, rule: str) -> str:
    """The script with the rules other than `rule` left out (lines kept blank, so positions stay)."""
    lines, keep = [], True
    for line in source.splitlines():
        if line.startswith("rule "):
            keep = line.startswith(f'rule "{rule}"')
        lines.append(line if keep else "")
    return "\n".join(lines) + "\n"


@pytest.fixture
def engine_of(engine_for):
    return lambda rule: engine_for(only(SCRIPT, rule))


def failure(engine, data) -> LeadflowRuntimeError:
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit("go", "ada@example.com", data)
    return caught.value


def test_a_date_past_the_calendar_points_at_the_expression_of_the_action(engine_of):
    error = failure(engine_of("Plan"), {"k": 1, "s": ""})
    assert isinstance(error, LimitExceeded)
    assert error.where == 'rule "Plan"'
    assert (error.span.line, error.span.column) == position(SCRIPT, "now() + 10000 years")
    assert error.message == "a date is out of range: a date or datetime must fall within years 1 to 9999"
    line, column = position(SCRIPT, "now() + 10000 years")
    assert str(error).startswith(f'test.flow:{line}:{column}: runtime error in rule "Plan": a date is out of range')


def test_a_duration_too_long_in_a_condition_points_at_the_condition(engine_of):
    error = failure(engine_of("Later"), {"k": 10**18, "s": ""})
    assert isinstance(error, LimitExceeded) and error.where == 'rule "Later"'
    assert "a duration is out of range" in error.message
    assert "Python" not in error.message and "OverflowError" not in error.message
    assert (error.span.line, error.span.column) == position(SCRIPT, "days(event.k) > 1 days")


def test_of_a_trigger_filter_and_an_if_the_failing_one_is_pointed_at(engine_for):
    source = only(SCRIPT, "Later").replace("when go if", 'when go where event.s + event.s != "" if')
    engine = engine_for(source)
    error = failure(engine, {"k": 10**18, "s": "x"})
    assert (error.span.line, error.span.column) == position(source, "days(event.k) > 1 days")
    error = failure(engine, {"k": 1, "s": "x" * 600_000})
    assert "over the limit" in error.message
    assert (error.span.line, error.span.column) == position(source, "event.s + event.s")


def test_an_overflow_inside_a_fn_points_at_its_statement(engine_of):
    engine = engine_of("Scale")
    error = failure(engine, {"k": 10**80, "s": ""})
    assert isinstance(error, LimitExceeded) and error.where == 'rule "Scale"'
    assert (error.span.line, error.span.column) == position(SCRIPT, "x = x * x * x * x")
    assert engine.store.count_records() == 0  # the contact the event would have created is rolled back
    engine.emit("go", "ada@example.com", {"k": 10, "s": ""})
    assert engine.record("ada@example.com").properties["n"] == 10_000


def test_a_number_written_out_in_text_is_within_the_limits(engine_for):
    engine = engine_for(
        only(SCRIPT, "Scale")
        .replace('set note = "scaling"', 'set note = "{event.k * event.k}"')
        .replace("set n = scaled(event.k)", "")
    )
    engine.emit("go", "ada@example.com", {"k": 10**150, "s": ""}, key="a")  # 301 digits: fine
    assert engine.record("ada@example.com").properties["note"] == "1" + "0" * 300


def test_an_expression_evaluated_alone_fails_in_the_language_words(engine_for):
    engine = engine_for(SCRIPT)
    with pytest.raises(LimitExceeded) as caught:
        engine.expression("2026-01-01 - 3000 years", object_type=None).evaluate()
    assert caught.value.message.startswith("a date is out of range")
    assert caught.value.span is None  # the caller holds the expression; no position inside it to add


def test_a_compiled_condition_fails_in_the_language_words(engine_for):
    condition = engine_for(SCRIPT).condition("(review ?? now()) - 3 years < now()")
    with pytest.raises(LimitExceeded, match="a date is out of range"):
        condition({"id": 1, "review": dt.datetime(2, 1, 1, tzinfo=dt.UTC)})
    assert condition({"id": 1, "review": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}) is True


@pytest.mark.parametrize(
    "error, words",
    [
        (OverflowError("date value out of range"), "a date is out of range"),
        (ValueError("year 12026 is out of range"), "a date is out of range"),
        (OverflowError("Python int too large to convert to C int"), "a number is out of range"),
        (ValueError("Exceeds the limit (4300 digits) for integer string conversion"), "a number is out of range"),
        (MemoryError(), "too large to hold in memory"),
        (ZeroDivisionError("float division by zero"), "division by zero"),
    ],
)
def test_python_errors_are_said_in_the_language_words(error, words):
    said = python_error(error)
    assert isinstance(said, LeadflowRuntimeError) and words in said.message
    assert type(error).__name__ not in said.message


# ---- never crash: random expressions over extreme values ------------------------------

BIG = "9" * 307  # a literal may go up to about 1e308 (E101 past it)
NUMBERS = st.sampled_from(["0", "1", "-1", "0.5", "3", "1000000", BIG, f"-{BIG}", "0.000001", "7.25"])
TEXTS = st.sampled_from(['""', '"a"', '"ab,cd"', '"ß"', '"x,"'])
DATES = st.sampled_from(["2026-01-31", "0001-01-01", "9999-12-31", "now()", "today()"])
UNITS = st.sampled_from(["days", "weeks", "months", "years", "hours", "minutes"])


def numbers(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "%"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda n: f"(-{n})"),
        st.tuples(st.sampled_from(["round", "floor", "ceil", "abs"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda n: f'length(pad_left("", {n}))'),
        children.map(lambda n: f"sum([{n}, {n}, {n}])"),
    )


NUMBER_EXPRS = st.recursive(NUMBERS, numbers, max_leaves=8)


def texts(children):
    return st.one_of(
        st.tuples(children, children).map(lambda t: f"({t[0]} + {t[1]})"),
        st.tuples(children, children).map(lambda t: f'"{{{t[0]}}}{{{t[1]}}}"'),
        st.tuples(children, children).map(lambda t: f'replace({t[0]}, "a", {t[1]})'),
        children.map(lambda s: f"upper({s})"),
        st.tuples(children, NUMBER_EXPRS).map(lambda t: f'pad_right({t[0]}, {t[1]}, "-")'),
        st.tuples(children, children).map(lambda t: f'join(split({t[0]}, ","), {t[1]})'),
        NUMBER_EXPRS.map(lambda n: f'"{{{n}}}"'),
    )


TEXT_EXPRS = st.recursive(TEXTS, texts, max_leaves=8)
DURATIONS = st.one_of(
    st.tuples(NUMBERS, UNITS).map(
        lambda t: f"{t[1]}({t[0]})" if t[1] in ("days", "weeks", "hours", "minutes") else f"1 {t[1]}"
    ),
    st.tuples(NUMBER_EXPRS, UNITS).map(lambda t: f"({t[0]} * 1 {t[1][:-1]})"),
)
DATE_EXPRS = st.one_of(
    st.tuples(DATES, st.sampled_from(["+", "-"]), DURATIONS).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.tuples(DATES, DATES).map(lambda t: f"({t[0]} - {t[0]} + ({t[1]} - {t[1]}))"),
    st.tuples(DATES, NUMBER_EXPRS).map(lambda t: f"({t[0]} + days({t[1]}) * 2)"),
)
EXPRESSIONS = st.one_of(NUMBER_EXPRS, TEXT_EXPRS, DATE_EXPRS)


@pytest.fixture(scope="module")
def shared_engine():
    engine = make_engine(SCRIPT, start=dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    yield engine
    engine.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(EXPRESSIONS)
def test_extreme_expressions_give_a_value_or_a_leadflow_error(shared_engine, text):
    try:
        expression = shared_engine.expression(text, object_type=None)
    except LeadflowError:
        return  # the checker refused it (a type it does not allow): not what this test is about
    try:
        expression.evaluate()
    except LeadflowError as error:
        assert "Error" not in error.message or "LeadflowError" in error.message, error.message


def test_a_workflow_timer_past_the_calendar_stops_the_run_in_the_language_words(engine_for):
    source = """\
object contact { n: number = 0, k: number = 0 }
workflow w {
  enroll when k changed
  wait days(k)
  set n = 1
}
"""
    engine = engine_for(source)
    engine.emit("upsert", "ada@example.com", {"k": 3_000_000})  # 8,200 years from 2026
    (run,) = engine.store.runs()
    assert run.status == "error"
    assert run.error == (
        "test.flow:4:3: runtime error in workflow w, step 1: "
        "a date is out of range: a date or datetime must fall within years 1 to 9999"
    )


def test_the_limits_example_of_the_language_docs_is_what_the_engine_says():
    import re
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "language.md").read_text("utf-8")
    source, shown = re.search(r"### Limits.*?```leadflow\n(.*?)```\n\n```text\n(.*?)```", page, re.S).groups()
    engine = make_engine(source, filename="rt.flow")
    said = []
    for event, data in (("grow", {"seed": "x"}), ("plan", {"years": 9000})):
        with pytest.raises(LimitExceeded) as caught:
            engine.emit(event, "ada@example.com", data)
        said.append(str(caught.value))
    engine.close()
    assert said == shown.splitlines()


def test_the_extremes_of_the_calendar_are_values(engine_for):
    engine = engine_for(SCRIPT)
    span = engine.expression("9999-12-31 - 0001-01-01", object_type=None).evaluate()
    assert str(span) == "3652058 days"
    assert engine.expression("0001-01-01 + (9999-12-31 - 0001-01-01)", object_type=None).evaluate() == dt.date(
        9999, 12, 31
    )
    assert engine.expression("2026-01-01 + 7900 years", object_type=None).evaluate() == dt.date(9926, 1, 1)
