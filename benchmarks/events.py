"""Events per second through the engine into SQLite: 100 rules, 100,000 contacts.

The script has 50 event types with two rules each (100 rules); each rule has
an `if` condition and one or two property writes. Contacts are loaded first;
then events for random contacts go through `engine.emit_many` into a SQLite
file (batches of 500 events per commit, each event its own savepoint).

The baseline, measured in the same run, is hand-written Python doing the same
work directly with sqlite3: look the contact up by email, decode its JSON,
apply the same rule logic, write the record, a history row per change and an
event-log row, committing every 500 events. The ratio shows what the
language, checker and cascade machinery cost on top of the raw writes.

Each run times the baseline, then Leadflow, each on a fresh database file
whose contacts are loaded and checkpointed beforehand, from the first event
until the database is closed: closing checkpoints what the WAL still holds,
work a run must not leave out of its time. The figures are the best of
--runs runs (the machine is shared, and the best run is the one least
disturbed). --breakdown adds one more Leadflow run that times every SQL
statement the store runs, to split an event's time into commit, end-of-batch
writes, the contact lookup, the checkpoint at close and the engine's own work.
Leadflow commits each batch on a writer thread while the engine runs the next
(store/series.py): the breakdown shows the writer's statements apart, as they
overlap the rest, and how long the engine waited for the writer.

Usage: python benchmarks/events.py [--contacts N] [--events N] [--runs N] [--breakdown]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from leadflow import Engine, SimulatedClock  # noqa: E402
from leadflow.store.series import BatchSeries  # noqa: E402

EVENT_TYPES = 50
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def script() -> str:
    lines = [
        "object contact {",
        "  lifecycle: enum { subscriber, lead, mql, sql } = subscriber",
        "  persona: enum { buyer, student, other }",
        "  score: number = 0",
        "  last_activity: datetime",
        "  last_event: text",
        "}",
    ]
    for i in range(EVENT_TYPES):
        lines.append(f"event ev{i} {{ value: number }}")
    for i in range(EVENT_TYPES):
        lines.append(
            f'rule "score ev{i}" when ev{i} if event.value > {i % 10} then {{ increment score by 1  set last_activity = now() }}'
        )
        lines.append(f'rule "tag ev{i}" when ev{i} if persona != student then set last_event = "ev{i}"')
    return "\n".join(lines)


def hand_written_rules(props: dict, name: str, value: int, now: dt.datetime) -> list[tuple[str, object, object]]:
    """The same 100 rules as plain Python: returns the changes (field, old, new)."""
    i = int(name[2:])
    changes = []
    if value > i % 10:
        changes.append(("score", props.get("score", 0), props.get("score", 0) + 1))
        props["score"] = props.get("score", 0) + 1
        changes.append(("last_activity", props.get("last_activity"), now.isoformat()))
        props["last_activity"] = now.isoformat()
    persona = props.get("persona")
    if persona is not None and persona != "student" and props.get("last_event") != name:
        changes.append(("last_event", props.get("last_event"), name))
        props["last_event"] = name
    return changes


def make_events(n: int, contacts: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "event": f"ev{rng.randrange(EVENT_TYPES)}",
            "contact": f"c{rng.randrange(contacts)}@example.com",
            "data": {"value": rng.randrange(10)},
            "id": f"e{k}",
        }
        for k in range(n)
    ]


def load_contacts(store, n: int) -> None:
    rng = random.Random(3)
    with store.batch():
        for i in range(n):
            props = {
                "email": f"c{i}@example.com",
                "score": 0,
                "lifecycle": "subscriber",
                "persona": rng.choice(["buyer", "student", "other"]),
            }
            store.create_record("contact", props, START, "benchmark load")


def run_engine(folder: Path, contacts: int, events: list[dict], sql_times: Counter | None = None) -> float:
    engine = Engine.from_source(script(), "bench.flow", store=str(folder / "engine.db"), clock=SimulatedClock(START))
    assert len(engine.rules.all) == 100
    load_contacts(engine.store, contacts)
    engine.store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the load's pages are not the events' work
    if sql_times is not None:
        engine.store._conn = TimedConnection(engine.store._conn, sql_times)
        settle = BatchSeries.settle

        def timed_settle(series, quietly=False):  # waits for the writer thread
            start = time.perf_counter()
            try:
                settle(series, quietly)
            finally:
                sql_times["waiting for the writer"] += time.perf_counter() - start

        BatchSeries.settle = timed_settle
    start = time.perf_counter()
    try:
        results = engine.emit_many(events, batch_size=500)
    finally:
        if sql_times is not None:
            BatchSeries.settle = settle
    closing = time.perf_counter()
    engine.store.close()
    elapsed = time.perf_counter() - start
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, failures[:3]
    if sql_times is not None:
        sql_times["total"] = elapsed
        sql_times["checkpoint at close"] = elapsed - (closing - start)
    return len(events) / elapsed


class TimedConnection:
    """Stands in for the store's sqlite3 connection and adds up the time of its statements."""

    def __init__(self, conn: sqlite3.Connection, times: Counter):
        self.conn, self.times = conn, times

    def execute(self, sql, *args):
        start = time.perf_counter()
        cursor = self.conn.execute(sql, *args)
        if sql.startswith("SELECT"):  # reading the rows is SQLite's work too
            cursor = FetchedRows(cursor.fetchall())
        self.times[phase_of(sql)] += time.perf_counter() - start
        return cursor

    def executemany(self, sql, rows):
        start = time.perf_counter()
        cursor = self.conn.executemany(sql, rows)
        self.times[phase_of(sql)] += time.perf_counter() - start
        return cursor

    def __getattr__(self, name):
        return getattr(self.conn, name)


class FetchedRows(list):
    """A SELECT's rows, read at once, as a cursor hands them out."""

    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


def phase_of(sql: str) -> str:
    on_writer = threading.current_thread() is not threading.main_thread()
    if sql == "COMMIT":
        phase = "commit"
    elif sql.startswith(("INSERT", "UPDATE")):
        phase = "end-of-batch writes"
    elif sql.startswith("SELECT") and "FROM records" in sql:
        phase = "contact lookup"
    else:
        phase = "other SQL"
    return f"writer thread: {phase}" if on_writer else phase


def run_baseline(folder: Path, contacts: int, events: list[dict]) -> float:
    db = sqlite3.connect(folder / "baseline.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, email TEXT, props TEXT, updated_at TEXT)")
    db.execute("CREATE UNIQUE INDEX records_email ON records(email)")
    db.execute(
        "CREATE TABLE history (id INTEGER PRIMARY KEY, record_id INT, at TEXT, field TEXT, old TEXT, new TEXT, cause TEXT)"
    )
    db.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT UNIQUE, name TEXT, record_id INT, at TEXT, data TEXT)"
    )
    rng = random.Random(3)
    db.execute("BEGIN")
    for i in range(contacts):
        props = {
            "email": f"c{i}@example.com",
            "score": 0,
            "lifecycle": "subscriber",
            "persona": rng.choice(["buyer", "student", "other"]),
        }
        db.execute(
            "INSERT INTO records (email, props, updated_at) VALUES (?, ?, ?)",
            (props["email"], json.dumps(props), START.isoformat()),
        )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    now = START
    start = time.perf_counter()
    for offset in range(0, len(events), 500):
        db.execute("BEGIN")
        for event in events[offset : offset + 500]:
            db.execute("SAVEPOINT ev")
            if db.execute("SELECT 1 FROM events WHERE key = ?", (event["id"],)).fetchone():
                db.execute("RELEASE ev")
                continue
            record_id, raw = db.execute("SELECT id, props FROM records WHERE email = ?", (event["contact"],)).fetchone()
            props = json.loads(raw)
            changes = hand_written_rules(props, event["event"], event["data"]["value"], now)
            if changes:
                db.execute(
                    "UPDATE records SET props = ?, updated_at = ? WHERE id = ?",
                    (json.dumps(props), now.isoformat(), record_id),
                )
                db.executemany(
                    "INSERT INTO history (record_id, at, field, old, new, cause) VALUES (?, ?, ?, ?, ?, ?)",
                    [(record_id, now.isoformat(), f, json.dumps(o), json.dumps(n), "rule") for f, o, n in changes],
                )
            db.execute(
                "INSERT INTO events (key, name, record_id, at, data) VALUES (?, ?, ?, ?, ?)",
                (event["id"], event["event"], record_id, now.isoformat(), json.dumps(event["data"])),
            )
            db.execute("RELEASE ev")
        db.execute("COMMIT")
    db.close()
    elapsed = time.perf_counter() - start
    return len(events) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()
    events = make_events(args.events, args.contacts)
    baselines, engines = [], []
    sql_times: Counter = Counter()
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            baselines.append(run_baseline(Path(tmp), args.contacts, events))
        with tempfile.TemporaryDirectory() as tmp:
            engines.append(run_engine(Path(tmp), args.contacts, events))
    if args.breakdown:
        with tempfile.TemporaryDirectory() as tmp:
            run_engine(Path(tmp), args.contacts, events, sql_times)
    baseline, engine = max(baselines), max(engines)
    print(f"100 rules, {args.contacts:,} contacts, {args.events:,} events, SQLite file (WAL), 500 events per commit")
    print(f"best of {args.runs} runs (all runs, events/s: baseline {spread(baselines)}; leadflow {spread(engines)})\n")
    print(f"{'runner':34} {'events/s':>10} {'ratio':>7}")
    print(f"{'hand-written Python + sqlite3':34} {baseline:10,.0f} {1:7.2f}")
    print(f"{'leadflow engine.emit_many':34} {engine:10,.0f} {engine / baseline:7.2f}")
    if args.breakdown:
        print("\nwhere a Leadflow event's time goes (one more run, every statement timed):")
        total = sql_times.pop("total")
        writer = {phase: t for phase, t in sql_times.items() if phase.startswith("writer thread")}
        for phase in (
            "commit",
            "end-of-batch writes",
            "contact lookup",
            "other SQL",
            "checkpoint at close",
            "waiting for the writer",
        ):
            print(f"  {phase:38} {sql_times[phase] / len(events) * 1e6:6.1f} µs")
        engine_work = total - sum(t for phase, t in sql_times.items() if phase not in writer)
        print(f"  {'engine (Python)':38} {engine_work / len(events) * 1e6:6.1f} µs")
        print(f"  {'total':38} {total / len(events) * 1e6:6.1f} µs")
        print("meanwhile, on the writer thread:")
        for phase, t in sorted(writer.items()):
            print(f"  {phase:38} {t / len(events) * 1e6:6.1f} µs")
    print(f"\ntarget: 10,000 events/s -> {'met' if engine >= 10_000 else 'NOT met'}")


def spread(rates: list[float]) -> str:
    return ", ".join(f"{rate:,.0f}" for rate in rates)


if __name__ == "__main__":
    main()
