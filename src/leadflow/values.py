"""Runtime values that Python lacks: calendar-correct durations.

Everything else maps onto plain Python: text -> str, number -> int | float,
bool, date -> datetime.date, datetime -> aware datetime.datetime,
time -> datetime.time, enum member -> str, list -> list, record -> dict,
null -> None, object reference -> the record's integer id.

`show` writes a value back the way a script would write it (`"ada"`,
`lead`, `5 days`, `2026-12-10T09:00Z`), for the REPL and `explain`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from leadflow import limits
from leadflow.check import types as T
from leadflow.syntax.printer import quote

UNIT_SECONDS = {"minute": 60, "hour": 3600}
UNIT_DAYS = {"day": 1, "week": 7}
UNIT_MONTHS = {"month": 1, "year": 12}


@attrs.frozen(order=False)
class Duration:
    """A span of time. Months and years are calendar arithmetic, days are days.

    Durations order by length, a month counting as 30 days and a year as 12
    months: `now() - seen > 30 days` compares seconds with days correctly.
    Equality is exact (1 month is not 30 days).
    """

    months: int = 0
    days: int = 0
    seconds: float = 0

    def __attrs_post_init__(self) -> None:
        _check_length(self.months, self.days, self.seconds)

    @classmethod
    def of(cls, amount: float, unit: str) -> Duration:
        unit = unit.rstrip("s")
        if unit in UNIT_MONTHS:
            return cls(months=int(amount * UNIT_MONTHS[unit]))
        if unit in UNIT_DAYS:
            whole = amount * UNIT_DAYS[unit]
            if whole == int(whole):
                return cls(days=int(whole))
            return cls(seconds=whole * 86400)
        if unit == "second":
            return cls(seconds=amount)
        return cls(seconds=amount * UNIT_SECONDS[unit])

    def total_seconds(self) -> float:
        """The length in seconds, a month counted as 30 days (exact for days and less)."""
        return (self.months * 30 + self.days) * 86400 + self.seconds

    def __lt__(self, other: Duration) -> bool:
        return self.total_seconds() < other.total_seconds()

    def __le__(self, other: Duration) -> bool:
        return self.total_seconds() <= other.total_seconds()

    def __gt__(self, other: Duration) -> bool:
        return self.total_seconds() > other.total_seconds()

    def __ge__(self, other: Duration) -> bool:
        return self.total_seconds() >= other.total_seconds()

    def __add__(self, other: object):
        if isinstance(other, Duration):
            return Duration(self.months + other.months, self.days + other.days, self.seconds + other.seconds)
        return NotImplemented

    def __neg__(self) -> Duration:
        return Duration(-self.months, -self.days, -self.seconds)

    def __sub__(self, other: object):
        if isinstance(other, Duration):
            return self + (-other)
        return NotImplemented

    def __mul__(self, factor: object):
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            months, days, seconds = self.months * factor, self.days * factor, self.seconds * factor
            _check_length(months, days, seconds)  # before int(): a product may be infinite
            return Duration(int(months), int(days), seconds)
        return NotImplemented

    __rmul__ = __mul__

    def delta(self) -> relativedelta:
        # dateutil takes float seconds (a fraction becomes microseconds); its stubs say int.
        return relativedelta(months=self.months, days=self.days, seconds=self.seconds)  # type: ignore[arg-type]

    def add_to(self, moment: dt.date | dt.datetime):
        return moment + self.delta()

    def subtract_from(self, moment: dt.date | dt.datetime):
        return moment - self.delta()

    def __str__(self) -> str:
        parts = []
        years, months = divmod(self.months, 12)
        for amount, unit in ((years, "year"), (months, "month"), (self.days, "day")):
            if amount:
                parts.append(f"{amount} {unit}{'s' if abs(amount) != 1 else ''}")
        if self.seconds or not parts:
            secs = self.seconds
            if secs % 3600 == 0 and secs:
                parts.append(f"{int(secs // 3600)} hours")
            elif secs % 60 == 0 and secs:
                parts.append(f"{int(secs // 60)} minutes")
            else:
                parts.append(f"{secs:g} seconds")
        return " ".join(parts)


def _check_length(months, days, seconds) -> None:
    """Each part at most 10,000 years, so calendar arithmetic on a date stays in Python's range."""
    if not (
        -limits.MAX_DURATION_MONTHS <= months <= limits.MAX_DURATION_MONTHS
        and -limits.MAX_DURATION_DAYS <= days <= limits.MAX_DURATION_DAYS
        and -limits.MAX_DURATION_SECONDS <= seconds <= limits.MAX_DURATION_SECONDS
    ):
        raise limits.duration_out_of_range()


_PLAIN_JSON = frozenset({str, int, float, bool, type(None)})

# The datetime formatted last, and its text. One event stores the same `now()`
# in every rule that sets a time and in their history rows; isoformat with an
# offset costs over a microsecond each time. Holding the datetime keeps its
# identity from being reused, and a datetime never changes.
_last_datetime: tuple[dt.datetime | None, str] = (None, "")


def datetime_text(value: dt.datetime) -> str:
    """value.isoformat(), remembered for the last datetime formatted."""
    global _last_datetime
    last, text = _last_datetime
    if value is not last:
        text = value.isoformat()
        _last_datetime = (value, text)
    return text


def to_json_value(value):
    """Encode a runtime value as JSON with tags for the types JSON lacks."""
    if type(value) in _PLAIN_JSON:  # the common case, checked first: this runs for every stored value
        return value
    if isinstance(value, dict):  # props and event data: before the tests for rarer kinds
        return {k: v if type(v) in _PLAIN_JSON else to_json_value(v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return {"$datetime": datetime_text(value)}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, Duration):
        return {"$duration": [value.months, value.days, value.seconds]}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    return value


def from_json_value(value):
    """Inverse of to_json_value."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, raw),) = value.items()
            if tag == "$datetime":
                return dt.datetime.fromisoformat(raw)
            if tag == "$date":
                return dt.date.fromisoformat(raw)
            if tag == "$time":
                return dt.time.fromisoformat(raw)
            if tag == "$duration":
                return Duration(*raw)
        return {k: from_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """A human-facing JSON-able form: ISO strings for dates, text for durations."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def show(value, type_=None) -> str:
    """A value as Leadflow source writes it; `type_` (a check.types.Type) tells
    an enum member from text and a record reference from a number, which are
    the same Python values."""
    shape = T.strip_null(type_) if type_ is not None else T.ANY
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if isinstance(shape, T.EnumType) else quote(value)
    if isinstance(value, (int, float)):
        if isinstance(shape, T.ObjectType):
            return f"{shape.name} {value}"  # a reference: the record's id
        return _show_number(value)
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, dt.datetime):
        return _show_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second and not value.microsecond else "auto")
    if isinstance(value, (list, tuple)):
        element = shape.element if isinstance(shape, T.ListType) else None
        return "[" + ", ".join(show(v, element) for v in value) + "]"
    if isinstance(value, dict):
        fields = shape if isinstance(shape, T.RecordType) else T.RecordType(())
        return (
            "{"
            + ", ".join(f"{k if k.isidentifier() else quote(k)}: {show(v, fields.field(k))}" for k, v in value.items())
            + "}"
        )
    return str(value)


def _show_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _show_datetime(value: dt.datetime) -> str:
    timespec = "minutes" if not value.second and not value.microsecond else "auto"
    text = value.replace(tzinfo=None).isoformat(timespec=timespec)
    offset = value.utcoffset()
    if offset is None:
        return text
    if not offset:
        return text + "Z"
    return text + value.isoformat()[-6:]  # +HH:MM
