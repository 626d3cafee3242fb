"""Shared helpers for the engine tests: a script-to-engine factory on a
simulated clock, and readers for what an event left in the store."""
from __future__ import annotations

import datetime as dt

import pytest

from leadflow import Engine, SimulatedClock

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)

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


@pytest.fixture
def engine_for():
    """engine_for(script) -> Engine on a fresh in-memory store and a simulated clock."""
    engines: list[Engine] = []

    def build(source: str, **options) -> Engine:
        engine = make_engine(source, **options)
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.store.close()


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


def history_fields(engine: Engine, ref) -> list[tuple[str, str | None]]:
    return [(h.kind, h.field) for h in engine.record(ref).history]
