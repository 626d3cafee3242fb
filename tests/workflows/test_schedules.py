"""Timed triggers (issue #3, item 1): schedules, fixed dates and date properties,
for workflows and rules, fired once per occurrence even across restarts."""

from __future__ import annotations

import datetime as dt

from workflow_support import at, emails, make_engine

CLEANUP = """
workflow cleanup {
  enroll when every day at 02:00 where last_activity < now() - 2 years
  reenroll after 1 day
  add to trash
  increment score
}
"""


def test_a_nightly_schedule_fires_for_the_matching_records_each_night(engine_for):
    engine = engine_for(CLEANUP)
    engine.emit("upsert", "old@example.com", {"last_activity": "2024-11-24T12:00:00Z"})
    engine.emit("upsert", "new@example.com", {"last_activity": "2026-11-01T12:00:00Z"})
    engine.advance(at(24, 3))  # 02:00 on the 24th: old is not yet 2 years inactive (12:00 on the 24th)
    assert engine.record("old@example.com").lists == []
    engine.advance(at(25, 3))
    assert engine.record("old@example.com").lists == ["trash"]
    assert engine.record("new@example.com").lists == []
    engine.advance(at(28, 3))  # three more nights: re-enrolled each night (reenroll after 1 day)
    assert engine.record("old@example.com").properties["score"] == 4


def test_a_restart_neither_repeats_nor_skips_a_firing(tmp_path):
    db = str(tmp_path / "s.db")
    engine = make_engine(CLEANUP, store=db)
    engine.emit("upsert", "old@example.com", {"last_activity": "2020-01-01T00:00:00Z"})
    engine.advance(at(25, 3))
    engine.store.close()
    engine = make_engine(CLEANUP, store=db, start=at(25, 3))
    engine.advance(at(25, 12))  # nothing new is due
    assert engine.record("old@example.com").properties["score"] == 2
    engine.advance(at(26, 3))
    assert engine.record("old@example.com").properties["score"] == 3


def test_a_schedule_does_not_fire_for_moments_before_it_existed(engine_for):
    engine = engine_for(CLEANUP, start=at(24, 12))
    engine.emit("upsert", "old@example.com", {"last_activity": "2020-01-01T00:00:00Z"})
    engine.advance(at(24, 23))
    assert engine.record("old@example.com").lists == []


def test_rules_take_timed_triggers_too(engine_for):
    engine = engine_for('when every monday at 08:00 where score > 5 then notify "sales" "weekly: {email}"')
    engine.emit("upsert", "a@example.com", {"score": 10})
    engine.emit("upsert", "b@example.com", {"score": 1})
    engine.advance(at(8, 12, month=12))  # Mondays 30 Nov and 7 Dec
    notes = [e.payload["message"] for e in engine.store.effects() if e.kind == "notify"]
    assert notes == ["weekly: a@example.com", "weekly: a@example.com"]


def test_a_fixed_date_fires_once(engine_for):
    engine = engine_for("workflow webinar {\n enroll when at 2026-12-10T09:00 where score > 0\n send email hello\n}")
    engine.emit("upsert", "a@example.com", {"score": 1})
    engine.emit("upsert", "b@example.com", {"score": 0})
    engine.advance(at(10, 8, month=12))
    assert emails(engine) == []
    engine.advance(at(31, month=12))
    assert emails(engine) == [("a@example.com", "hello")]


def test_yearly_on_a_date_property_and_days_before_a_date(engine_for):
    engine = engine_for("""
    workflow birthday { enroll when yearly on birthday at 09:00  send email hello }
    workflow renewal { enroll when 3 days before renewal at 09:00  send email later }
    """)
    engine.emit("upsert", "a@example.com", {"birthday": "1990-11-25", "renewal": "2026-11-28"})
    engine.emit("upsert", "b@example.com", {"birthday": "1990-11-26"})
    engine.advance(at(25, 8, 59))
    assert emails(engine) == []
    engine.advance(at(25, 9))
    assert sorted(emails(engine)) == [("a@example.com", "hello"), ("a@example.com", "later")]
    engine.advance(at(27, 9))
    assert sorted(emails(engine)) == [
        ("a@example.com", "hello"),
        ("a@example.com", "later"),
        ("b@example.com", "hello"),
    ]


def test_one_records_failure_does_not_stop_a_firing(engine_for):
    engine = engine_for("""
    extern fn check(score: number) -> bool
    when every day at 02:00 where check(score) then add to done
    """)
    engine.bind("check", lambda score: 1 / score > 0)  # score 0 fails in the host
    engine.emit("upsert", "a@example.com", {"score": 0})
    engine.emit("upsert", "b@example.com", {"score": 2})
    engine.advance(dt.timedelta(days=1))
    assert engine.record("b@example.com").lists == ["done"]
