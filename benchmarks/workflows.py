"""Workflow steps per second into SQLite, and what one tick costs as runs pile up.

Three measurements, in one run:

1. Drive. The nurturing workflow of the language description (section 7;
   its execution window left out, see below) on a SQLite file (WAL) with a
   simulated clock. Contacts are loaded first (setup, not timed). Every
   contact then downloads the ebook: `ebook_downloaded` events go through
   `engine.emit_many` (500 events per commit), which is how records enter a
   workflow in production; each event enrolls its contact and, in the same
   `emit`, runs the first steps (`send email`, then `wait 5 days`). One
   contact in five also downloads the second ebook, so both arms of the
   `if happened(...)` are taken. Then `engine.advance` drives the clock
   through every wait to the end: 500 runs per commit, in due order.

   A step is one statement of the workflow that a run executes: an action
   (`send email`, `add to`), a `wait`, or the `if`. A run that took the
   `if` arm executes 6 steps, one that took the `else` arm 8. Entering and
   leaving the workflow are not steps (they are the `enrolled` and
   `completed` rows of the run log), nor are the jumps between blocks.

   The baseline, measured in the same run, is hand-written Python doing the
   same work straight on sqlite3 with the same batches per commit: a runs
   table with a due index; per event, look the contact up, log the event,
   check it is not enrolled or suppressed, insert the run; per step, check
   the goal, update the run, insert a log row, and insert an outbox row
   (emails) or a list row and its history row (`add to`); the `if` looks
   for the second download in the events table.

   The window (`weekdays 09:00-18:00`) is left out: it only moves due times
   to opening hours, which would make the figures depend on the weekday the
   run starts; the `goal` and `suppress` clauses are kept (the goal is
   checked before every step, the suppression list at enrollment).

2. Peak memory: the process's maximum resident set size
   (`resource.getrusage`), read after the drive; the baseline runs first and
   uses much less.

3. Tick. N runs wait (their due times a year away) and 100 are due now;
   one `engine.run_due(now)` advances the 100 (each sends an email and
   waits again). Each N has its own database, its runs and contacts
   inserted with SQL in bulk (setup); the repetitions then take the sizes
   in turn, re-arming the 100 each time, and the medians are reported. A
   flat column means a tick costs what is due, not what waits. EXPLAIN
   QUERY PLAN shows the two queries of a tick reading `runs_due`.

Times are wall-clock and, where the machine is shared, also CPU time of
the process (SQLite runs in the same thread, so it counts its work too).

Usage: python benchmarks/workflows.py [--contacts N] [--sizes N,N,...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from leadflow import Engine, SimulatedClock  # noqa: E402
from leadflow.store.codec import dump_value, utc_text  # noqa: E402
from leadflow.store.sqlite_runs import DUE_RUNS, NEXT_DUE  # noqa: E402

START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
BATCH = 500  # events per commit in emit_many; runs per commit in the runtime (workflows/runs.py)
SECOND_EBOOK = 5  # one contact in SECOND_EBOOK downloads the second ebook too
DUE_PER_TICK = 100
TICK_REPEATS = 15

SCRIPT = """
object contact {
  first_name: text
  lifecycle: enum { subscriber, lead, mql, sql, opportunity, customer } = subscriber
}
event ebook_downloaded { ebook: text }
list engaged "Engaged leads"
list nurture_blog "Blog nurturing"
list trash "Trash"
email followup_1 { subject: "Your ebook, {first_name ?? "there"}"  body: "Hi {first_name ?? "there"}, here it is." }
email ebook_2_offer { subject: "Part 2 is out"  body: "Hi {first_name ?? "there"}, part 2 of the ebook." }
email blog_digest { subject: "From the blog"  body: "Hi {first_name ?? "there"}, this month on the blog." }

workflow nurturing {
  enroll when ebook_downloaded where event.ebook == "top-10-topics"
  reenroll never
  goal lifecycle in [sql, customer]
  suppress trash

  send email followup_1
  wait 5 days
  send email ebook_2_offer
  wait 5 days
  if happened(ebook_downloaded where event.ebook == "build-your-own", since: enrolled_at) {
    add to engaged
  } else {
    wait 2 days
    send email blog_digest
    add to nurture_blog
  }
}
"""
STEPS_IF, STEPS_ELSE = 6, 8  # statements a run executes on each arm
STEPS_AT_ENROLLMENT = 2  # send email followup_1, wait 5 days
END = START + dt.timedelta(days=14)


class Timed:
    """Wall-clock and CPU time of a block: on a shared machine the CPU time is
    what the work costs, the wall time what waiting for the CPU adds to it."""

    def __enter__(self) -> Timed:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def email(i: int) -> str:
    return f"c{i}@example.com"


def enrollment_events(contacts: int) -> list[dict]:
    """Downloads spread over one hour; every SECOND_EBOOK-th contact downloads both ebooks."""
    events = []
    for i in range(contacts):
        at = START + dt.timedelta(seconds=3600 * i / contacts)
        events.append(
            {
                "event": "ebook_downloaded",
                "contact": email(i),
                "at": at.isoformat(),
                "data": {"ebook": "top-10-topics"},
                "id": f"a{i}",
            }
        )
        if i % SECOND_EBOOK == 0:
            events.append(
                {
                    "event": "ebook_downloaded",
                    "contact": email(i),
                    "at": at.isoformat(),
                    "data": {"ebook": "build-your-own"},
                    "id": f"b{i}",
                }
            )
    return events


def first_name(i: int) -> str:
    return random.Random(i).choice(["Ada", "Grace", "Alan", "Edsger", "Barbara"])


# ---- leadflow ----------------------------------------------------------------------------------


def run_engine(folder: Path, contacts: int) -> dict:
    engine = Engine.from_source(
        SCRIPT, "nurturing.flow", store=str(folder / "engine.db"), clock=SimulatedClock(START), seed=1
    )
    with engine.store.batch():
        for i in range(contacts):
            engine.store.create_record(
                "contact", {"email": email(i), "first_name": first_name(i)}, START, "benchmark load"
            )
    events = enrollment_events(contacts)
    with Timed() as enrolled:
        results = engine.emit_many(events, batch_size=BATCH)
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, failures[:3]
    with Timed() as driven:
        engine.advance(END)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    store = engine.store
    assert store.run_counts("nurturing") == {"completed": contacts}, store.run_counts("nurturing")
    took_if, took_else = len(store.list_members("engaged")), len(store.list_members("nurture_blog"))
    assert took_if + took_else == contacts and took_if == len(range(0, contacts, SECOND_EBOOK))
    steps = took_if * STEPS_IF + took_else * STEPS_ELSE
    emails = len(store.effects("pending"))
    assert emails == 2 * contacts + took_else, emails
    store.close()
    return _figures(len(events), contacts, steps, enrolled, driven, rss)


def _figures(events: int, contacts: int, steps: int, enrolled: Timed, driven: Timed, rss=None) -> dict:
    at_enrollment = contacts * STEPS_AT_ENROLLMENT
    return {
        "events/s": events / enrolled.wall,
        "enroll steps/s": at_enrollment / enrolled.wall,
        "drive steps/s": (steps - at_enrollment) / driven.wall,
        "drive CPU steps/s": (steps - at_enrollment) / driven.cpu,
        "steps": steps,
        "rss": rss,
    }


# ---- the baseline: hand-written Python on sqlite3 ----------------------------------------------

BASELINE_SCHEMA = (
    "CREATE TABLE records (id INTEGER PRIMARY KEY, email TEXT, props TEXT)",
    "CREATE UNIQUE INDEX records_email ON records(email)",
    "CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT UNIQUE, name TEXT, record_id INT, at TEXT, data TEXT)",
    "CREATE INDEX events_by_record ON events(record_id, name, at)",
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, record_id INT, status TEXT, position INT, vars TEXT, due TEXT, updated_at TEXT)",
    "CREATE INDEX runs_due ON runs(due, id) WHERE due IS NOT NULL",
    "CREATE INDEX runs_by_record ON runs(record_id)",
    "CREATE TABLE run_log (id INTEGER PRIMARY KEY, run_id INT, at TEXT, step TEXT, kind TEXT, detail TEXT)",
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, kind TEXT, payload TEXT, key TEXT UNIQUE, status TEXT, created_at TEXT)",
    "CREATE TABLE list_members (list_name TEXT, record_id INT, PRIMARY KEY (list_name, record_id)) WITHOUT ROWID",
    "CREATE TABLE history (id INTEGER PRIMARY KEY, record_id INT, at TEXT, kind TEXT, field TEXT, cause TEXT)",
)

SUBJECTS = {
    "followup_1": lambda name: f"Your ebook, {name}",
    "ebook_2_offer": lambda name: "Part 2 is out",
    "blog_digest": lambda name: "From the blog",
}


class Baseline:
    """The nurturing workflow by hand: position is an index into a fixed program."""

    PROGRAM = (
        ("email", "followup_1"),
        ("wait", 5),
        ("email", "ebook_2_offer"),
        ("wait", 5),
        ("if", 7),
        ("list", "engaged"),
        ("end", None),
        ("wait", 2),
        ("email", "blog_digest"),
        ("list", "nurture_blog"),
        ("end", None),
    )

    def __init__(self, path: Path):
        self.db = db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in BASELINE_SCHEMA:
            db.execute(statement)
        self.steps = 0

    def load(self, contacts: int) -> None:
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO records (email, props) VALUES (?, ?)",
            ((email(i), json.dumps({"email": email(i), "first_name": first_name(i)})) for i in range(contacts)),
        )
        self.db.execute("COMMIT")

    def enroll(self, events: list[dict]) -> None:
        db = self.db
        for offset in range(0, len(events), BATCH):
            db.execute("BEGIN")
            for event in events[offset : offset + BATCH]:
                at = dt.datetime.fromisoformat(event["at"])
                record_id, raw = db.execute(
                    "SELECT id, props FROM records WHERE email = ?", (event["contact"],)
                ).fetchone()
                db.execute(
                    "INSERT INTO events (key, name, record_id, at, data) VALUES (?, ?, ?, ?, ?)",
                    (event["id"], event["event"], record_id, utc_text(at), json.dumps(event["data"])),
                )
                if event["data"]["ebook"] != "top-10-topics":
                    continue
                if db.execute("SELECT 1 FROM runs WHERE record_id = ?", (record_id,)).fetchone():
                    continue  # reenroll never
                if db.execute(
                    "SELECT 1 FROM list_members WHERE list_name = 'trash' AND record_id = ?", (record_id,)
                ).fetchone():
                    continue
                vars = {"enrolled_at": utc_text(at)}
                run_id = db.execute(
                    "INSERT INTO runs (record_id, status, position, vars, due, updated_at)"
                    " VALUES (?, 'active', 0, ?, NULL, ?)",
                    (record_id, json.dumps(vars), utc_text(at)),
                ).lastrowid
                db.execute(
                    "INSERT INTO run_log (run_id, at, step, kind, detail) VALUES (?, ?, NULL, 'enrolled', '{}')",
                    (run_id, utc_text(at)),
                )
                self.advance(run_id, record_id, json.loads(raw), 0, vars, at)
            db.execute("COMMIT")

    def drive(self, end: dt.datetime) -> None:
        db = self.db
        while True:
            rows = db.execute(
                "SELECT id, record_id, position, vars, due FROM runs WHERE due IS NOT NULL AND due <= ?"
                " ORDER BY due, id LIMIT ?",
                (utc_text(end), BATCH),
            ).fetchall()
            if not rows:
                return
            db.execute("BEGIN")
            for run_id, record_id, position, vars, due in rows:
                props = json.loads(db.execute("SELECT props FROM records WHERE id = ?", (record_id,)).fetchone()[0])
                self.advance(run_id, record_id, props, position, json.loads(vars), dt.datetime.fromisoformat(due))
            db.execute("COMMIT")

    def advance(self, run_id: int, record_id: int, props: dict, pc: int, vars: dict, now: dt.datetime) -> None:
        db, stamp = self.db, utc_text(now)
        while True:
            kind, arg = self.PROGRAM[pc]
            if props.get("lifecycle") in ("sql", "customer"):  # the goal, checked before every step
                kind = "goal"
            if kind in ("end", "goal"):
                status = "completed" if kind == "end" else "goal"
                db.execute(
                    "UPDATE runs SET status = ?, position = NULL, due = NULL, updated_at = ? WHERE id = ?",
                    (status, stamp, run_id),
                )
                db.execute(
                    "INSERT INTO run_log (run_id, at, step, kind, detail) VALUES (?, ?, NULL, ?, '{}')",
                    (run_id, stamp, status),
                )
                return
            self.steps += 1
            if kind == "wait":
                due = utc_text(now + dt.timedelta(days=arg))
                db.execute(
                    "UPDATE runs SET position = ?, due = ?, updated_at = ? WHERE id = ?", (pc + 1, due, stamp, run_id)
                )
                db.execute(
                    "INSERT INTO run_log (run_id, at, step, kind, detail) VALUES (?, ?, ?, 'waiting', ?)",
                    (run_id, stamp, str(pc), json.dumps({"until": due})),
                )
                return
            if kind == "email":
                payload = {
                    "to": props["email"],
                    "template": arg,
                    "record_id": record_id,
                    "subject": SUBJECTS[arg](props.get("first_name") or "there"),
                }
                db.execute(
                    "INSERT INTO outbox (kind, payload, key, status, created_at) VALUES ('email', ?, ?, 'pending', ?)",
                    (json.dumps(payload), f"run:{run_id}:{pc}", stamp),
                )
                detail = {}
                pc += 1
            elif kind == "list":
                db.execute(
                    "INSERT INTO list_members (list_name, record_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (arg, record_id),
                )
                db.execute(
                    "INSERT INTO history (record_id, at, kind, field, cause) VALUES (?, ?, 'list_add', ?, 'workflow')",
                    (record_id, stamp, arg),
                )
                detail = {}
                pc += 1
            else:  # if happened(ebook_downloaded where event.ebook == "build-your-own", since: enrolled_at)
                happened = any(
                    json.loads(data).get("ebook") == "build-your-own"
                    for (data,) in db.execute(
                        "SELECT data FROM events WHERE record_id = ? AND name = 'ebook_downloaded' AND at >= ?",
                        (record_id, vars["enrolled_at"]),
                    )
                )
                pc = pc + 1 if happened else arg
                detail = {"to": pc}
            db.execute("UPDATE runs SET position = ?, due = NULL, updated_at = ? WHERE id = ?", (pc, stamp, run_id))
            db.execute(
                "INSERT INTO run_log (run_id, at, step, kind, detail) VALUES (?, ?, ?, 'step', ?)",
                (run_id, stamp, str(pc), json.dumps(detail)),
            )


def run_baseline(folder: Path, contacts: int) -> dict:
    baseline = Baseline(folder / "baseline.db")
    baseline.load(contacts)
    events = enrollment_events(contacts)
    with Timed() as enrolled:
        baseline.enroll(events)
    assert baseline.steps == contacts * STEPS_AT_ENROLLMENT
    with Timed() as driven:
        baseline.drive(END)
    took_if = len(range(0, contacts, SECOND_EBOOK))
    assert baseline.steps == took_if * STEPS_IF + (contacts - took_if) * STEPS_ELSE, baseline.steps
    baseline.db.close()
    return _figures(len(events), contacts, baseline.steps, enrolled, driven)


# ---- tick cost -----------------------------------------------------------------------------------


def tick_costs(folder: Path, sizes: list[int]) -> tuple[list[tuple[int, float, float]], list[str]]:
    """Median wall and CPU time of one run_due with DUE_PER_TICK runs due, for each number of waiting runs.

    One database per size, set up first; the repetitions then take the sizes in turn,
    so a change in the machine's load falls on all of them alike."""
    now = START
    stamp, far = utc_text(now), utc_text(now + dt.timedelta(days=365))
    vars = dump_value({"enrolled_at": now})
    engines = []
    for size in sizes:
        path = folder / f"tick-{size}.db"
        engine = Engine.from_source(SCRIPT, "nurturing.flow", store=str(path), clock=SimulatedClock(now), seed=1)
        setup = sqlite3.connect(path, isolation_level=None)
        setup.execute("BEGIN")
        setup.executemany(
            "INSERT INTO records(type, props, email, created_at, updated_at) VALUES ('contact', ?, ?, ?, ?)",
            ((json.dumps({"email": email(i)}), email(i), stamp, stamp) for i in range(size + DUE_PER_TICK)),
        )
        setup.executemany(  # waiting at `send email ebook_2_offer`; the last DUE_PER_TICK are the ones re-armed
            "INSERT INTO runs(workflow, record_id, status, position, vars, due, enrolled_at, updated_at)"
            " VALUES ('nurturing', ?, 'active', '3', ?, ?, ?, ?)",
            ((i, vars, far, stamp, stamp) for i in range(1, size + DUE_PER_TICK + 1)),
        )
        setup.execute("COMMIT")
        setup.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        setup.close()
        engines.append((size, engine))
    times: dict[int, list[Timed]] = {size: [] for size in sizes}
    for repeat in range(TICK_REPEATS):
        for size, engine in engines:
            # Re-armed through the engine's own connection, as its own steps would, so its
            # page cache stays warm as in a long-running engine. A fresh attempt number
            # gives the emails new idempotency keys.
            engine.store._conn.execute(
                "UPDATE runs SET due = ?, position = '3', vars = ? WHERE id > ?",
                (stamp, dump_value({"enrolled_at": now, "_attempt": repeat}), size),
            )
            with Timed() as tick:
                advanced = engine.run_due(now)
            assert advanced == DUE_PER_TICK, advanced
            times[size].append(tick)
    conn = engines[-1][1].store._conn
    plan = [
        f"{name}: " + "; ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        for name, sql, params in (("due runs", DUE_RUNS, (stamp, BATCH)), ("next due", NEXT_DUE, ()))
    ]
    for _, engine in engines:
        engine.store.close()
    results = [
        (size, statistics.median(t.wall for t in times[size]), statistics.median(t.cpu for t in times[size]))
        for size in sizes
    ]
    return results, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="numbers of waiting runs for the tick measurement, comma-separated, increasing",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline = run_baseline(folder, args.contacts)
        engine = run_engine(folder, args.contacts)
        ticks, plan = tick_costs(folder, sizes)
    events = len(enrollment_events(args.contacts))
    print(
        f"nurturing workflow, {args.contacts:,} contacts, {events:,} enrollment events, {engine['steps']:,} steps,"
        f" SQLite file (WAL), {BATCH} events or runs per commit\n"
    )
    print(f"{'':34} {'enrollment':^17}   {'drive':^36}".rstrip())
    print(
        f"{'runner':34} {'events/s':>8} {'steps/s':>8}   {'steps/s':>8} {'ratio':>6} {'CPU steps/s':>12} {'ratio':>6}"
    )
    for name, figures in (("hand-written Python + sqlite3", baseline), ("leadflow emit_many + advance", engine)):
        print(
            f"{name:34} {figures['events/s']:8,.0f} {figures['enroll steps/s']:8,.0f}"
            f"   {figures['drive steps/s']:8,.0f} {figures['drive steps/s'] / baseline['drive steps/s']:6.2f}"
            f" {figures['drive CPU steps/s']:12,.0f} {figures['drive CPU steps/s'] / baseline['drive CPU steps/s']:6.2f}"
        )
    print(f"\npeak memory (max RSS of the process, after the drive): {engine['rss'] / 2**20:,.0f} MiB")
    print(f"target: 10,000 steps/s while driving -> {'met' if engine['drive steps/s'] >= 10_000 else 'NOT met'}\n")
    print(f"one tick: run_due with {DUE_PER_TICK} runs due, median of {TICK_REPEATS}")
    print(f"{'waiting runs':>14} {'wall ms':>9} {'CPU ms':>9} {'CPU vs first':>13}")
    for size, wall, cpu in ticks:
        print(f"{size:14,} {wall * 1000:9.1f} {cpu * 1000:9.1f} {cpu / ticks[0][2]:13.2f}")
    print("\nquery plans: " + "\n             ".join(plan))
    print(f"\ntotal time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
