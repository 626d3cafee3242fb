"""Validation of values on write: the text kinds (email, phone, url) and
enum members are checked when a value is stored, as the design says.

Email addresses have one gate, `normal_email`, used wherever an address is
stored or looked up (event contacts and fields, imports, `set`, `create`,
`Engine.find`): the email-validator library decides what an address is
(syntax only, no DNS), and the stored spelling is its normal form in lower
case, so Ada@Example.com and ada@example.com are one contact.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from leadflow.check import types as T
from leadflow.errors import LeadflowRuntimeError

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()./-]{5,20}$")

# The common shape of an address, ASCII letters, digits and dots, which
# email-validator accepts unchanged (tests/interpreter/test_email_addresses.py
# checks that against the library with Hypothesis): such text skips the
# library, whose checks cost about 23 µs, a quarter of an event's time.
# Everything else, and every rejection, is the library's call.
_PLAIN_EMAIL = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_PADDING = " \t"  # around an address, not part of it; a CR, LF or NUL anywhere is refused


@functools.cache
def _special_use() -> tuple[str, ...]:
    """The special-use domains (.test, .local, ...) the library refuses."""
    # email-validator is imported on first use: its patterns take 25 ms to build,
    # which `leadflow check` and `fmt` would pay at start-up for nothing.
    import email_validator

    return tuple("." + name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)


class NotAnEmail(ValueError):
    """What `normal_email` raises: `reason` says what is wrong with the text."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normal_email(text: str) -> str:
    """The stored spelling of an email address, or NotAnEmail saying why `text` is none."""
    if type(text) is not str:
        raise NotAnEmail("an email address is text")
    address = text.strip(_PADDING).lower()
    if (
        len(address) <= 254
        and _PLAIN_EMAIL.fullmatch(address)
        and address.index("@") <= 64
        and "--" not in address
        and not ("." + address).endswith(_special_use())
    ):
        return address
    if "\x00" in address or "\r" in address or "\n" in address:
        raise NotAnEmail("it holds a line break or NUL character")
    import email_validator

    try:
        valid = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise NotAnEmail(str(error).rstrip(".")) from None
    return valid.normalized.lower()


def email_problem(value: Any) -> str | None:
    """Why `value` is not a storable email address, or None if it is one."""
    try:
        normal_email(value)
    except NotAnEmail as error:
        return f"not an email address ({error.reason})"
    return None


def validator(target: T.Type, name: str) -> Callable[[object], object]:
    """`validate_value(·, target, name)` made once, for an action compiled once: most
    types (text, numbers, dates...) need no check, and then it hands values through."""
    kind = T.strip_null(target)
    if kind in T.TEXT_KINDS or isinstance(kind, T.EnumType):
        return lambda value: validate_value(value, target, name)
    return _as_is


def _as_is(value: Any) -> Any:
    return value


def validate_value(value: Any, target: T.Type, name: str) -> Any:
    """Return value (an email in its stored spelling) if it may be stored where
    `target` is expected, else raise."""
    if value is None:
        return None
    kind = T.strip_null(target)
    if kind == T.EMAIL:
        try:
            return normal_email(value)
        except NotAnEmail as error:
            raise LeadflowRuntimeError(
                f"cannot store {value!r} in `{name}`: not an email address ({error.reason})"
            ) from None
    problem = problem_with(value, kind)
    if problem:
        raise LeadflowRuntimeError(f"cannot store {value!r} in `{name}`: {problem}")
    return value


def problem_with(value: object, kind: T.Type) -> str | None:
    if kind == T.EMAIL:
        return email_problem(value)
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
