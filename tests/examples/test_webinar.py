"""The webinar reminders (examples/webinar): a fixed-date trigger (`at
2026-12-10T09:00`) and `wait until` the day before and after the webinar."""

from __future__ import annotations

from examples_support import at, emails, emails_to, lists, load, only_run, play, props, taken

END = at("2026-12-31T00:00")


def test_who_gets_which_reminder(tmp_path):
    engine = load("webinar", tmp_path)
    play(engine, "webinar", END)
    assert emails_to(engine, "ada@example.com") == [
        "webinar_confirmation",
        "webinar_tomorrow",
        "webinar_today",
        "webinar_thanks",
    ]
    assert emails_to(engine, "grace@example.com") == [
        "webinar_confirmation",
        "webinar_tomorrow",
        "webinar_today",
        "webinar_replay",
    ]  # did not attend
    # Registered after the day-before reminder was due: no "see you tomorrow".
    assert emails_to(engine, "linus@example.com") == ["webinar_confirmation", "webinar_today", "webinar_thanks"]
    # Registered on the day, after the 09:00 reminder had gone out to everyone registered.
    assert emails_to(engine, "margaret@example.com") == ["webinar_confirmation", "webinar_thanks"]
    # Another session: neither the workflow nor the morning reminder.
    assert emails_to(engine, "barbara@example.com") == []
    assert props(engine, "barbara@example.com")["webinar"] == "sales-forecasting"
    assert len(emails(engine)) == 13
    assert lists(engine) == {
        "ada@example.com": ["webinar_attendees"],
        "grace@example.com": ["webinar_no_shows"],
        "linus@example.com": ["webinar_attendees"],
        "margaret@example.com": ["webinar_attendees"],
        "barbara@example.com": [],
    }
    stats = engine.stats("webinar_reminders")
    assert (stats["enrolled"], stats["completed"], stats["active"]) == (4, 4, 0)


def test_reminders_go_out_at_their_moment(tmp_path):
    engine = load("webinar", tmp_path)
    play(engine, "webinar", END)
    moments = {(e.payload["to"], e.payload["template"]): e.created_at for e in engine.store.effects()}
    assert moments["ada@example.com", "webinar_confirmation"] == at("2026-11-24T10:00")
    assert moments["ada@example.com", "webinar_tomorrow"] == at("2026-12-09T16:00")  # webinar_start - 1 day
    assert moments["ada@example.com", "webinar_today"] == at("2026-12-10T09:00")  # the fixed date
    assert moments["ada@example.com", "webinar_thanks"] == at("2026-12-10T18:00")  # webinar_start + 2 hours
    assert {moments[e, "webinar_today"] for e in ("ada@example.com", "grace@example.com", "linus@example.com")} == {
        at("2026-12-10T09:00")
    }
    _, linus = only_run(engine, "linus@example.com", "webinar_reminders")
    assert taken(linus)[:4] == [
        "enrolled",
        "send email webinar_confirmation: step",
        "if now() < webinar_start - 1 day: branch",
        "wait until webinar_start + 2 hours: waiting",
    ]


def test_the_fixed_date_fires_once_in_the_engines_time_zone(tmp_path):
    # In Paris, 09:00 on 10 December is 08:00 UTC; the webinar (16:00 Paris) is at 15:00 UTC.
    engine = load("webinar", tmp_path, timezone="Europe/Paris")
    play(engine, "webinar", END)
    engine.advance(at("2027-12-31T00:00"))  # a year later: a fixed date does not come back
    today = [e.created_at for e in engine.store.effects() if e.payload["template"] == "webinar_today"]
    assert today == [at("2026-12-10T08:00")] * 3
    tomorrow = {e.created_at for e in engine.store.effects() if e.payload["template"] == "webinar_tomorrow"}
    assert tomorrow == {at("2026-12-09T15:00")}
