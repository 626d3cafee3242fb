"""Date builtins: calendar parts in the context's time zone, parsing, formatting."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from stdlib_fakes import FIXED_NOW, PARIS, UTC, FakeContext, utc

from leadflow.errors import LeadflowRuntimeError
from leadflow.stdlib import dates
from leadflow.values import Duration

UTC_CTX = FakeContext(timezone=UTC)
PARIS_CTX = FakeContext(timezone=PARIS)
LATE = utc(2026, 3, 10, 23, 30)  # Tuesday in UTC, Wednesday 00:30 in Paris


def test_clock_comes_from_the_context():
    assert dates.now(UTC_CTX) == FIXED_NOW
    assert dates.today(UTC_CTX) == dt.date(2026, 3, 10)
    assert dates.today(PARIS_CTX) == dt.date(2026, 3, 11)


def test_calendar_parts_of_a_datetime_depend_on_the_time_zone():
    assert dates.date_of(UTC_CTX, LATE) == dt.date(2026, 3, 10)
    assert dates.date_of(PARIS_CTX, LATE) == dt.date(2026, 3, 11)
    assert dates.weekday(UTC_CTX, LATE) == "tuesday"
    assert dates.weekday(PARIS_CTX, LATE) == "wednesday"
    assert (dates.hour(UTC_CTX, LATE), dates.hour(PARIS_CTX, LATE)) == (23, 0)
    assert dates.minute(PARIS_CTX, LATE) == 30
    new_year = utc(2026, 12, 31, 23, 30)
    assert [f(PARIS_CTX, new_year) for f in (dates.year, dates.month, dates.day)] == [2027, 1, 1]


def test_calendar_parts_of_a_date_and_a_time_ignore_the_time_zone():
    d = dt.date(2026, 3, 15)
    assert [f(PARIS_CTX, d) for f in (dates.year, dates.month, dates.day)] == [2026, 3, 15]
    assert dates.weekday(PARIS_CTX, d) == "sunday"
    assert dates.hour(PARIS_CTX, dt.time(9, 5)) == 9
    assert dates.minute(PARIS_CTX, dt.time(9, 5)) == 5


def test_days_between_counts_midnights():
    assert dates.days_between(UTC_CTX, dt.date(2026, 1, 1), dt.date(2026, 3, 1)) == 59
    assert dates.days_between(UTC_CTX, dt.date(2026, 3, 1), dt.date(2026, 1, 1)) == -59
    assert dates.days_between(UTC_CTX, utc(2026, 3, 9, 23), utc(2026, 3, 10, 1)) == 1
    assert dates.days_between(UTC_CTX, utc(2026, 3, 10, 1), utc(2026, 3, 10, 23)) == 0
    assert dates.days_between(PARIS_CTX, dt.date(2026, 3, 10), LATE) == 1
    assert dates.days_between(UTC_CTX, dt.date(2026, 3, 10), LATE) == 0


def test_start_of_day():
    assert dates.start_of_day(PARIS_CTX, LATE) == dt.datetime(2026, 3, 11, tzinfo=PARIS)
    assert dates.start_of_day(UTC_CTX, LATE) == utc(2026, 3, 10)
    assert dates.start_of_day(UTC_CTX, dt.date(2026, 1, 2)) == utc(2026, 1, 2)


def test_start_of_day_when_midnight_is_skipped():
    # Chile moved its clocks from 00:00 to 01:00 on 2022-09-11: midnight never happened.
    santiago = FakeContext(timezone=ZoneInfo("America/Santiago"))
    start = dates.start_of_day(santiago, dt.date(2022, 9, 11))
    assert start.astimezone(santiago.timezone).date() == dt.date(2022, 9, 11)
    assert start.astimezone(santiago.timezone).hour == 1


def test_format_date():
    assert dates.format_date(PARIS_CTX, LATE, "%d/%m/%Y %H:%M") == "11/03/2026 00:30"
    assert dates.format_date(UTC_CTX, dt.date(2026, 12, 10), "%A %d %B") == "Thursday 10 December"
    assert dates.format_date(UTC_CTX, dt.date(2026, 12, 10), "no pattern") == "no pattern"
    with pytest.raises(LeadflowRuntimeError, match="cannot use the pattern"):
        dates.format_date(UTC_CTX, dt.date(2026, 12, 10), "%Y\ud800")


@pytest.mark.parametrize(
    "source, expected",
    [
        ("2026-12-10", dt.date(2026, 12, 10)),
        (" 2026-02-28 ", dt.date(2026, 2, 28)),
        ("2026-02-30", None),
        ("10/12/2026", None),
        ("", None),
        ("tomorrow", None),
    ],
)
def test_parse_date(source, expected):
    assert dates.parse_date(source) == expected


def test_parse_datetime():
    parsed = dates.parse_datetime(PARIS_CTX, "2026-12-10T09:00")
    assert parsed == dt.datetime(2026, 12, 10, 9, tzinfo=PARIS) and parsed.tzinfo is not None
    assert dates.parse_datetime(PARIS_CTX, "2026-12-10T09:00Z") == utc(2026, 12, 10, 9)
    assert dates.parse_datetime(PARIS_CTX, "2026-12-10T09:00+02:00") == utc(2026, 12, 10, 7)
    assert dates.parse_datetime(UTC_CTX, "2026-12-10") == utc(2026, 12, 10)
    assert dates.parse_datetime(UTC_CTX, "2026-12-10T25:00") is None
    assert dates.parse_datetime(UTC_CTX, "soon") is None


def test_duration_helpers():
    from leadflow.stdlib import REGISTRY

    assert REGISTRY["days"].impl(1.5) == Duration(seconds=129600)
    assert REGISTRY["weeks"].impl(1) == Duration(days=7)
    assert REGISTRY["minutes"].impl(-15) == Duration(seconds=-900)
    assert REGISTRY["hours"].impl(0.5) == Duration(seconds=1800)
    assert REGISTRY["days"].impl(3).add_to(dt.date(2026, 2, 27)) == dt.date(2026, 3, 2)
    with pytest.raises(LeadflowRuntimeError, match="`days`: needs a finite number"):
        REGISTRY["days"].impl(float("inf"))
