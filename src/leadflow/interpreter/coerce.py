"""Turning outside data into typed runtime values: event payloads (JSON),
CSV cells (text), host function results and webhook answers.

Every mismatch is an InputError naming the field and what was expected, so a
bad event line is rejected with a reason before anything is applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from leadflow.check import types as T
from leadflow.errors import InputError
from leadflow.interpreter.validate import NotAnEmail, normal_email, problem_with
from leadflow.values import Duration

TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n"}


def coercer(target: T.Type, where: str, *, timezone: dt.tzinfo = dt.UTC) -> Callable[[object], Any]:
    """`coerce(·, target, where)` made once, for a place whose type is known up front
    (an event's fields, an event's contact): well-formed values take a short path."""
    kind = T.strip_null(target)
    if kind == T.EMAIL:

        def convert_email(value: object) -> Any:
            if type(value) is str:
                try:
                    return normal_email(value)
                except NotAnEmail:
                    pass
            return coerce(value, target, where, timezone=timezone)  # which says what is wrong

        return convert_email
    plain = str if kind == T.TEXT else int if kind == T.NUMBER else None

    def convert(value: object) -> Any:
        if type(value) is plain and (plain is not str or (isinstance(value, str) and value.isascii())):
            return value
        return coerce(value, target, where, timezone=timezone)

    return convert


def coerce(value: Any, target: T.Type, where: str, *, timezone: dt.tzinfo = dt.UTC, from_text: bool = False) -> Any:
    """Convert `value` to the runtime form of `target`, or raise InputError."""
    if from_text and isinstance(value, str):
        value = value.strip()  # a CSV cell's padding is not part of its value
    if value is None or (from_text and value == ""):
        if T.is_nullable(target) or target == T.ANY:
            return None
        raise InputError(f"{where}: a value is required ({target})")
    kind = T.strip_null(target)
    try:
        result = _convert(value, kind, where, timezone, from_text)
    except NotAnEmail as error:
        raise InputError(f"{where}: {value!r} is not an email address ({error.reason})") from None
    except (ValueError, TypeError, OverflowError) as error:
        raise InputError(f"{where}: {value!r} is not a valid {kind} ({error})") from None
    if kind == T.EMAIL:
        return result  # normal_email has checked it
    problem = problem_with(result, kind)
    if problem:
        raise InputError(f"{where}: {value!r} is {problem}")
    return result


def _convert(value: Any, kind: T.Type, where: str, tz: dt.tzinfo, from_text: bool) -> Any:
    if kind == T.ANY:
        return value
    if T.is_textual(kind) or isinstance(kind, T.EnumType):
        if not isinstance(value, str):
            raise InputError(f"{where}: expected {kind}, got {_kind_of(value)}")
        if kind == T.EMAIL:
            return normal_email(value)
        if not value.isascii() and not is_unicode(value):  # JSON's "\ud800" is no text a store can keep
            raise InputError(f"{where}: {value!r} is not valid Unicode text (it holds a lone surrogate)")
        return value.strip() if kind in T.TEXT_KINDS else value
    if kind == T.NUMBER:
        if from_text and isinstance(value, str):
            text = value.replace("_", "").strip()
            number = float(text)
            value = int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}: expected a number, got {_kind_of(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"{where}: expected a finite number")
        return value
    if kind == T.BOOL:
        if from_text and isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {_kind_of(value)}")
        return value
    if kind == T.DATETIME:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, str):
            moment = dt.datetime.fromisoformat(value.strip())
        else:
            raise InputError(f"{where}: expected an ISO datetime text, got {_kind_of(value)}")
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    if kind == T.DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if not isinstance(value, str):
            raise InputError(f"{where}: expected an ISO date text, got {_kind_of(value)}")
        return dt.date.fromisoformat(value.strip())
    if kind == T.TIME:
        if not isinstance(value, str):
            raise InputError(f"{where}: expected a time text like 09:00, got {_kind_of(value)}")
        return dt.time.fromisoformat(value.strip())
    if kind == T.DURATION:
        if isinstance(value, Duration):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Duration(seconds=value)
        raise InputError(f"{where}: expected a duration in seconds, got {_kind_of(value)}")
    if isinstance(kind, T.ListType):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{where}: expected a list, got {_kind_of(value)}")
        return [coerce(v, kind.element, f"{where}[{i}]", timezone=tz) for i, v in enumerate(value)]
    if isinstance(kind, T.RecordType):
        if not isinstance(value, dict):
            raise InputError(f"{where}: expected a record, got {_kind_of(value)}")
        return {name: coerce(value.get(name), t, f"{where}.{name}", timezone=tz) for name, t in kind.fields}
    if isinstance(kind, T.ObjectType):
        if from_text and isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)  # a CSV cell names a record by its id
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where}: expected a {kind.name} id, got {_kind_of(value)}")
        return value
    raise InputError(f"{where}: values of type {kind} cannot be given here")


def is_unicode(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
