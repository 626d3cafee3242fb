"""Every bad argument to the embedding API is a documented Leadflow error that
says what is accepted, never a TypeError or ValueError from inside the engine."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_support import CONTACT, START, make_engine, snapshot
from leadflow import Engine, HostError, InputError, LeadflowError, SystemClock
from leadflow.interpreter.engine import EmitResult

SCRIPT = (
    CONTACT
    + """
object deal { title: text, owner: contact? }
event form_submitted { form: text, page: url?, visits: number?, when: datetime?, tags: list<text>? }
event deal_won on deal { amount: number, by: contact? }
extern fn lookup(email: email) -> number
when form_submitted then increment score by 1
"""
)


@pytest.fixture
def engine():
    engine = make_engine(SCRIPT)
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    return engine


BAD_CALLS = [
    # (what the call does, words the message must contain)
    (
        lambda e: e.emit("form_submitted", contact="ada@example.com", data=["x"]),
        ['"data" must be a JSON object', '["x"]'],
    ),
    (lambda e: e.emit("form_submitted", "ada@example.com", "form=x"), ['"data" must be a JSON object']),
    (lambda e: e.emit("form_submitted", "ada@example.com", {1: "x"}), ["field names must be text"]),
    (lambda e: e.emit(["form_submitted"], "ada@example.com", {"form": "x"}), ["event name must be text"]),
    (
        lambda e: e.emit("form_submitted", "ada@example.com", {"form": "x"}, at="2026-01-01"),
        ["`at` must be a datetime"],
    ),
    (lambda e: e.emit("form_submitted", "ada@example.com", {"form": "x"}, key=5), ["event key must be text"]),
    (
        lambda e: e.emit("form_submitted", ["ada@example.com"], {"form": "x"}),
        ['"contact" must be an email or {"id": N}'],
    ),
    (lambda e: e.emit("form_submitted", {"id": "1"}, {"form": "x"}), ['"contact" must be an email or {"id": N}']),
    (lambda e: e.emit("form_submitted", {(1, 2): 3}, {"form": "x"}), ["contact and data must be JSON-like values"]),
    (lambda e: e.emit_many(5), ["events must be a list"]),
    (lambda e: e.emit_many([], batch_size=0), ["batch_size must be a whole number of at least 1"]),
    (lambda e: e.emit_many([], on_result="print"), ["on_result must be a function"]),
    (lambda e: e.emit_record(["form_submitted"]), ["an event must be a JSON object"]),
    (lambda e: e.emit_record({"event": "form_submitted", 3: 4}), ["unknown key(s) 3"]),
    (
        lambda e: e.emit_record({"event": "form_submitted", "contact": "ada@example.com", "data": []}),
        ['"data" must be a JSON object'],
    ),
    (
        lambda e: e.emit_record({"event": "form_submitted", "contact": "ada@example.com", "id": True}),
        ['"id" must be text or a whole number, got true'],
    ),
    (lambda e: e.import_rows("email\nada@example.com"), ["rows must be a list"]),
    (lambda e: e.import_rows([{"email": "ada@example.com"}], source=None), ["source must be text"]),
    (lambda e: e.bind(42, lambda email: 1), ["name must be text"]),
    (lambda e: e.find(["ada@example.com"]), ["a record is named by its id"]),
    (lambda e: e.find(None), ["a record is named by its id"]),
    (lambda e: e.record("not an email"), ["no record 'not an email'"]),
    (lambda e: e.record(3.5), ["a record is named by its id"]),
    (lambda e: e.record(99), ["no record 99"]),
    (lambda e: e.condition(5), ["expression must be text"]),
    (lambda e: e.condition("score > 1", object_type="ticket"), ["unknown object type", "contact, deal"]),
    (lambda e: e.expression("score", bindings={"x": int}), ["bindings must map names"]),
    (lambda e: e.advance("5 days"), ["advance takes a datetime or a timedelta"]),
    (lambda e: e.deliver(now="now"), ["`now` must be a datetime"]),
    (lambda e: e.deliver(limit=-1), ["limit must be a whole number of at least 1"]),
    (lambda e: e.retry_run("1"), ["a run id must be a whole number"]),
    (lambda e: e.retry_run(99), ["no run 99"]),
    (lambda e: e.stats(["w"]), ["workflow name must be text"]),
]


@pytest.mark.parametrize("call, words", BAD_CALLS, ids=[f"call-{i}" for i in range(len(BAD_CALLS))])
def test_a_bad_argument_is_an_input_error_saying_what_is_accepted(engine, call, words):
    before = snapshot(engine)
    with pytest.raises(InputError) as caught:
        call(engine)
    for word in words:
        assert word in caught.value.message
    assert snapshot(engine) == before


def test_rows_that_are_not_mappings_are_rejected_one_by_one(engine):
    results = engine.import_rows(
        [
            ["ada@example.com"],
            {"email": 5},
            {"email": "bo@example.com", 7: "x"},
            {"email": "cy@example.com", "first_name": object()},
            {"email": "di@example.com", "first_name": "Di"},
        ]
    )
    assert [type(r).__name__ for r in results] == ["InputError"] * 4 + ["EmitResult"]
    assert "a row must be a mapping" in results[0].message
    assert "the email cell must be text" in results[1].message
    assert "column names must be text" in results[2].message
    assert "a cell must be text or a number" in results[3].message


def test_bind_and_advance_errors_are_documented_types(engine):
    with pytest.raises(HostError, match="must be callable"):
        engine.bind("lookup", "not a function")
    with pytest.raises(HostError, match="declares no `extern fn nope`"):
        engine.bind("nope", lambda: 1)
    with Engine.from_source(SCRIPT, clock=SystemClock()) as system:
        with pytest.raises(InputError, match="only a simulated clock can be advanced"):
            system.advance(dt.timedelta(days=1))


# ---- never a crash: arbitrary JSON-like values for each argument of emit ------------------
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=12),
    st.text(st.characters(exclude_categories=[]), max_size=4),  # lone surrogates, NUL...
    st.sampled_from(["\ud800", "a\x00b", "x\udc00@example.com", "ada@example.com\r\n"]),
    st.sampled_from(
        [
            "ada@example.com",
            "form_submitted",
            "deal_won",
            "upsert",
            "2026-01-01T09:00:00Z",
            "https://x.example",
            "first_name",
            "score",
            "email",
            "id",
        ]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(st.text(max_size=6), st.sampled_from(["form", "page", "id", "amount", "email"])),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
events = st.one_of(st.sampled_from(["form_submitted", "deal_won", "upsert", "nope"]), json_values)
contacts = st.one_of(st.sampled_from(["ada@example.com", "new@example.com", {"id": 1}, {"id": 2}]), json_values)
datas = st.one_of(
    st.fixed_dictionaries(
        {"form": json_values},
        optional={"page": json_values, "when": json_values, "tags": json_values, "amount": json_values},
    ),
    st.dictionaries(st.sampled_from(["first_name", "score", "email", "lifecycle", "vip", "id"]), json_values),
    json_values,
)
moments = st.one_of(st.none(), st.datetimes(min_value=START.replace(tzinfo=None)), json_values)
keys = st.one_of(st.none(), json_values)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events, contact=contacts, data=datas, at=moments, key=keys)
def test_emit_never_crashes(event, contact, data, at, key):
    engine = make_engine(SCRIPT)
    try:
        result = engine.emit(event, contact, data, at=at, key=key)
    except LeadflowError:
        return
    assert isinstance(result, EmitResult)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"event": events}, optional={"contact": contacts, "data": datas, "at": json_values, "id": json_values}
            ),
        ),
        max_size=4,
    )
)
def test_emit_many_never_crashes(items):
    engine = make_engine(SCRIPT)
    results = engine.emit_many(items)
    assert len(results) == len(items)
    assert all(isinstance(r, (EmitResult, LeadflowError)) for r in results)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            json_values,
            st.dictionaries(
                st.one_of(
                    st.sampled_from(["email", "first_name", "score", "vip", "lifecycle", "id"]),
                    json_values.filter(lambda k: isinstance(k, (str, int, type(None)))),
                ),
                json_values,
                max_size=4,
            ),
        ),
        max_size=4,
    )
)
def test_import_rows_never_crashes(rows):
    engine = make_engine(SCRIPT)
    results = engine.import_rows(rows)
    assert len(results) == len(rows)
    assert all(isinstance(r, (EmitResult, LeadflowError)) for r in results)
