"""Helpers for the workflow tests: an engine on a simulated clock, and a way
to read a record's runs. (Named uniquely so test modules can import it.)"""

from __future__ import annotations

import datetime as dt

from leadflow import Engine, SimulatedClock

UTC = dt.UTC
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday

CONTACT = """
object contact {
  first_name: text?
  lifecycle: enum { subscriber, lead, mql, sql, customer } = subscriber
  tier: enum { gold, silver, bronze } = bronze
  score: number = 0
  birthday: date?
  renewal: date?
  last_activity: datetime?
}
event form_submitted { form: text }
event ebook_downloaded { ebook: text }
list engaged
list trash
list done
email hello { subject: "Hi", body: "Hello {first_name ?? "there"}" }
email later { subject: "Later", body: "Again" }
"""


def make_engine(source: str, *, start: dt.datetime = START, **options) -> Engine:
    options.setdefault("clock", SimulatedClock(start))
    options.setdefault("seed", 7)
    return Engine.from_source(CONTACT + source, "test.flow", **options)


def runs_of(engine: Engine, email: str):
    return engine.record(email).runs


def kinds(engine: Engine, email: str, workflow: str | None = None) -> list[str]:
    """The run log of a contact as `kind step-label` strings, in order."""
    out = []
    for run, log in runs_of(engine, email):
        if workflow is None or run.workflow == workflow:
            out += [f"{e.kind} {e.detail.get('step', '')}".strip() for e in log]
    return out


def emails(engine: Engine) -> list[tuple[str, str]]:
    return [(e.payload["to"], e.payload["template"]) for e in engine.store.effects() if e.kind == "email"]


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)
