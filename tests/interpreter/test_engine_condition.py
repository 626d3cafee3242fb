"""engine.condition: a checked, compiled predicate over a plain mapping."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from engine_support import CONTACT, START
from leadflow import InputError, ScriptError

SCRIPT = (
    CONTACT
    + """
object deal { name: text, amount: number = 0, stage: enum { open, won, lost } = open, contact: contact reverse deals }
event won { amount: number }
when won then create deal { name: "d", amount: event.amount }
"""
)


@pytest.fixture
def engine(engine_for):
    return engine_for(SCRIPT)


@pytest.mark.parametrize(
    "text, code, words",
    [
        ('score == "x"', "E204", "cannot compare number with text"),
        ("lifecycle == leed", "E201", "`leed` is not a member of lifecycle's enum"),
        ("score + 1", "E204", "a condition must be bool, not number"),
        ("nope > 1", "E200", "unknown name `nope`"),
        ("visits + 1 > 2", None, "`visits` may be null"),
        ("lifecycle == lead and", "E100", "ends too early"),
    ],
)
def test_type_errors_are_script_errors_with_a_diagnostic(engine, text, code, words):
    with pytest.raises(ScriptError) as caught:
        engine.condition(text)
    diagnostic = caught.value.diagnostics[0]
    if code:
        assert diagnostic.code == code
    assert words in diagnostic.message
    assert diagnostic.span.file == "<condition>"


def test_an_unknown_member_suggests_the_closest(engine):
    with pytest.raises(ScriptError) as caught:
        engine.condition("lifecycle == leed")
    diagnostic = caught.value.diagnostics[0]
    assert "did you mean `lead`?" in diagnostic.label
    assert any("subscriber, lead, mql" in note for note in diagnostic.notes)
    assert "leed" in caught.value.render({"<condition>": "lifecycle == leed"})


def test_a_failed_condition_does_not_break_the_next_one(engine):
    with pytest.raises(ScriptError):
        engine.condition("score == true")
    assert engine.condition("score == 1")({"score": 1}) is True


def test_enum_members_resolve_bare(engine):
    predicate = engine.condition("lifecycle in [lead, mql] and persona != student")
    assert predicate({"lifecycle": "lead", "persona": "buyer"}) is True
    assert predicate({"lifecycle": "lead", "persona": "student"}) is False
    assert predicate({"lifecycle": "sql", "persona": "buyer"}) is False
    ordered = engine.condition("lifecycle >= mql")
    assert [ordered({"lifecycle": m}) for m in ("subscriber", "lead", "mql", "customer")] == [False, False, True, True]
    assert predicate.text == "lifecycle in [lead, mql] and persona != student"


def test_missing_keys_read_as_null_or_the_default(engine):
    assert engine.condition("score == 0 and lifecycle == subscriber and vip == false")({}) is True
    assert engine.condition("visits > 3")({}) is False
    assert engine.condition("visits <= 3")({}) is False
    assert engine.condition("visits != 3")({}) is False
    assert engine.condition("visits == null")({}) is True
    assert engine.condition("first_name is unknown")({"first_name": None}) is True
    assert engine.condition("(visits ?? 10) > 3")({}) is True
    assert engine.condition("last_activity > now() - 1 day")({"last_activity": START - dt.timedelta(hours=3)}) is True


def test_missing_built_in_properties_and_nulls_for_defaults_are_input_errors(engine):
    with pytest.raises(InputError, match="the record has no `created_at`"):
        engine.condition("created_at < now()")({})
    with pytest.raises(InputError, match=r"condition `score > 1`: .*null"):
        engine.condition("score > 1")({"score": None})
    assert engine.condition("created_at < now()")({"created_at": START - dt.timedelta(days=1)}) is True


def test_conditions_on_other_objects(engine):
    predicate = engine.condition("stage == won and amount > 100", "deal")
    assert predicate({"stage": "won", "amount": 500}) is True
    assert predicate({"amount": 500}) is False  # stage defaults to open
    with pytest.raises(ScriptError, match="unknown name `lifecycle`"):
        engine.condition("lifecycle == lead", "deal")


def test_reverse_associations_read_the_store(engine):
    predicate = engine.condition("count(deals) >= 2")
    engine.emit("upsert", "ada@example.com", {})
    assert predicate({"id": 1}) is False
    engine.emit("won", "ada@example.com", {"amount": 1}, key="1")
    engine.emit("won", "ada@example.com", {"amount": 2}, key="2")
    assert predicate({"id": 1}) is True
    # a fresh engine on the same store, before any event of its own, sees the same
    from leadflow import Engine

    other = Engine(engine.checked, store=engine.store, clock=engine.clock)
    assert other.condition("count(deals) >= 2")({"id": 1}) is True


def test_a_condition_reads_the_record_view(engine):
    engine.emit("upsert", "ada@example.com", {"score": 50, "lifecycle": "mql"})
    predicate = engine.condition('lifecycle == mql and score > 40 and email == "ada@example.com" and id == 1')
    assert predicate(engine.record("ada@example.com").properties) is True


def test_compiling_a_condition_leaves_no_notes_keyed_by_its_nodes(engine):
    """The checker notes types and names by id(node); a condition's nodes are garbage
    once it is compiled, and a later condition could get their ids. Were their notes
    kept, a string literal could read as the enum member a dead name resolved to."""
    checked = engine.gen.checked
    engine.condition("lifecycle == mql")  # the shared checker is made on first use
    before = (len(checked.types), len(checked.names))
    for text in ["lifecycle in [lead, mql]", '(first_name ?? "Bob") not in ["Ada", "Bob"]', "lifecycle == leed"]:
        with contextlib.suppress(ScriptError):
            engine.condition(text)
    assert (len(checked.types), len(checked.names)) == before
    assert engine.condition('(first_name ?? "Bob") not in ["Ada", "Bob"]')({"first_name": "Ada"}) is False
