"""Running a bundled example through the real engine, and reading what it did.

Named uniquely (not conftest) so the test modules can import it, as
tests/cli/cli_support.py is.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import leadflow.examples
from leadflow import Engine, SimulatedClock

EXAMPLES = Path(leadflow.examples.__file__).parent
UTC = dt.UTC
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday


def at(text: str) -> dt.datetime:
    """A moment from `2026-11-26T02:00` (UTC) or an event's `2026-11-26T02:00:00Z`."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load(name: str, tmp_path: Path | None = None, script_text: str | None = None, **options) -> Engine:
    """The example's engine on a simulated clock at START, its contacts.csv imported.
    With tmp_path the store is a SQLite file there, else in memory."""
    folder = EXAMPLES / name
    script = next(folder.glob("*.flow"))
    if tmp_path is not None:
        options.setdefault("store", str(tmp_path / "crm.db"))
        options.setdefault("email", str(tmp_path / "outbox"))
    engine = Engine.from_source(script_text or script.read_text(), script.name, clock=SimulatedClock(START), **options)
    with open(folder / "contacts.csv", newline="") as handle:
        results = engine.import_rows(list(csv.DictReader(handle)))
    assert all(not isinstance(r, Exception) for r in results), results
    return engine


def events(name: str) -> list[dict]:
    return [json.loads(line) for line in (EXAMPLES / name / "events.jsonl").read_text().splitlines() if line.strip()]


def play(engine: Engine, name: str, until: dt.datetime) -> None:
    """Apply the example's events.jsonl in order, then let the clock run to `until`,
    as `leadflow run --events events.jsonl --until ...` does."""
    failures = [r for r in engine.emit_many(events(name)) if isinstance(r, Exception)]
    assert not failures, failures
    engine.advance(until)
    assert not engine.failures, engine.failures


def props(engine: Engine, ref) -> dict:
    return engine.record(ref).properties


def lists(engine: Engine, object_type: str = "contact") -> dict:
    """Every record's lists, by email for contacts and by id for other records."""
    return {
        (record.props.get("email") if object_type == "contact" else record.id): sorted(engine.store.lists_of(record.id))
        for record in engine.store.records(object_type)
    }


def emails(engine: Engine) -> list[tuple[str, str]]:
    """(recipient, template) of every email in the outbox, in the order they were queued."""
    return [(e.payload["to"], e.payload["template"]) for e in engine.store.effects() if e.kind == "email"]


def emails_to(engine: Engine, address: str) -> list[str]:
    return [template for to, template in emails(engine) if to == address]


def templates(engine: Engine) -> Counter:
    return Counter(template for _, template in emails(engine))


def notifications(engine: Engine) -> list[tuple[str, str]]:
    return [(e.payload["channel"], e.payload["message"]) for e in engine.store.effects() if e.kind == "notify"]


def runs(engine: Engine, ref, workflow: str) -> list:
    """(run, log) of each enrollment of a record in a workflow, oldest first."""
    return [(run, log) for run, log in engine.record(ref).runs if run.workflow == workflow]


def only_run(engine: Engine, ref, workflow: str):
    found = runs(engine, ref, workflow)
    assert len(found) == 1, found
    return found[0]


def taken(log) -> list[str]:
    """What a run did, step by step: `enrolled`, `send email followup_1: step`, `wait 5 days: waiting`."""
    return [f"{entry.detail['step']}: {entry.kind}" if "step" in entry.detail else entry.kind for entry in log]
