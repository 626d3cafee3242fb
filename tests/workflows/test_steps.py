"""What each step does (issue #3, item 2), run by the real engine on a simulated clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from workflow_support import at, emails, kinds, make_engine

PARIS = ZoneInfo("Europe/Paris")


def enroll_ada(engine, when=None):
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, at=when)
    return engine


def wf(steps: str, clauses: str = "") -> str:
    return f"workflow w {{\n enroll when form_submitted\n {clauses}\n {steps}\n}}\n"


def log(engine):
    ((run, entries),) = engine.record("ada@example.com").runs
    return run, entries


def test_wait_resumes_at_the_due_time_and_now_is_that_time(engine_for):
    engine = enroll_ada(engine_for(wf("wait 2 days\n set last_activity = now()")))
    engine.advance(at(25, 8, 59))
    assert engine.record("ada@example.com").properties.get("last_activity") is None
    engine.advance(at(26))
    assert engine.record("ada@example.com").properties["last_activity"] == at(25, 9)


def test_variables_survive_a_wait(engine_for):
    engine = enroll_ada(engine_for(wf('let greeting = "hi {email}"\n wait 1 day\n notify "sales" greeting')))
    engine.advance(dt.timedelta(days=2))
    notes = [e.payload for e in engine.store.effects() if e.kind == "notify"]
    assert notes == [{"channel": "sales", "message": "hi ada@example.com", "record_id": 1}]


def test_wait_until_a_datetime_and_past_datetimes_do_not_wait(engine_for):
    engine = enroll_ada(
        engine_for(wf("wait until 2026-11-30T12:00Z\n add to done\n wait until 2026-01-01T00:00Z\n add to engaged"))
    )
    engine.advance(at(30, 11))
    assert engine.record("ada@example.com").lists == []
    engine.advance(at(30, 12))
    assert engine.record("ada@example.com").lists == ["done", "engaged"]


def test_wait_until_a_time_on_weekdays_skips_the_weekend(engine_for):
    # Friday 27 November, 18:00: the next weekday 09:00 is Monday 30 November
    engine = enroll_ada(engine_for(wf("wait until 09:00 on weekdays\n set last_activity = now()")), at(27, 18))
    engine.advance(at(5, month=12))
    assert engine.record("ada@example.com").properties["last_activity"] == at(30, 9)


def test_days_are_calendar_days_in_the_zone_across_dst(engine_for):
    # 2026-03-27 10:00 in Paris is 09:00 UTC; DST starts on the 29th; 5 days on is 10:00 Paris = 08:00 UTC
    start = dt.datetime(2026, 3, 27, 9, tzinfo=dt.UTC)
    engine = engine_for(wf("wait 5 days\n set last_activity = now()"), start=start, timezone="Europe/Paris")
    enroll_ada(engine, start)
    engine.advance(dt.timedelta(days=10))
    done = engine.record("ada@example.com").properties["last_activity"]
    assert done.astimezone(PARIS).replace(tzinfo=None) == dt.datetime(2026, 4, 1, 10, 0)


def test_a_window_moves_actions_to_its_next_opening(engine_for):
    source = wf("send email hello", 'window weekdays 09:00-18:00 timezone "Europe/Paris"')
    engine = enroll_ada(engine_for(source), at(28, 12))  # a Saturday
    assert emails(engine) == []
    engine.advance(at(30, 7, 59))  # Monday 08:59 Paris
    assert emails(engine) == []
    engine.advance(at(30, 8, 0))  # Monday 09:00 Paris
    assert emails(engine) == [("ada@example.com", "hello")]
    assert "waiting send email hello" in kinds(engine, "ada@example.com")


def test_wait_for_an_event_that_arrives(engine_for):
    source = wf('wait for ebook_downloaded where event.ebook == "two" up to 3 days else { add to trash }\n add to done')
    engine = enroll_ada(engine_for(source))
    engine.emit("ebook_downloaded", "ada@example.com", {"ebook": "one"}, at=at(24))  # not this one
    assert engine.record("ada@example.com").lists == []
    engine.emit("ebook_downloaded", "ada@example.com", {"ebook": "two"}, at=at(25))
    assert engine.record("ada@example.com").lists == ["done"]
    engine.advance(dt.timedelta(days=10))
    assert engine.record("ada@example.com").lists == ["done"]
    assert log(engine)[0].status == "completed"


def test_wait_for_an_event_that_does_not_arrive(engine_for):
    source = wf("wait for ebook_downloaded up to 3 days else { add to trash }\n add to done")
    engine = enroll_ada(engine_for(source))
    engine.advance(at(26, 8))
    assert engine.record("ada@example.com").lists == []
    engine.advance(at(26, 9))
    assert engine.record("ada@example.com").lists == ["done", "trash"]
    assert "timed out wait for ebook_downloaded up to 3 days" in kinds(engine, "ada@example.com")


def test_if_else_if_else(engine_for):
    source = wf("if score > 10 { add to done } else if score > 5 { add to engaged } else { add to trash }")
    engine = engine_for(source)
    for email, score in (("a@example.com", 20), ("b@example.com", 7), ("c@example.com", 1)):
        engine.emit("upsert", email, {"score": score})
        engine.emit("form_submitted", email, {"form": "x"})
    assert [engine.record(e).lists for e in ("a@example.com", "b@example.com", "c@example.com")] == [
        ["done"],
        ["engaged"],
        ["trash"],
    ]


def test_branch_on_an_enum_with_an_else(engine_for):
    source = wf("branch on tier { gold, silver { add to done } bronze { add to engaged } else { add to trash } }")
    engine = engine_for(source)
    for email, tier in (("a@example.com", "gold"), ("b@example.com", "silver"), ("c@example.com", "bronze")):
        engine.emit("upsert", email, {"tier": tier})
        engine.emit("form_submitted", email, {"form": "x"})
    assert [engine.record(e).lists for e in ("a@example.com", "b@example.com", "c@example.com")] == [
        ["done"],
        ["done"],
        ["engaged"],
    ]


def test_stop_ends_the_run(engine_for):
    engine = enroll_ada(engine_for(wf("if score == 0 { stop }\n add to done")))
    run, _ = log(engine)
    assert run.status == "stopped"
    assert engine.record("ada@example.com").lists == []


SPLIT = wf("split random { 25% { add to done } 25% { add to engaged } 50% { add to trash } }")


def split_choices(seed: int, n: int = 400) -> list[str]:
    engine = make_engine(SPLIT, seed=seed)
    engine.emit_many(
        [{"event": "form_submitted", "contact": f"c{i}@example.com", "data": {"form": "x"}} for i in range(n)]
    )
    return [engine.record(f"c{i}@example.com").lists[0] for i in range(n)]


def test_split_draws_are_reproducible_under_a_seed_and_logged():
    first = split_choices(11)
    assert first == split_choices(11)
    assert first != split_choices(12)
    assert 0.4 < first.count("trash") / len(first) < 0.6
    engine = make_engine(SPLIT, seed=11)
    enroll_ada(engine)
    split = next(e for e in log(engine)[1] if e.kind == "split")
    assert set(split.detail) == {"step", "arm", "share", "draw"}


def test_a_failing_step_parks_the_run_and_retry_resumes_it(engine_for):
    source = "extern fn crm(email: email?) -> text\n" + wf(
        "add to engaged\n wait 1 day\n add to done\n do crm(email)\n add to trash"
    )
    engine = enroll_ada(engine_for(source))
    engine.advance(dt.timedelta(days=2))
    run, entries = log(engine)
    assert run.status == "error" and "crm" in run.error
    assert run.position == "4"  # the failing step; the one before it ran and stays done
    assert engine.record("ada@example.com").lists == ["done", "engaged"]
    assert engine.stats("w")["errors_by_step"] == {"4": 1}
    engine.bind("crm", lambda email: "ok")
    engine.retry_run(run.id)
    engine.run_due()
    run, entries = log(engine)
    assert run.status == "completed"
    assert engine.record("ada@example.com").lists == ["done", "engaged", "trash"]
    assert [(e.kind, e.step) for e in entries][3:] == [
        ("step", "3"),
        ("error", "4"),
        ("retried", "4"),
        ("step", "4"),
        ("step", "5"),
        ("completed", None),
    ]


def test_a_run_whose_step_left_the_script_is_parked(tmp_path):
    db = str(tmp_path / "w.db")
    engine = make_engine(wf("wait 1 day\n add to done\n add to engaged"), store=db)
    enroll_ada(engine)
    engine.store.close()
    engine = make_engine(wf("add to done"), store=db)  # step 2 is gone
    engine.advance(dt.timedelta(days=2))
    run, _ = log(engine)
    assert run.status == "error" and "no longer exists" in run.error


def test_happened_since_enrollment(engine_for):
    source = wf(
        'wait 2 days\n if happened(ebook_downloaded where event.ebook == "b", since: enrolled_at) { add to done }'
    )
    engine = engine_for(source)
    engine.emit("ebook_downloaded", "ada@example.com", {"ebook": "b"}, at=at(22))  # before enrollment
    enroll_ada(engine, at(23))
    engine.advance(dt.timedelta(days=3))
    assert engine.record("ada@example.com").lists == []
    engine.emit("ebook_downloaded", "bob@example.com", {"ebook": "b"}, at=at(27))  # bob: not enrolled yet
    engine.emit("form_submitted", "bob@example.com", {"form": "x"}, at=at(27, 10))
    engine.emit("ebook_downloaded", "bob@example.com", {"ebook": "b"}, at=at(28))
    engine.advance(dt.timedelta(days=3))
    assert engine.record("bob@example.com").lists == ["done"]


def test_emit_first_runs_what_was_due_before_the_event(engine_for):
    engine = enroll_ada(engine_for(wf("wait 1 day\n set score = 1")))
    engine.emit("upsert", "ada@example.com", {"score": 5}, at=at(25))  # the wait ended on the 24th
    assert engine.record("ada@example.com").properties["score"] == 5
