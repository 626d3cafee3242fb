"""Small runtime helpers that generated code calls where inline Python will not do.

Kept tiny and free of engine state: generated expressions bind these names
once at compile time, so a call costs one global lookup.
"""
from __future__ import annotations

import datetime as dt

from leadflow.errors import InputError, LeadflowRuntimeError
from leadflow.values import Duration


def div(a, b):
    if b == 0:
        raise LeadflowRuntimeError("division by zero")
    result = a / b
    return int(result) if isinstance(result, float) and result.is_integer() and abs(result) < 2**53 else result


def mod(a, b):
    if b == 0:
        raise LeadflowRuntimeError("modulo by zero")
    return a % b


def index(items, i):
    """A list item, or null when out of range (negative counts from the end)."""
    if isinstance(i, float):
        if not i.is_integer():
            return None
        i = int(i)
    try:
        return items[i]
    except IndexError:
        return None


def contains(item, container):
    """`item in container` with the null rule: null is in nothing, nothing is in null."""
    if item is None or container is None:
        return False
    return item in container


def add_duration(moment, duration: Duration):
    return duration.add_to(moment)


def subtract_duration(moment, duration: Duration):
    return duration.subtract_from(moment)


def between(a, b) -> Duration:
    """`a - b` for two dates or two datetimes."""
    delta = a - b
    if isinstance(a, dt.datetime):
        return Duration(seconds=delta.total_seconds())
    return Duration(days=delta.days)


def text(value) -> str:
    """How a value reads inside a string interpolation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(text(v) for v in value)
    return str(value)


def record_problem(error: Exception, condition: str) -> InputError:
    """What is wrong with the plain mapping a compiled condition was given."""
    if isinstance(error, KeyError):
        return InputError(f"condition `{condition}`: the record has no `{error.args[0]}`")
    return InputError(f"condition `{condition}`: a property it reads is null or of the wrong type ({error})")
