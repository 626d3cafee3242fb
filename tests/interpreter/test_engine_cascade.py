"""Cascades: breadth-first, no self re-triggering, a depth limit that rolls everything back."""

from __future__ import annotations

import pytest

from engine_support import CONTACT, snapshot
from leadflow import LeadflowRuntimeError

BREADTH = (
    CONTACT
    + """
event go {}
list a_list
rule "A" when go then { set first_name = "a"  set lifecycle = lead }
rule "B" when go then set persona = buyer
rule "on name" when first_name changed then add to a_list
rule "on lifecycle" when lifecycle changed then increment score by 1
rule "on persona" when persona changed then set visits = 1
rule "on list" when added to a_list then set vip = true
rule "on score" when score changed then increment visits by 10
"""
)


def test_cascade_runs_breadth_first(engine_for):
    engine = engine_for(BREADTH)
    engine.emit("upsert", "ada@example.com", {})
    result = engine.emit("go", "ada@example.com")
    # level 1: the event's rules; level 2: what A and B changed, in the order they changed it;
    # level 3: what level 2 changed
    assert result.fired == (
        'rule "A"',
        'rule "B"',
        'rule "on name"',
        'rule "on lifecycle"',
        'rule "on persona"',
        'rule "on list"',
        'rule "on score"',
    )
    props = engine.record("ada@example.com").properties
    assert props["vip"] is True and props["score"] == 1 and props["visits"] == 11


def test_a_rule_does_not_retrigger_itself(engine_for):
    engine = engine_for(
        CONTACT
        + """
rule "self" when score changed then increment score by 1
rule "other" when score changed then increment visits by 1
"""
    )
    result = engine.emit("upsert", "ada@example.com", {"score": 5})
    # "self" runs once for the upsert's change, not again for its own; "other" sees both changes
    assert result.fired == ('rule "self"', 'rule "other"', 'rule "other"')
    props = engine.record("ada@example.com").properties
    assert props["score"] == 6 and props["visits"] == 2


PING_PONG = (
    CONTACT
    + """
event go {}
rule "Ping" when score changed then increment visits by 1
rule "Pong" when visits changed then increment score by 1
email hi { subject: "hi" body: "hi" }
when go then { send email hi  increment score by 1 }
"""
)


def test_rules_triggering_each_other_hit_the_cascade_limit_and_roll_back(engine_for):
    engine = engine_for(PING_PONG, cascade_limit=6)
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    before = snapshot(engine)
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit("go", "ada@example.com")
    error = caught.value
    assert "more than 6 levels deep" in error.message
    assert 'rule "Ping" -> rule "Pong" -> rule "Ping"' in error.message
    assert error.where in ('rule "Ping"', 'rule "Pong"')
    # nothing of the event is kept: no history, no outbox row, no event log entry, same record
    assert snapshot(engine) == before
    assert engine.store.effects() == []
    assert [e.name for e in engine.store.events()] == ["upsert"]
    view = engine.record("ada@example.com")
    assert view.properties["score"] == 0 and "visits" not in view.properties


def test_cascade_limit_is_a_depth_not_a_count(engine_for):
    # nine rules in a chain are nine levels: fine with the default limit of 10. Declared in
    # reverse so that each level fires only the next rule (rules of one happening see the
    # changes of the rules before them, so in declaration order all would fire at level 1)
    chain = "\n".join(
        f'rule "r{i}" when visits changed if visits == {i} then set visits = {i + 1}' for i in reversed(range(9))
    )
    engine = engine_for(CONTACT + chain)
    result = engine.emit("upsert", "ada@example.com", {"visits": 0})
    assert result.fired == tuple(f'rule "r{i}"' for i in range(9))
    assert engine.record("ada@example.com").properties["visits"] == 9
    tight = engine_for(CONTACT + chain, cascade_limit=3)
    with pytest.raises(LeadflowRuntimeError, match="more than 3 levels deep"):
        tight.emit("upsert", "ada@example.com", {"visits": 0})
    assert tight.store.count_records() == 0
