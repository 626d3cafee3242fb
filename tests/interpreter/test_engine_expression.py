"""engine.expression: one expression checked in the program's context, with
`let` bindings, compiled, and evaluated against a stored record (the REPL's
machinery); values.show writes the results as a script would."""

from __future__ import annotations

import datetime as dt

import pytest

from engine_support import CONTACT, START
from leadflow import LeadflowRuntimeError, ScriptError
from leadflow.check import types as T
from leadflow.values import Duration, show

SCRIPT = (
    CONTACT
    + """
object deal { name: text, amount: number = 0, contact: contact reverse deals }
event form_submitted { form: text }
const vip_score = 90
when form_submitted then set lifecycle = lead
"""
)


@pytest.fixture
def engine(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("upsert", contact="ada@example.com", data={"first_name": "Ada", "score": 42})
    return engine


@pytest.fixture
def ada(engine):
    return engine.find("ada@example.com")


@pytest.mark.parametrize(
    "text, value, type_",
    [
        ("score", "42", "number"),
        ("lifecycle", "subscriber", "lifecycle's enum"),
        ("email", '"ada@example.com"', "email?"),
        ("persona", "null", "persona's enum?"),
        ('first_name ?? email ?? "?"', '"Ada"', "text"),
        ("score > const.vip_score", "false", "bool"),
        ("5 days", "5 days", "duration"),
        ("now() - 1 week", "2026-11-16T09:00Z", "datetime"),
        ("[score, 1.5]", "[42, 1.5]", "list<number>"),
        ("{name: first_name, size: 3}", '{name: "Ada", size: 3}', "{name: text?, size: number}"),
        ("contact", "contact 1", "contact"),
        ("deals", "[]", "list<deal>"),
        ("2026-12-10", "2026-12-10", "date"),
        ("09:30", "09:30", "time"),
    ],
)
def test_an_expression_reads_the_stored_record_and_has_the_checkers_type(engine, ada, text, value, type_):
    expression = engine.expression(text)
    assert (show(expression.evaluate(ada), expression.type), str(expression.type)) == (value, type_)


def test_bindings_are_typed_names_that_shadow_nothing_else(engine, ada):
    expression = engine.expression("double + score", bindings={"double": T.NUMBER})
    assert expression.evaluate(ada, {"double": 8}) == 50
    with pytest.raises(ScriptError) as caught:
        engine.expression("double + 1")
    assert caught.value.diagnostics[0].code == "E200"


def test_type_errors_name_the_source_given(engine):
    with pytest.raises(ScriptError) as caught:
        engine.expression('score + "x"', source_name="<repl>")
    diagnostic = caught.value.diagnostics[0]
    assert (diagnostic.code, diagnostic.span.file, diagnostic.span.column) == ("E207", "<repl>", 1)


def test_warnings_are_kept_with_the_checked_expression(engine):
    checked = engine.check_expression("score ?? 1")
    assert [w.code for w in checked.warnings] == ["W201"]


def test_an_expression_without_properties_needs_no_record(engine):
    expression = engine.expression("1 + 2 * 3")
    assert not expression.checked.reads_record
    assert expression.evaluate() == 7


def test_reading_a_property_without_a_record_is_a_runtime_error_not_a_crash(engine):
    expression = engine.expression("score + 1")
    assert expression.checked.reads_record
    with pytest.raises(LeadflowRuntimeError, match="no record was given"):
        expression.evaluate()


def test_runtime_errors_stay_leadflow_errors(engine, ada):
    with pytest.raises(LeadflowRuntimeError, match="division by zero"):
        engine.expression("score / 0").evaluate(ada)


def test_the_type_of_another_objects_record(engine):
    expression = engine.expression("amount * 2", object_type="deal")
    assert str(expression.type) == "number"


@pytest.mark.parametrize(
    "value, type_, text",
    [
        ("lead", T.EnumType(("lead",)), "lead"),
        ("lead", T.TEXT, '"lead"'),
        ('say "hi" {x}', T.TEXT, r'"say \"hi\" {{x}}"'),
        (3.0, T.NUMBER, "3"),
        (True, T.BOOL, "true"),
        (None, T.nullable(T.TEXT), "null"),
        (Duration(months=14), T.DURATION, "1 year 2 months"),
        (
            dt.datetime(2026, 12, 10, 9, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            T.DATETIME,
            "2026-12-10T09:00:30+01:00",
        ),
        (START, T.DATETIME, "2026-11-23T09:00Z"),
        (7, T.ObjectType("deal"), "deal 7"),
        (["a", None], T.ListType(T.nullable(T.TEXT)), '["a", null]'),
    ],
)
def test_values_are_shown_as_a_script_writes_them(value, type_, text):
    assert show(value, type_) == text
