"""`N UNIT before/after PROP at HH:MM` fires on the day the offset leads to, even
when the calendar clamps it: a month after 31 January is 28 February, a year
after 29 February is 28 February."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from leadflow import Engine, SimulatedClock
from leadflow.values import Duration
from leadflow.workflows.calendar import date_matches

UTC = ZoneInfo("UTC")


def firing_days(value: dt.date, amount: int, unit: str, before: bool, start: dt.date, days: int = 400) -> list[dt.date]:
    offset = Duration.of(amount, unit)
    candidates = (start + dt.timedelta(days=i) for i in range(days))
    return [day for day in candidates if date_matches(value, day, offset, before, UTC)]


@pytest.mark.parametrize(
    "value, amount, unit, before, expected",
    [
        (dt.date(2027, 1, 31), 1, "month", False, dt.date(2027, 2, 28)),
        (dt.date(2027, 3, 31), 1, "month", True, dt.date(2027, 2, 28)),
        (dt.date(2028, 2, 29), 1, "year", False, dt.date(2029, 2, 28)),
        (dt.date(2027, 1, 15), 1, "month", False, dt.date(2027, 2, 15)),
        (dt.date(2027, 12, 5), 3, "day", True, dt.date(2027, 12, 2)),
        (dt.date(2027, 12, 5), 2, "week", False, dt.date(2027, 12, 19)),
    ],
)
def test_fires_once_on_the_day_the_offset_leads_to(value, amount, unit, before, expected):
    assert firing_days(value, amount, unit, before, dt.date(2026, 12, 1), days=1000) == [expected]


def test_a_workflow_enrolls_a_month_after_the_31st():
    engine = Engine.from_source(
        """
object contact { signup_date: date }
email check_in { subject: "How is it going?", body: "A month already!" }
workflow check_in {
  enroll when 1 month after signup_date at 09:00
  send email check_in
}
""",
        "t.flow",
        clock=SimulatedClock(dt.datetime(2027, 1, 1, tzinfo=dt.UTC)),
    )
    engine.emit("upsert", "ada@example.com", {"signup_date": "2027-01-31"})
    engine.advance(dt.datetime(2027, 4, 1, tzinfo=dt.UTC))
    assert [e.created_at for e in engine.store.effects()] == [dt.datetime(2027, 2, 28, 9, 0, tzinfo=dt.UTC)]
