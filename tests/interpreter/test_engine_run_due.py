"""How a tick finds its work (workflows/runs.py, engine.run_due): in due order,
a batch at a time, until nothing is due by the moment it was asked about;
a failing step keeps nothing of its unit, and a crash nothing of its batch."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys

import pytest

from leadflow.workflows import runs as runs_module

from engine_support import CONTACT, START, make_engine

SCRIPT = (
    CONTACT
    + """
event signup { plan: text }
list done
email a { subject: "a", body: "a" }
email b { subject: "b", body: "b" }
workflow chain {
  enroll when signup
  send email a
  wait 1 hour
  send email b
  wait 1 hour
  set score = 100 / (score + OFFSET)
  add to done
}
"""
)
COMPLETES = SCRIPT.replace("OFFSET", "1")
FAILS = SCRIPT.replace("OFFSET", "0")  # score is 0: the step divides by zero


def enroll(engine, count: int) -> None:
    engine.emit_many(
        [{"event": "signup", "contact": f"c{i}@x.io", "data": {"plan": "pro"}, "id": f"s{i}"} for i in range(count)]
    )


def test_one_tick_follows_a_run_through_every_wait_that_ends_within_it(engine_for):
    engine = engine_for(COMPLETES)
    enroll(engine, 1)
    assert engine.advance(dt.timedelta(hours=3)) == 2  # two wake-ups, in one call
    (run,) = engine.store.runs()
    assert run.status == "completed"
    assert [e.payload["template"] for e in engine.store.effects()] == ["a", "b"]
    assert engine.store.list_members("done") == [run.record_id]


def test_a_failing_step_keeps_nothing_of_its_unit_and_parks_the_run(engine_for):
    engine = engine_for(FAILS)
    enroll(engine, 1)
    engine.advance(dt.timedelta(hours=3))
    (run,) = engine.store.runs()
    assert (run.status, run.position) == ("error", "5")
    assert engine.store.get_record(run.record_id).props.get("score", 0) == 0
    assert engine.store.list_members("done") == []
    kinds = [entry.kind for entry in engine.store.run_log(run.id)]
    assert kinds == ["enrolled", "step", "waiting", "step", "waiting", "error"]


def test_more_runs_due_than_a_batch_are_all_advanced(engine_for, monkeypatch):
    monkeypatch.setattr(runs_module, "BATCH", 2)
    engine = engine_for(COMPLETES)
    enroll(engine, 5)
    assert engine.advance(dt.timedelta(hours=3)) == 10
    assert engine.store.run_counts("chain") == {"completed": 5}
    assert sorted(engine.store.list_members("done")) == sorted(r.record_id for r in engine.store.runs())
    assert len(engine.store.effects()) == 10


@pytest.mark.parametrize("batch", [1, 500])
def test_a_tick_with_less_than_a_batch_due_reads_the_due_runs_once(engine_for, monkeypatch, batch):
    monkeypatch.setattr(runs_module, "BATCH", batch)
    engine = engine_for(COMPLETES)
    enroll(engine, 1)
    reads = []
    due_runs = engine.store.due_runs
    monkeypatch.setattr(engine.store, "due_runs", lambda *args, **kw: reads.append(args) or due_runs(*args, **kw))
    engine.advance(dt.timedelta(minutes=90))  # the first wait ends, the second does not
    assert len(reads) == (2 if batch == 1 else 1)  # a full batch (of one) looks again
    assert engine.store.run_counts("chain") == {"active": 1}


# -- a crash between commits -------------------------------------------------------

CRASHING_DRIVE = """
import datetime as dt, os, sys
from leadflow import Engine, SimulatedClock
from leadflow.workflows import runs

path, source, crash_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs.BATCH = 4
start = dt.datetime.fromisoformat(sys.argv[4])
engine = Engine.from_source(source, "chain.flow", store=path, clock=SimulatedClock(start), seed=1)
advance, done = engine.workflows.advance_in_unit, []

def advance_then_maybe_crash(run):
    advance(run)
    done.append(run.id)
    if len(done) == crash_after:
        os._exit(3)  # in mid-batch: no commit, no cleanup

engine.workflows.advance_in_unit = advance_then_maybe_crash
engine.advance(start + dt.timedelta(hours=3))
"""


def dump(path) -> dict:
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("records", "history", "list_members", "outbox", "runs", "run_log")
        }


def test_driving_again_after_a_crash_ends_as_if_there_had_been_none(tmp_path):
    crashed, clean = tmp_path / "crashed.db", tmp_path / "clean.db"
    engine = make_engine(COMPLETES, store=str(crashed))
    enroll(engine, 10)
    engine.store.close()
    shutil.copy(crashed, clean)

    def drive(path, crash_after: int) -> int:
        return subprocess.run(
            [sys.executable, "-c", CRASHING_DRIVE, str(path), COMPLETES, str(crash_after), START.isoformat()]
        ).returncode

    assert drive(crashed, 6) == 3  # the first batch of 4 committed; 2 of the next were lost
    assert sum(1 for run in dump(crashed)["runs"] if run[4] == "5") == 4  # past the second wait
    assert drive(crashed, -1) == 0 and drive(clean, -1) == 0
    assert dump(crashed) == dump(clean)
    assert {run[3] for run in dump(clean)["runs"]} == {"completed"}
