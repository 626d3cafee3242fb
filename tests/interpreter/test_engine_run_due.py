"""How a tick finds its work (workflows/runs.py, engine.run_due): in due order,
a batch at a time, until nothing is due by the moment it was asked about;
a failing step keeps nothing of its unit."""
from __future__ import annotations

import datetime as dt

import pytest

from leadflow.workflows import runs as runs_module

from engine_support import CONTACT

SCRIPT = CONTACT + """
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
COMPLETES = SCRIPT.replace("OFFSET", "1")
FAILS = SCRIPT.replace("OFFSET", "0")  # score is 0: the step divides by zero


def enroll(engine, count: int) -> None:
    engine.emit_many([{"event": "signup", "contact": f"c{i}@x.io", "data": {"plan": "pro"}, "id": f"s{i}"}
                      for i in range(count)])


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
