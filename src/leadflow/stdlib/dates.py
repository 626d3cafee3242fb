"""Date and time builtins: the clock, calendar parts, parsing, formatting, durations.

A datetime is an instant; its calendar parts depend on where you stand. Every
builtin here that turns a datetime into a date, a day of the week or an hour
does so in the call context's time zone (the workflow's or the engine's), so
`hour(now())` agrees with the schedule `every day at 09:00`. Dates have no
time zone and are taken as they are.

`days_between` counts calendar days (midnights crossed in that time zone),
not 24-hour periods: from Monday 23:00 to Tuesday 01:00 is one day, which is
what "days since the last activity" means to the person reading a report.
"""

from __future__ import annotations

import datetime as dt

from leadflow import limits
from leadflow.check.types import DATE, DATETIME, DURATION, NUMBER, TEXT, TIME, nullable
from leadflow.stdlib.registry import CallContext, builtin, fail, param
from leadflow.values import Duration

Moment = dt.date | dt.datetime
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
D = param("d", DATE, DATETIME)


def local_date(ctx: CallContext, moment: Moment) -> dt.date:
    """The calendar date of `moment` in the context's time zone."""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(ctx.timezone).date()
    return moment


@builtin("now", [], DATETIME, needs_context=True)
def now(ctx: CallContext) -> dt.datetime:
    """The engine clock's current time (the simulated clock in tests and the REPL)."""
    return ctx.now()


@builtin("today", [], DATE, needs_context=True)
def today(ctx: CallContext) -> dt.date:
    """The engine clock's current date in the workflow's time zone."""
    return ctx.today()


@builtin("date_of", [param("moment", DATETIME)], DATE, needs_context=True)
def date_of(ctx: CallContext, moment: dt.datetime) -> dt.date:
    """The calendar date of `moment` in the workflow's time zone."""
    return local_date(ctx, moment)


@builtin("year", [D], NUMBER, needs_context=True)
def year(ctx: CallContext, d: Moment) -> int:
    """The year of a date, or of a datetime in the workflow's time zone."""
    return local_date(ctx, d).year


@builtin("month", [D], NUMBER, needs_context=True)
def month(ctx: CallContext, d: Moment) -> int:
    """The month (1 to 12) of a date, or of a datetime in the workflow's time zone."""
    return local_date(ctx, d).month


@builtin("day", [D], NUMBER, needs_context=True)
def day(ctx: CallContext, d: Moment) -> int:
    """The day of the month (1 to 31) of a date, or of a datetime in the workflow's time zone."""
    return local_date(ctx, d).day


@builtin("weekday", [D], TEXT, needs_context=True)
def weekday(ctx: CallContext, d: Moment) -> str:
    """The day of the week in lower case, `"monday"` to `"sunday"`."""
    return WEEKDAYS[local_date(ctx, d).weekday()]


def _clock(ctx: CallContext, t: dt.datetime | dt.time) -> dt.time:
    return t.astimezone(ctx.timezone).time() if isinstance(t, dt.datetime) else t


@builtin("hour", [param("t", DATETIME, TIME)], NUMBER, needs_context=True)
def hour(ctx: CallContext, t: dt.datetime | dt.time) -> int:
    """The hour (0 to 23) of a time, or of a datetime in the workflow's time zone."""
    return _clock(ctx, t).hour


@builtin("minute", [param("t", DATETIME, TIME)], NUMBER, needs_context=True)
def minute(ctx: CallContext, t: dt.datetime | dt.time) -> int:
    """The minute (0 to 59) of a time, or of a datetime in the workflow's time zone."""
    return _clock(ctx, t).minute


@builtin("days_between", [param("a", DATE, DATETIME), param("b", DATE, DATETIME)], NUMBER, needs_context=True)
def days_between(ctx: CallContext, a: Moment, b: Moment) -> int:
    """Calendar days from `a` to `b` in the workflow's time zone; negative when `b`
    is earlier: `days_between(last_activity, now()) > 30`."""
    return (local_date(ctx, b) - local_date(ctx, a)).days


@builtin("start_of_day", [D], DATETIME, needs_context=True)
def start_of_day(ctx: CallContext, d: Moment) -> dt.datetime:
    """The first instant of the day of `d` in the workflow's time zone."""
    midnight = dt.datetime.combine(local_date(ctx, d), dt.time(), tzinfo=ctx.timezone)
    # Round-trip through UTC so a midnight skipped by a DST change lands on a real instant.
    return midnight.astimezone(dt.UTC).astimezone(ctx.timezone)


@builtin("format_date", [D, param("pattern", TEXT)], TEXT, needs_context=True)
def format_date(ctx: CallContext, d: Moment, pattern: str) -> str:
    """`d` written with a strftime pattern: `format_date(today(), "%d/%m/%Y")`.
    A datetime is shown in the workflow's time zone. Names of days and months are English."""
    if isinstance(d, dt.datetime):
        d = d.astimezone(ctx.timezone)
    try:
        return limits.check_text(d.strftime(pattern))  # "%A" is two characters written as up to nine
    except (ValueError, OverflowError) as error:
        raise fail("format_date", f"cannot use the pattern {pattern!r}: {error}") from None


@builtin("parse_date", [param("s", TEXT)], nullable(DATE))
def parse_date(s: str) -> dt.date | None:
    """The ISO 8601 date in `s` (`"2026-12-10"`), or null when `s` is not one.
    Formats like `10/12/2026` are ambiguous and so not accepted."""
    try:
        return dt.date.fromisoformat(s.strip())
    except ValueError:
        return None


@builtin("parse_datetime", [param("s", TEXT)], nullable(DATETIME), needs_context=True)
def parse_datetime(ctx: CallContext, s: str) -> dt.datetime | None:
    """The ISO 8601 datetime in `s` (`"2026-12-10T09:00"`, `"...Z"`, `"...+02:00"`),
    or null when `s` is not one. Without an offset, the workflow's time zone applies."""
    try:
        parsed = dt.datetime.fromisoformat(s.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.timezone)
    return parsed


def _duration(name: str, unit: str) -> None:
    def make(n: int | float) -> Duration:
        if n != n or abs(n) == float("inf"):
            raise fail(name, f"needs a finite number, got {n!r}")
        return Duration.of(n, unit)

    doc = f"A duration of `n` {unit}s, for an amount computed at run time: `now() + {name}(n)`."
    builtin(name, [param("n", NUMBER)], DURATION, doc=doc)(make)


for _name, _unit in (("minutes", "minute"), ("hours", "hour"), ("days", "day"), ("weeks", "week")):
    _duration(_name, _unit)
