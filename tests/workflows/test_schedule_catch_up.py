"""Catching up on schedules (issue 13, items 14 and 15): a clock moved on fires
every occurrence it passed, up to CATCH_UP_LIMIT of one trigger; past that,
once, at the latest, with a note; and the clock stays within its range."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workflow_support import make_engine

from leadflow import InputError
from leadflow.clock import LATEST, DatabaseClock
from leadflow.store import open_store
from leadflow.workflows import calendar, schedules

UTC = dt.UTC
NIGHTLY = 'rule "Nightly" when every day at 02:00 then increment score\n'
MONTHLY = 'rule "Monthly" when every month on day 31 at 08:00 then increment score\n'


def _score(engine, email="ada@example.com") -> int:
    return engine.record(email).properties["score"]


def test_a_jump_of_years_fires_every_occurrence_it_passed(engine_for):
    engine = engine_for(NIGHTLY, start=dt.datetime(2019, 3, 1, 9, tzinfo=UTC))
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    engine.advance(dt.datetime(2022, 3, 1, 1, tzinfo=UTC))  # one move: 2 March 2019 to 28 February 2022
    assert _score(engine) == (dt.date(2022, 2, 28) - dt.date(2019, 3, 2)).days + 1 == 1095
    assert engine.scheduler.skipped == []


def test_a_monthly_schedule_over_decades_fires_each_month_on_its_last_day_when_short(engine_for):
    engine = engine_for(MONTHLY, start=dt.datetime(2000, 1, 1, tzinfo=UTC))
    engine.emit("upsert", "ada@example.com", {})
    engine.advance(dt.datetime(2030, 1, 1, tzinfo=UTC))
    assert _score(engine) == 30 * 12
    history = [h.at for h in engine.store.history(engine.find("ada@example.com")) if h.field == "score"]
    assert history[1] == dt.datetime(2000, 2, 29, 8, tzinfo=UTC)  # a leap February


def test_more_than_the_limit_fires_once_at_the_latest_occurrence_with_a_note(engine_for, monkeypatch):
    monkeypatch.setattr(schedules, "CATCH_UP_LIMIT", 50)
    engine = engine_for(NIGHTLY, start=dt.datetime(2026, 1, 1, tzinfo=UTC))
    engine.emit("upsert", "ada@example.com", {})
    engine.advance(dt.datetime(2026, 2, 19, 12, tzinfo=UTC))  # 50 nights: every one fires
    assert _score(engine) == 50 and engine.scheduler.skipped == []
    engine.advance(dt.datetime(2026, 4, 11, 12, tzinfo=UTC))  # 51 nights: once, on the last
    assert _score(engine) == 51
    [note] = engine.scheduler.skipped
    assert note == (
        'rule "Nightly" (`every day at 02:00`) owed more than 50 occurrences, '
        "from 2026-02-20T02:00:00+00:00 to 2026-04-11T02:00:00+00:00; it fired once, at the last"
    )
    assert engine.store.schedule_fired("rule 0") == dt.datetime(2026, 4, 11, 2, tzinfo=UTC)
    engine.advance(dt.datetime(2026, 4, 13, 12, tzinfo=UTC))  # and then night by night again
    assert _score(engine) == 53


def test_an_event_at_the_end_of_the_range_costs_the_limit_not_the_centuries(engine_for):
    engine = engine_for(NIGHTLY + "event ping\n", start=dt.datetime(2026, 1, 1, tzinfo=UTC))
    engine.emit("upsert", "ada@example.com", {})
    began = time.perf_counter()
    engine.emit("ping", "ada@example.com", at=LATEST)
    assert time.perf_counter() - began < 10  # counting to the limit, then one firing
    assert _score(engine) == 1
    assert engine.clock.now() == LATEST


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "1899-12-31T23:59:59Z"])
def test_an_event_time_outside_the_range_is_rejected(engine_for, moment):
    engine = engine_for(NIGHTLY + "event ping\n")
    with pytest.raises(
        InputError, match=r"^at .* is outside the clock's range \(1900-01-01T00:00Z to 2999-12-31T23:59:59Z\)"
    ):
        engine.emit_record({"event": "ping", "contact": "ada@example.com", "at": moment})
    assert engine.find("ada@example.com") is None


def test_the_clock_cannot_be_driven_out_of_its_range(engine_for):
    engine = engine_for(NIGHTLY)
    with pytest.raises(InputError, match="outside the clock's range"):
        engine.advance(dt.datetime(3000, 1, 1, tzinfo=UTC))
    with pytest.raises(InputError, match="cannot move"):
        engine.advance(dt.timedelta(days=999_999_999))
    assert engine.clock.now().year == 2026


ZONES = st.sampled_from([UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")])
EVERY = st.sampled_from([*calendar.SCHEDULE_UNITS])
MOMENTS = st.datetimes(dt.datetime(1901, 1, 1), dt.datetime(2998, 12, 1)).map(lambda d: d.replace(tzinfo=UTC))


@settings(max_examples=300, deadline=None)
@given(EVERY, st.integers(1, 31), st.times(), MOMENTS, ZONES)
def test_the_previous_occurrence_is_the_last_one_at_or_before(every, day, at, by, zone):
    """No occurrence lies between the one found looking back and `by`: the next after it is later."""
    previous = calendar.previous_occurrence(every, day, at, by, zone)
    assert previous <= by
    assert calendar.next_occurrence(every, day, at, previous, zone) > by
    assert by - previous <= dt.timedelta(days=32)


def test_a_database_clock_moves_only_forward_and_keeps_the_latest_of_two_commands(tmp_path):
    db = str(tmp_path / "c.db")
    first, second = open_store(db), open_store(db)
    a, b = DatabaseClock(first), DatabaseClock(second)
    assert a.position is None and abs(a.now() - dt.datetime.now(UTC)) < dt.timedelta(minutes=1)
    started = []
    a.when_first_time(started.append)
    a.reach(dt.datetime(2019, 1, 1, tzinfo=UTC))  # work due by the wall clock gives it no time
    assert a.position is None and started == []
    a.advance_to(dt.datetime(2019, 6, 1, tzinfo=UTC))
    a.advance_to(dt.datetime(2019, 5, 1, tzinfo=UTC))
    assert a.position == dt.datetime(2019, 6, 1, tzinfo=UTC) and started == [a.position]
    b.advance_to(dt.datetime(2020, 1, 1, tzinfo=UTC))
    b.save()
    a.save()  # an earlier position does not overwrite a later one
    first.close()
    second.close()
    with open_store(db) as reopened:
        assert DatabaseClock(reopened).position == dt.datetime(2020, 1, 1, tzinfo=UTC)


def _occurrences(every, day, at, after, until, zone) -> int:
    count, moment = 0, calendar.next_occurrence(every, day, at, after, zone)
    while moment <= until:
        count, moment = count + 1, calendar.next_occurrence(every, day, at, moment, zone)
    return count


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["day", "weekday", "friday", "month"]),
    st.integers(28, 31),
    st.sampled_from(["Europe/Paris", "America/New_York"]),
    st.integers(0, 400),
    st.integers(0, 24 * 60),
)
def test_one_move_fires_each_occurrence_it_passes_up_to_the_limit_then_one(every, day, zone, days, minutes):
    """Against a plain count of the calendar's occurrences, with the limit at 40."""
    schedule = f"every {every}" + (f" on day {day}" if every == "month" else "") + " at 02:30"
    start = dt.datetime(2019, 3, 1, 9, tzinfo=UTC)
    until = start + dt.timedelta(days=days, minutes=minutes)
    owed = _occurrences(every, day, dt.time(2, 30), start, until, ZoneInfo(zone))
    original = schedules.CATCH_UP_LIMIT
    schedules.CATCH_UP_LIMIT = 40
    try:
        engine = make_engine(f'rule "R" when {schedule} then increment score\n', start=start, timezone=zone)
        engine.emit("upsert", "ada@example.com", {})
        engine.advance(until)
        assert _score(engine) == (owed if owed <= 40 else 1)
        assert len(engine.scheduler.skipped) == (owed > 40)
        engine.close()
    finally:
        schedules.CATCH_UP_LIMIT = original
