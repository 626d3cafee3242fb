"""Who gets enrolled, when, and how often (issue #3, item 1)."""

from __future__ import annotations

import datetime as dt

from workflow_support import at, emails, kinds

NURTURE = """
workflow nurture {
  enroll when form_submitted where event.form == "demo"
  %s
  send email hello
  wait 3 days
  add to done
}
"""


def test_an_event_enrolls_and_the_first_step_runs_at_once(engine_for):
    engine = engine_for(NURTURE % "")
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    assert emails(engine) == [("ada@example.com", "hello")]
    assert kinds(engine, "ada@example.com") == ["enrolled", "step send email hello", "waiting wait 3 days"]
    engine.emit("form_submitted", "bob@example.com", {"form": "other"})
    assert engine.record("bob@example.com").runs == []


def test_a_record_in_the_workflow_is_not_enrolled_twice(engine_for):
    engine = engine_for(NURTURE % "")
    for hour in (9, 10, 11):
        engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, at=at(23, hour))
    assert len(engine.record("ada@example.com").runs) == 1
    assert len(emails(engine)) == 1


def test_reenroll_never_is_the_default(engine_for):
    engine = engine_for(NURTURE % "")
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    engine.advance(dt.timedelta(days=4))
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    runs = engine.record("ada@example.com").runs
    assert [run.status for run, _ in runs] == ["completed"]


def test_reenroll_after_a_delay(engine_for):
    engine = engine_for(NURTURE % "reenroll after 10 days")
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, at=at(23))
    engine.advance(at(30))
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, at=at(30))  # 7 days: too soon
    assert len(engine.record("ada@example.com").runs) == 1
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, at=at(3, month=12))  # 10 days on
    assert len(engine.record("ada@example.com").runs) == 2


def test_reenroll_when_a_trigger_fires(engine_for):
    engine = engine_for(NURTURE % "reenroll when ebook_downloaded")
    engine.emit("ebook_downloaded", "ada@example.com", {"ebook": "x"})  # never enrolled: nothing to redo
    assert engine.record("ada@example.com").runs == []
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    engine.advance(dt.timedelta(days=4))
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})  # the enrollment trigger does not re-enroll
    assert len(engine.record("ada@example.com").runs) == 1
    engine.emit("ebook_downloaded", "ada@example.com", {"ebook": "x"})
    assert len(engine.record("ada@example.com").runs) == 2


def test_suppressed_lists_are_never_enrolled(engine_for):
    engine = engine_for(NURTURE % "suppress trash" + 'when form_submitted where event.form == "spam" then add to trash')
    engine.emit("form_submitted", "ada@example.com", {"form": "spam"})
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    assert engine.record("ada@example.com").runs == []


def test_a_record_already_meeting_the_goal_is_not_enrolled(engine_for):
    engine = engine_for(NURTURE % "goal lifecycle == customer")
    engine.emit("upsert", "ada@example.com", {"lifecycle": "customer"})
    result = engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    assert engine.record("ada@example.com").runs == []
    assert any("already meets the goal" in note for note in result.notes)


def test_meeting_the_goal_leaves_before_the_next_step(engine_for):
    engine = engine_for(NURTURE % "goal lifecycle == customer")
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    engine.emit("upsert", "ada@example.com", {"lifecycle": "customer"}, at=at(24))
    engine.advance(dt.timedelta(days=5))
    ((run, log),) = engine.record("ada@example.com").runs
    assert run.status == "goal"
    assert "done" not in engine.record("ada@example.com").lists
    assert engine.stats("nurture")["goal_rate"] == 1.0


def test_unenroll_when_a_condition_holds(engine_for):
    engine = engine_for(NURTURE % "unenroll when score > 10")
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    engine.emit("upsert", "ada@example.com", {"score": 20}, at=at(24))
    engine.advance(dt.timedelta(days=5))
    ((run, _),) = engine.record("ada@example.com").runs
    assert run.status == "unenrolled"


def test_rules_enroll_and_unenroll_by_hand(engine_for):
    engine = engine_for("""
    workflow manual {
      send email hello
      wait 2 days
      send email later
    }
    when form_submitted where event.form == "in" then enroll in manual
    when form_submitted where event.form == "out" then unenroll from manual
    """)
    engine.emit("form_submitted", "ada@example.com", {"form": "in"})
    engine.emit("form_submitted", "ada@example.com", {"form": "out"}, at=at(24))
    engine.advance(dt.timedelta(days=5))
    ((run, log),) = engine.record("ada@example.com").runs
    assert run.status == "unenrolled"
    assert emails(engine) == [("ada@example.com", "hello")]


def test_every_kind_of_trigger_enrolls(engine_for):
    engine = engine_for("""
    workflow w {
      enroll when created
      enroll when lifecycle changed to lead
      enroll when added to engaged
      enroll when matching score > 50
      add to done
    }
    """)
    engine.emit("upsert", "a@example.com", {})
    for email, change in (("b@example.com", {"lifecycle": "lead"}), ("c@example.com", {"score": 60})):
        engine.store.create_record("contact", {"email": email}, at(22), "setup")
        engine.emit("upsert", email, change)
    assert all("done" in engine.record(e).lists for e in ("a@example.com", "b@example.com", "c@example.com"))


def test_workflows_for_other_objects(engine_for):
    engine = engine_for("""
    object ticket { subject: text?, state: enum { open, closed } = open }
    workflow close for ticket {
      enroll when ticket created
      wait 1 day
      set state = closed
    }
    when form_submitted then create ticket { subject: event.form }
    """)
    engine.emit("form_submitted", "ada@example.com", {"form": "help"})
    engine.advance(dt.timedelta(days=2))
    ticket = next(engine.store.records("ticket"))
    assert ticket.props["state"] == "closed"
    assert engine.stats("close")["completed"] == 1


def test_a_waiting_run_leaves_as_soon_as_the_goal_is_met(engine_for):
    engine = engine_for(NURTURE % "goal lifecycle == customer")
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, at=at(23))
    engine.emit("upsert", "ada@example.com", {"lifecycle": "customer"}, at=at(24))
    ((run, log),) = engine.record("ada@example.com").runs
    assert run.status == "goal" and log[-1].at == at(24)  # not on the 26th when the wait ends
    assert engine.store.next_due() is None


def test_a_run_does_not_leave_for_a_change_that_does_not_meet_the_goal(engine_for):
    engine = engine_for(NURTURE % "goal lifecycle == customer")
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"}, at=at(24))
    ((run, _),) = engine.record("ada@example.com").runs
    assert run.status == "active"


def test_a_run_ended_by_another_run_in_the_same_tick_is_not_advanced(engine_for):
    engine = engine_for("""
    workflow upgrade {
      enroll when form_submitted where event.form == "a"
      wait 1 day
      set lifecycle = customer
    }
    workflow nurture {
      enroll when form_submitted where event.form == "b"
      goal lifecycle == customer
      wait 1 day
      add to done
    }
    """)
    engine.emit("form_submitted", "ada@example.com", {"form": "a"})
    engine.emit("form_submitted", "ada@example.com", {"form": "b"})  # both wake at the same moment
    engine.advance(dt.timedelta(days=2))
    runs = {run.workflow: (run, log) for run, log in engine.record("ada@example.com").runs}
    run, log = runs["nurture"]
    assert run.status == "goal" and [e.kind for e in log].count("goal") == 1
    assert engine.record("ada@example.com").lists == []
