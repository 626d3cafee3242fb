"""Small runtime helpers that generated code calls where inline Python will not do.

Kept tiny and free of engine state: generated expressions bind these names
once at compile time, so a call costs one global lookup.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from leadflow import limits
from leadflow.errors import InputError, LeadflowRuntimeError
from leadflow.values import Duration


def div(a: Any, b: Any) -> Any:
    if b == 0:
        raise LeadflowRuntimeError("division by zero")
    try:
        result = a / b
    except OverflowError:  # two whole numbers whose quotient is past a float's range
        raise limits.number_out_of_range(0) from None
    if not -limits.MAX_NUMBER <= result <= limits.MAX_NUMBER:
        raise limits.number_out_of_range(result)
    return int(result) if isinstance(result, float) and result.is_integer() and abs(result) < 2**53 else result


def mod(a: Any, b: Any) -> Any:
    if b == 0:
        raise LeadflowRuntimeError("modulo by zero")
    return a % b


def index(items: Any, i: Any) -> Any:
    """A list item, or null when out of range (negative counts from the end)."""
    if isinstance(i, float):
        if not i.is_integer():
            return None
        i = int(i)
    try:
        return items[i]
    except IndexError:
        return None


def contains(item: Any, container: Any) -> bool:
    """`item in container` with the null rule: null is in nothing, nothing is in null."""
    if item is None or container is None:
        return False
    return item in container


def add_duration(moment: Any, duration: Duration) -> Any:
    try:
        return duration.add_to(moment)
    except (OverflowError, ValueError):  # "year 12026 is out of range", "date value out of range"
        raise limits.date_out_of_range() from None


def subtract_duration(moment: Any, duration: Duration) -> Any:
    try:
        return duration.subtract_from(moment)
    except (OverflowError, ValueError):
        raise limits.date_out_of_range() from None


def between(a: Any, b: Any) -> Duration:
    """`a - b` for two dates or two datetimes."""
    delta = a - b
    if isinstance(a, dt.datetime):
        return Duration(seconds=delta.total_seconds())
    return Duration(days=delta.days)


def text(value: object) -> str:
    """How a value reads inside a string interpolation."""
    if isinstance(value, (list, dict)):
        # measured before it is written: a list may hold one long text many times
        # over, or lists of lists of it, and its text would dwarf its memory
        limits.check_written_size(value)
    return _text(value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def record_problem(error: Exception, condition: str) -> InputError:
    """What is wrong with the plain mapping a compiled condition was given."""
    if isinstance(error, KeyError):
        return InputError(f"condition `{condition}`: the record has no `{error.args[0]}`")
    return InputError(f"condition `{condition}`: a property it reads is null or of the wrong type ({error})")
