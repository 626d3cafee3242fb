"""Helpers shared by the engine tests: a script-to-engine factory on a simulated
clock, a contact schema most tests extend, and a snapshot of what an event can
change. (A module with a name of its own, so no other `conftest` can shadow it.)"""

from __future__ import annotations

import datetime as dt

from leadflow import Engine, SimulatedClock

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

CONTACT = """
object contact {
  first_name: text
  lifecycle: enum { subscriber, lead, mql, sql, opportunity, customer } = subscriber
  persona: enum { student, competitor, partner, buyer, other }
  score: number = 0
  visits: number?
  vip: bool = false
  last_activity: datetime
}
"""


def make_engine(source: str, *, filename: str = "test.flow", start: dt.datetime = START, **options) -> Engine:
    options.setdefault("clock", SimulatedClock(start))
    return Engine.from_source(source, filename, **options)


def snapshot(engine: Engine) -> dict:
    """Everything an event can change, for before/after comparisons."""
    store = engine.store
    records = {}
    for record in store.records():
        records[record.id] = (
            record.type,
            record.props,
            sorted(store.lists_of(record.id)),
            len(store.history(record.id)),
        )
    return {
        "records": records,
        "events": [e.key for e in store.events()],
        "effects": [e.key for e in store.effects()],
    }
