"""Atomicity: a runtime error anywhere in an event's work undoes all of it."""

from __future__ import annotations

import pytest

from engine_support import CONTACT, snapshot
from leadflow import InputError, LeadflowRuntimeError

SCRIPT = (
    CONTACT
    + """
  object contact { backup: email? }
extern fn boom(x: number) -> number
email hi { subject: "hi" body: "hello" }
list seen
event divide { by: number }
event host {}
event bad_email { address: text }

rule "Divide" when divide then {
  set first_name = "changed"
  send email hi
  set score = 100 / event.by
}
rule "Host" when host then {
  add to seen
  notify "sales" "about {email}"
  set score = boom(score)
}
rule "Bad email" when bad_email then {
  increment score by 1
  webhook post "https://hooks.example.com/x" with {email: email}
  set backup = event.address
}
"""
)


@pytest.fixture
def engine(engine_for):
    # one object declaration: the script's contact gains `backup` next to the shared properties
    source = SCRIPT.replace("  object contact { backup: email? }\n", "").replace(
        "  last_activity: datetime\n", "  last_activity: datetime\n  backup: email?\n"
    )
    engine = engine_for(source)

    def boom(x: float) -> float:
        raise ValueError("the enrichment service is down")

    engine.bind("boom", boom)
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada", "score": 3})
    return engine


CASES = [
    ("divide", {"by": 0}, 'rule "Divide"', "  set score = 100 / event.by", "division by zero"),
    (
        "host",
        {},
        'rule "Host"',
        "  set score = boom(score)",
        "host function `boom` failed: ValueError: the enrichment service is down",
    ),
    (
        "bad_email",
        {"address": "not-an-email"},
        'rule "Bad email"',
        "  set backup = event.address",
        "cannot store 'not-an-email' in `backup`: not an email address",
    ),
]


@pytest.mark.parametrize("event, data, rule, line, message", CASES, ids=[c[0] for c in CASES])
def test_an_error_in_the_third_action_rolls_back_the_event(engine, event, data, rule, line, message):
    before = snapshot(engine)
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit(event, "ada@example.com", data)
    error = caught.value
    assert error.where == rule
    assert message in error.message
    # the line is that of the failing action, counted in the script as loaded
    source_lines = engine.checked.sources["test.flow"].splitlines()
    assert error.span is not None
    assert source_lines[error.span.line - 1] == line
    assert rule in str(error) and f"test.flow:{error.span.line}" in str(error)
    # the first two actions (a property, a list, an email, a webhook, a notification) are undone
    assert snapshot(engine) == before
    view = engine.record("ada@example.com")
    assert view.properties["first_name"] == "Ada" and view.properties["score"] == 3
    assert view.lists == []
    assert engine.store.effects() == []
    assert not engine.store.events(name=event)


def test_the_same_event_can_succeed_after_a_failure(engine):
    with pytest.raises(LeadflowRuntimeError):
        engine.emit("divide", "ada@example.com", {"by": 0}, key="k")
    # a failed event was not logged, so its key is still free
    result = engine.emit("divide", "ada@example.com", {"by": 4}, key="k")
    assert not result.duplicate
    assert engine.record("ada@example.com").properties["score"] == 25
    assert [e.kind for e in engine.store.effects()] == ["email"]


def test_an_error_while_creating_the_contact_leaves_no_contact(engine):
    with pytest.raises(LeadflowRuntimeError):
        engine.emit("divide", "new@example.com", {"by": 0})
    assert engine.find("new@example.com") is None
    assert engine.store.count_records() == 1


def test_emit_many_rolls_back_only_the_failing_event(engine):
    results = engine.emit_many(
        [
            {"event": "divide", "contact": "ada@example.com", "data": {"by": 2}, "id": "1"},
            {"event": "divide", "contact": "ada@example.com", "data": {"by": 0}, "id": "2"},
            {"event": "nope", "contact": "ada@example.com", "id": "3"},
            {"event": "bad_email", "contact": "bob@example.com", "data": {"address": "bob@work.example"}, "id": "4"},
            {"event": "host", "contact": "carl@example.com", "id": "5"},
        ]
    )
    assert [type(r).__name__ for r in results] == [
        "EmitResult",
        "LeadflowRuntimeError",
        "InputError",
        "EmitResult",
        "LeadflowRuntimeError",
    ]
    assert isinstance(results[2], InputError)
    assert results[1].where == 'rule "Divide"' and results[4].where == 'rule "Host"'
    assert engine.record("ada@example.com").properties["score"] == 50
    bob = engine.record("bob@example.com").properties
    assert bob["backup"] == "bob@work.example" and bob["score"] == 1
    assert engine.find("carl@example.com") is None
    assert sorted(e.key for e in engine.store.events()) == sorted([engine.store.events(name="upsert")[0].key, "1", "4"])
    assert sorted(e.kind for e in engine.store.effects()) == ["email", "webhook"]


def test_an_error_in_a_rule_condition_names_the_rule_and_its_line(engine_for):
    source = (
        CONTACT
        + """
event divide { by: number }
rule "Cond" when divide if 10 / event.by > 1 then set score = 1
"""
    )
    engine = engine_for(source)
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit("divide", "ada@example.com", {"by": 0})
    error = caught.value
    assert error.where == 'rule "Cond"' and "division by zero" in error.message
    assert (
        error.span is not None
        and error.span.line
        == source.splitlines().index('rule "Cond" when divide if 10 / event.by > 1 then set score = 1') + 1
    )
    assert engine.store.count_records() == 0
