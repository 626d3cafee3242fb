"""The arguments of the embedding API (`Engine.emit`, `import_rows`, `find`...),
checked where they come in.

A host program that passes a list where a mapping belongs gets an InputError
saying what is accepted, not a TypeError from deep inside the engine: every
error the API raises on purpose is a LeadflowError (docs/embedding.md lists
them). Each check returns the value in the form the engine works with.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from leadflow.errors import InputError
from leadflow.interpreter.coerce import is_unicode


def describe(value: object) -> str:
    """A short, safe description of a value for a message: JSON where it can be, else its type."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def name(value: object, what: str) -> str:
    """An event, workflow or function name: text."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text, got {describe(value)}")
    return value


def event_data(value: object) -> dict[str, Any]:
    """`data`: a mapping from field names (text) to values, or None for no fields."""
    if value is None:
        return {}
    if type(value) is not dict and not isinstance(value, Mapping):  # a dict skips the ABC's slower check
        raise InputError(f'"data" must be a JSON object (a mapping of field names to values), got {describe(value)}')
    data = dict(value)
    for key in data:
        if not isinstance(key, str):
            raise InputError(f'"data" field names must be text, got {describe(key)}')
    return data


def moment(value: object, what: str) -> dt.datetime | None:
    """A datetime (naive ones are in the engine's time zone), or None."""
    if value is not None and not isinstance(value, dt.datetime):
        raise InputError(f"{what} must be a datetime, got {describe(value)}")
    return value


def event_key(value: object) -> str | None:
    """An event's idempotency key: text or None (emit_record also takes a number)."""
    if value is not None and not isinstance(value, str):
        raise InputError(f"the event key must be text, got {describe(value)}")
    if value is not None and not value.isascii() and not is_unicode(value):
        raise InputError(f"the event key {value!r} is not valid Unicode text (it holds a lone surrogate)")
    return value


def count(value: object, what: str, *, optional: bool = False) -> int | None:
    """A positive whole number (or None where `optional`)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{what} must be a whole number of at least 1, got {describe(value)}")
    return value


def callback(value: object, what: str) -> Callable[..., object] | None:
    if value is not None and not callable(value):
        raise InputError(f"{what} must be a function or None, got {describe(value)}")
    return value


def iterable(value: object, what: str, items: str) -> Iterable[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InputError(f"{what} must be a list or other iterable of {items}, got {describe(value)}")
    return value


def record_id(value: object, what: str = "a record id") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be a whole number, got {describe(value)}")
    return value
