"""When to try an effect again, and what one delivery attempt amounted to.

Pure functions, no I/O: the outbox asks them what to do after each attempt,
so the whole retry schedule can be tested (and property-tested) without a
network or a clock.

The schedule is the one CRM users already know from webhook platforms:

- the first retry comes 1 minute after the first failure and each later
  delay doubles (1, 2, 4, ... minutes), never more than 8 hours apart;
- a 429 (or 503) response's ``Retry-After`` replaces the computed delay,
  still capped at 8 hours, so a misbehaving server cannot park an effect
  for a month;
- nothing is scheduled later than 3 days after the first attempt: when the
  next try would fall outside that window the effect is given up (dead), so
  the delays stay non-decreasing and the window is a hard bound.

``attempts`` always counts the attempt that has just failed, so the first
failure passes ``attempts=1``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import attrs

Status = Literal["ok", "retry", "fail"]

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=8)
GIVE_UP_AFTER = timedelta(days=3)

# 2**10 minutes is already past MAX_DELAY; clamping the exponent keeps huge
# attempt counts from building enormous integers.
_MAX_EXPONENT = 10


@attrs.frozen
class Outcome:
    """What one delivery attempt of one effect came to.

    ``error`` is short, human-readable text for the dead-letter view; senders
    scrub secret values from it before it is built. ``response`` is the
    receiver's answer (parsed JSON or text, at most 64 KiB) or other
    sender-specific detail such as the path of a written email file.
    """

    status: Status
    http_status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    response: Any = None


def backoff_delay(attempts: int) -> timedelta:
    """The delay after the ``attempts``-th consecutive failure (1-based)."""
    exponent = min(max(attempts, 1) - 1, _MAX_EXPONENT)
    return min(FIRST_DELAY * (2**exponent), MAX_DELAY)


def next_attempt(
    now: datetime,
    first_attempt_at: datetime | None,
    attempts: int,
    retry_after: float | None,
) -> datetime | None:
    """When to try again after a failure at ``now``, or None to give up.

    ``first_attempt_at`` is None when the attempt that just failed was the
    first one, in which case ``now`` is the first attempt.
    """
    first = first_attempt_at if first_attempt_at is not None else now
    if retry_after is not None:
        delay = min(timedelta(seconds=max(retry_after, 0.0)), MAX_DELAY)
    else:
        delay = backoff_delay(attempts)
    when = now + delay
    if when - first > GIVE_UP_AFTER:
        return None
    return when


def classify(status_code: int | None, exception: BaseException | None = None) -> Status:
    """Sort an HTTP attempt into ok, retry (transient) or fail (permanent).

    Any exception during the exchange (connection refused, DNS failure,
    timeout, reset) is transient. Redirects are not followed, and a 3xx is
    treated like any other client error: the URL in the script is wrong.
    """
    if exception is not None:
        return "retry"
    if status_code is None:
        raise ValueError("classify needs a status code or an exception")
    if 200 <= status_code < 300:
        return "ok"
    if status_code == 429 or status_code >= 500:
        return "retry"
    return "fail"


def as_utc(moment: datetime) -> datetime:
    """An aware datetime; naive ones are taken to be UTC, the engine's convention."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    Returns None for a missing or unreadable header, so the normal backoff
    applies. Dates in the past mean "now" (0 seconds).
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max((as_utc(when) - as_utc(now)).total_seconds(), 0.0)
