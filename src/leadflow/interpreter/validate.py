"""Validation of values on write: the text kinds (email, phone, url) and
enum members are checked when a value is stored, as the design says."""
from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from leadflow.check import types as T
from leadflow.errors import LeadflowRuntimeError

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()./-]{5,20}$")


def normal_email(text: str) -> str:
    """One spelling per address, as CRMs do: Ada@Example.com and ada@example.com are one contact."""
    return text.strip().lower()


def validator(target: T.Type, name: str) -> Callable[[object], object]:
    """`validate_value(·, target, name)` made once, for an action compiled once: most
    types (text, numbers, dates...) need no check, and then it hands values through."""
    kind = T.strip_null(target)
    if kind in T.TEXT_KINDS or isinstance(kind, T.EnumType):
        return lambda value: validate_value(value, target, name)
    return _as_is


def _as_is(value):
    return value


def validate_value(value, target: T.Type, name: str):
    """Return value if it may be stored where `target` is expected, else raise."""
    if value is None:
        return None
    kind = T.strip_null(target)
    if kind == T.EMAIL and isinstance(value, str):
        value = normal_email(value)  # as in event files and imports
    problem = problem_with(value, kind)
    if problem:
        raise LeadflowRuntimeError(f"cannot store {value!r} in `{name}`: {problem}")
    return value


def problem_with(value, kind: T.Type) -> str | None:
    if kind == T.EMAIL:
        return None if isinstance(value, str) and EMAIL_PATTERN.match(value) else "not an email address"
    if kind == T.URL:
        if not isinstance(value, str):
            return "not a URL"
        parts = urlsplit(value)
        return None if parts.scheme in ("http", "https") and parts.netloc else "not an http(s) URL"
    if kind == T.PHONE:
        return None if isinstance(value, str) and PHONE_PATTERN.match(value) else "not a phone number"
    if isinstance(kind, T.EnumType):
        return None if value in kind.members else "not one of " + ", ".join(kind.members)
    return None
