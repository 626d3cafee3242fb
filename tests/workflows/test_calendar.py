"""Wall-clock arithmetic (workflows/calendar.py): zones, DST, month ends, leap days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from leadflow.values import Duration
from leadflow.workflows import calendar

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(UTC)


def test_a_wall_time_in_the_spring_gap_lands_an_hour_later():
    # 29 March 2026: Paris clocks go from 02:00 to 03:00
    moment = calendar.at_local(dt.date(2026, 3, 29), dt.time(2, 30), PARIS)
    assert moment.astimezone(PARIS).time() == dt.time(3, 30)


def test_a_wall_time_that_happens_twice_is_its_first_occurrence():
    # 25 October 2026: 02:30 happens at 00:30 UTC and again at 01:30 UTC
    assert calendar.at_local(dt.date(2026, 10, 25), dt.time(2, 30), PARIS) == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_a_daily_schedule_keeps_its_wall_time_across_dst():
    after = paris(2026, 3, 27, 12, 0)
    firings = []
    for _ in range(4):
        after = calendar.next_occurrence("day", None, dt.time(9, 0), after, PARIS)
        firings.append(after.astimezone(PARIS).replace(tzinfo=None))
    assert firings == [dt.datetime(2026, 3, d, 9, 0) for d in (28, 29, 30, 31)]


def test_monthly_on_day_31_fires_on_the_last_day_of_short_months():
    after = dt.datetime(2026, 1, 31, 12, tzinfo=UTC)
    february = calendar.next_occurrence("month", 31, dt.time(8, 0), after, UTC)
    assert february == dt.datetime(2026, 2, 28, 8, tzinfo=UTC)


def test_weekday_schedules_skip_weekends():
    friday_noon = dt.datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert calendar.next_occurrence("weekday", None, dt.time(9), friday_noon, UTC) == dt.datetime(
        2026, 11, 30, 9, tzinfo=UTC
    )
    assert calendar.next_occurrence("sunday", None, dt.time(9), friday_noon, UTC) == dt.datetime(
        2026, 11, 29, 9, tzinfo=UTC
    )


def test_a_window_opens_at_its_start_on_its_next_day():
    days = calendar.days_of(("weekdays",))
    inside = paris(2026, 11, 24, 10, 0)
    assert calendar.window_opening(inside, days, dt.time(9), dt.time(18), PARIS) == inside
    early = paris(2026, 11, 24, 7, 0)
    assert calendar.window_opening(early, days, dt.time(9), dt.time(18), PARIS) == paris(2026, 11, 24, 9, 0)
    friday_evening = paris(2026, 11, 27, 18, 0)  # the end is exclusive
    assert calendar.window_opening(friday_evening, days, dt.time(9), dt.time(18), PARIS) == paris(2026, 11, 30, 9, 0)


def test_birthdays_on_29_february_are_kept_on_28_february_in_other_years():
    born = dt.date(2000, 2, 29)
    assert calendar.date_matches(born, dt.date(2027, 2, 28), None, False, UTC)
    assert not calendar.date_matches(born, dt.date(2028, 2, 28), None, False, UTC)
    assert calendar.date_matches(born, dt.date(2028, 2, 29), None, False, UTC)


def test_offsets_before_and_after_a_date():
    renewal = dt.date(2026, 12, 10)
    assert calendar.date_matches(renewal, dt.date(2026, 12, 7), Duration(days=3), True, UTC)
    assert calendar.date_matches(renewal, dt.date(2026, 12, 13), Duration(days=3), False, UTC)
    assert not calendar.date_matches(renewal, dt.date(2026, 12, 8), Duration(days=3), True, UTC)
    assert not calendar.date_matches(None, dt.date(2026, 12, 7), Duration(days=3), True, UTC)


moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@given(moments, st.integers(0, 400), st.sampled_from(["Europe/Paris", "America/New_York", "UTC", "Asia/Kolkata"]))
def test_adding_days_keeps_the_wall_time_unless_it_does_not_exist(moment, days, zone_name):
    """Agreement with a plain model: the local date moves by `days`, the local time stays
    (up to the DST shift when the target wall time falls in a gap)."""
    zone = ZoneInfo(zone_name)
    result = calendar.add(moment, Duration(days=days), zone)
    before, after = moment.astimezone(zone), result.astimezone(zone)
    assert after.date() - before.date() in (dt.timedelta(days=days), dt.timedelta(days=days + 1))
    wall_gap = abs(dt.datetime.combine(dt.date.min, after.time()) - dt.datetime.combine(dt.date.min, before.time()))
    assert wall_gap <= dt.timedelta(hours=1) or wall_gap >= dt.timedelta(hours=23)
    assert result > moment or days == 0


@given(
    moments, st.sampled_from(calendar.SCHEDULE_UNITS[:-1]), st.times().map(lambda t: t.replace(second=0, microsecond=0))
)
def test_the_next_occurrence_is_after_and_on_an_allowed_day(moment, every, time):
    nxt = calendar.next_occurrence(every, None, time, moment, PARIS)
    assert nxt > moment
    assert nxt - moment <= dt.timedelta(days=8)
    assert nxt.astimezone(PARIS).weekday() in calendar._SCHEDULE_DAYS[every]
