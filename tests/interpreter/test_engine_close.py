"""Engine.close: the engine closes the store it opened, and only that one."""

from __future__ import annotations

import pytest

from engine_support import CONTACT, START
from leadflow import Engine, SimulatedClock
from leadflow.store import SqliteStore

SCRIPT = (
    CONTACT
    + """
event form_submitted { form: text }
rule "form" when form_submitted then increment score by 10
"""
)


def test_with_closes_a_store_opened_from_a_path(tmp_path):
    db = tmp_path / "crm.db"
    with Engine.from_source(SCRIPT, "t.flow", store=str(db), clock=SimulatedClock(START)) as engine:
        engine.emit_many([{"event": "form_submitted", "contact": "ada@example.com", "data": {"form": "demo"}}])
    assert not (tmp_path / "crm.db-wal").exists()  # closed: the log was checkpointed and removed
    with pytest.raises(Exception, match="closed"):
        engine.store.count_records()
    with SqliteStore(db) as store:
        assert store.find_by("contact", "email", "ada@example.com").props["score"] == 10


def test_a_store_passed_in_stays_open():
    store = SqliteStore(":memory:")
    engine = Engine.from_source(SCRIPT, "t.flow", store=store, clock=SimulatedClock(START))
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    engine.close()
    assert store.count_records("contact") == 1
