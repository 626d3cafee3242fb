"""Wall-clock arithmetic for workflows: schedules, windows, waits.

Every time a user writes (`every day at 02:00`, `wait until 09:00`,
`window weekdays 09:00-18:00`, `wait 5 days`) means local time in a zone:
the workflow window's zone if it names one, else the engine's. Moments are
stored in UTC, so each computation goes local, does its calendar work on
dates and wall times, and comes back:

* Days and months are calendar units: `wait 5 days` from Friday 10:00 is
  Wednesday 10:00 local even across a DST change; hours, minutes and
  seconds are elapsed time.
* A wall time that does not exist (02:30 on the spring-forward night) is
  read with the offset before the change, which lands one hour later
  (03:30); one that happens twice (the autumn night) is its first
  occurrence, so a daily schedule fires once.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from leadflow.values import Duration

UTC = dt.UTC
WEEK = frozenset(range(7))
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_SETS: dict[str, frozenset[int]] = {
    **{name: frozenset({i}) for i, name in enumerate(DAY_NAMES)},
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "daily": WEEK,
}
# what may follow `every`: singular, as in `every monday at 09:00`
SCHEDULE_UNITS = ("day", "weekday", "weekend", *DAY_NAMES, "month")
_SCHEDULE_DAYS = {
    "day": WEEK,
    "weekday": DAY_SETS["weekdays"],
    "weekend": DAY_SETS["weekends"],
    **{name: DAY_SETS[name] for name in DAY_NAMES},
}


def days_of(names) -> frozenset[int]:
    return frozenset().union(*(DAY_SETS[n] for n in names)) if names else WEEK


def at_local(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC moment of wall time `time` on `day` in `zone` (see the module notes on DST)."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)


def add(moment: dt.datetime, duration: Duration, zone: ZoneInfo) -> dt.datetime:
    if not duration.months and not duration.days:
        return moment + dt.timedelta(seconds=duration.seconds)
    local = moment.astimezone(zone).replace(tzinfo=None)
    if duration.months:
        shifted = local + relativedelta(months=duration.months, days=duration.days)
    else:  # the same wall-clock arithmetic, without building a relativedelta (every `wait N days`)
        shifted = local + dt.timedelta(days=duration.days)
    return shifted.replace(tzinfo=zone).astimezone(UTC) + dt.timedelta(seconds=duration.seconds)


def next_at(moment: dt.datetime, time: dt.time, days: frozenset[int], zone: ZoneInfo) -> dt.datetime:
    """The first moment at or after `moment` whose wall time is `time` on one of `days`."""
    day = moment.astimezone(zone).date()
    for offset in range(8):
        candidate_day = day + dt.timedelta(days=offset)
        if candidate_day.weekday() in days:
            candidate = at_local(candidate_day, time, zone)
            if candidate >= moment:
                return candidate
    raise ValueError("no day to wait for")  # unreachable: a week holds every weekday


def next_occurrence(every: str, day_of_month, time: dt.time, after: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first firing of `every EVERY [on day N] at TIME` strictly after `after`."""
    if every == "month":
        local = after.astimezone(zone)
        month = dt.date(local.year, local.month, 1)
        while True:
            last = (month + relativedelta(months=1) - dt.timedelta(days=1)).day
            candidate = at_local(month.replace(day=min(int(day_of_month), last)), time, zone)
            if candidate > after:
                return candidate
            month += relativedelta(months=1)
    return next_at(after + dt.timedelta(microseconds=1), time, _SCHEDULE_DAYS[every], zone)


def previous_occurrence(every: str, day_of_month, time: dt.time, by: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The last firing of `every EVERY [on day N] at TIME` at or before `by`."""
    local = by.astimezone(zone)
    if every == "month":
        month = dt.date(local.year, local.month, 1)
        while True:
            last = (month + relativedelta(months=1) - dt.timedelta(days=1)).day
            candidate = at_local(month.replace(day=min(int(day_of_month), last)), time, zone)
            if candidate <= by:
                return candidate
            month -= relativedelta(months=1)
    days = _SCHEDULE_DAYS[every]
    for offset in range(8):
        day = local.date() - dt.timedelta(days=offset)
        if day.weekday() in days:
            candidate = at_local(day, time, zone)
            if candidate <= by:
                return candidate
    raise ValueError("no day to look back to")  # unreachable: a week holds every weekday


def window_opening(
    moment: dt.datetime, days: frozenset[int], start: dt.time, end: dt.time, zone: ZoneInfo
) -> dt.datetime:
    """`moment` if it falls inside the window, else when the window next opens."""
    local = moment.astimezone(zone)
    if local.weekday() in days and start <= local.time().replace(tzinfo=None) < end:
        return moment
    if local.weekday() in days and local.time().replace(tzinfo=None) < start:
        return at_local(local.date(), start, zone)
    return next_at(at_local(local.date() + dt.timedelta(days=1), dt.time(0), zone), start, days, zone)


def date_matches(value, day: dt.date, offset: Duration | None, before: bool, zone: ZoneInfo) -> bool:
    """Whether a date trigger on a property holding `value` fires on `day`.

    `yearly on birthday` (offset None) fires on the anniversary; a 29 February
    fires on 28 February in other years. `3 days before renewal_date` fires on
    the day that is 3 days before the date. The offset is applied to the
    property's date, not to the day tested, so a month that clamps still
    fires: `1 month after` 31 January fires on 28 February.
    """
    if isinstance(value, dt.datetime):
        value = value.astimezone(zone).date()
    if not isinstance(value, dt.date):
        return False
    if offset is None:
        if (value.month, value.day) == (day.month, day.day):
            return True
        leap_day = value.month == 2 and value.day == 29
        return leap_day and (day.month, day.day) == (2, 28) and not _is_leap(day.year)
    shift = relativedelta(months=offset.months, days=offset.days + int(offset.seconds // 86400))
    return (value - shift if before else value + shift) == day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
