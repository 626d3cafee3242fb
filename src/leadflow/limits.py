"""The limits of runtime values, and Python's failures said in Leadflow's words.

A script must never crash or stall the process that runs it. Its loops are
bounded by the step budget and the time limit (interpreter/runtime.py); the
values it builds are bounded here:

* text: at most MAX_TEXT characters;
* a list: at most MAX_LIST items;
* a number: finite, and within ±MAX_NUMBER (the range of a float; integers
  stay exact inside it, so they have at most 309 digits);
* a duration: at most 10,000 years (the span of the calendar) in each of its
  parts: MAX_DURATION_MONTHS, MAX_DURATION_DAYS, MAX_DURATION_SECONDS;
* a date or datetime: within years 1 to 9999.

Every operation that can grow a value checks it where it is built. Where one
step can grow a value a lot (`replace`, `join`, interpolating a list, text of
many parts) the size is computed from the operands *before* anything is
built; where one step at most doubles it (`a + b` on text or numbers already
in range) the result is checked. So no operation allocates more than a small
multiple of a limit, and with bounded values every step of a script takes
bounded time, which is what lets the step budget and the time limit hold.

Python's own errors (OverflowError, "year 12026 is out of range") never
reach a user: `python_error` says them in the language's words, and the
compiled code attaches the span of the expression or statement that failed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from leadflow.errors import LeadflowError, LeadflowRuntimeError, LimitExceeded

MAX_TEXT = 1_000_000  # characters
MAX_LIST = 100_000  # items
MAX_NUMBER = sys.float_info.max  # about 1.8e308
MAX_DURATION_MONTHS = 10_000 * 12
MAX_DURATION_DAYS = 10_000 * 366  # so that the time between any two dates is a duration
MAX_DURATION_SECONDS = MAX_DURATION_DAYS * 86_400

DATE_RANGE = "a date or datetime must fall within years 1 to 9999"


def text_too_long(length: int) -> LimitExceeded:
    return LimitExceeded(f"text of {length:,} characters is over the limit of {MAX_TEXT:,}")


def check_text(s: str) -> str:
    if len(s) > MAX_TEXT:
        raise text_too_long(len(s))
    return s


def concat(*parts: str) -> str:
    """Texts joined end to end, their total length checked before joining."""
    total = sum(map(len, parts))
    if total > MAX_TEXT:
        raise text_too_long(total)
    return "".join(parts)


def check_list_length(length: int, what: str = "a list") -> None:
    if length > MAX_LIST:
        raise LimitExceeded(f"{what} has {length:,} items, over the limit of {MAX_LIST:,}")


def number_out_of_range(n) -> LimitExceeded:
    if n != n:
        return LimitExceeded("a calculation has no numeric result")
    return LimitExceeded(f"a number is out of range: numbers must stay within ±{MAX_NUMBER:.2g}")


def check_number(n):
    """`n` if it is in range; compiled arithmetic does the same test inline."""
    if -MAX_NUMBER <= n <= MAX_NUMBER:
        return n
    raise number_out_of_range(n)


def duration_out_of_range() -> LimitExceeded:
    return LimitExceeded("a duration is out of range: durations are at most 10,000 years long")


def fit(value):
    """`value` if it is within the limits of its kind (for values whose type is known only at run time)."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, (int, float)):
        return check_number(value)
    return value


def fit_value(value: Any) -> Any:
    """`value`, of any type, if it and everything in it is within the limits:
    for values built outside a script (a host function's result)."""
    if isinstance(value, (list, dict)):
        if isinstance(value, list):
            check_list_length(len(value))
        check_written_size(value)
        return value
    return fit(value)


def date_out_of_range() -> LimitExceeded:
    return LimitExceeded(f"a date is out of range: {DATE_RANGE}")


def joined_length(pieces: Iterable[str], separator: str, budget: int = MAX_TEXT) -> int:
    """The length of `separator.join(pieces)`, counting no further than past `budget`."""
    total = -len(separator)
    for piece in pieces:
        total += len(piece) + len(separator)
        if total > budget:
            raise text_too_long(total)
    return max(total, 0)


def check_written_size(value, budget: int = MAX_TEXT) -> None:
    """Fail if `value` written out as text (or JSON) would pass `budget` characters.

    Lists and records can share their parts, so a small value in memory can
    stand for an enormous text: this walks it, counting an upper bound of each
    part's written length, and stops as soon as the count passes the budget,
    so the walk itself costs at most about `budget` steps."""
    left = budget
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            left -= len(item) + 4  # quotes and a separator
        elif isinstance(item, (list, tuple)):
            left -= 2
            stack.extend(item)
        elif isinstance(item, dict):
            left -= 2
            for key, field in item.items():
                left -= len(key) + 4
                stack.append(field)
        elif isinstance(item, int) and not isinstance(item, bool):
            left -= item.bit_length() * 30103 // 100_000 + 3  # its digits, a sign and a separator
        else:
            left -= 40  # a float, date, time or duration, written
        if left < 0:
            raise LimitExceeded(
                f"a value is too large to write out: its text would pass the limit of {budget:,} characters"
            )


def python_error(error: BaseException) -> LeadflowError:
    """A Python exception from running a script, said in Leadflow's words.

    The specific operations raise Leadflow errors themselves; this is the net
    for the few inline fast paths (a date plus a constant duration) and for
    anything not foreseen, so that no Python wording reaches a user."""
    if isinstance(error, LeadflowError):
        return error
    message = str(error)
    if isinstance(error, (OverflowError, ValueError)) and ("date" in message or "year" in message):
        return date_out_of_range()
    if isinstance(error, ZeroDivisionError):
        return LeadflowRuntimeError("division by zero")
    if isinstance(error, OverflowError) or "integer string conversion" in message:
        return number_out_of_range(0)
    if isinstance(error, MemoryError):
        return LimitExceeded("a value is too large to hold in memory")
    if isinstance(error, RecursionError):
        return LeadflowRuntimeError("expression nested too deeply")
    return LeadflowRuntimeError(f"internal error (please report it): {type(error).__name__}: {message}")


def locate(error: BaseException, span) -> LeadflowError:
    """`error` as a Leadflow error pointing at `span` unless it already points somewhere."""
    leadflow_error = python_error(error)
    if isinstance(leadflow_error, LeadflowRuntimeError) and leadflow_error.span is None and span is not None:
        leadflow_error.span = span
    return leadflow_error
