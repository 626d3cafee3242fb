from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.effects.policy import (
    GIVE_UP_AFTER,
    MAX_DELAY,
    backoff_delay,
    classify,
    next_attempt,
    parse_retry_after,
)

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def test_backoff_starts_at_a_minute_and_doubles_up_to_eight_hours():
    minutes = [backoff_delay(n) / timedelta(minutes=1) for n in range(1, 13)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 480, 480, 480]
    assert backoff_delay(10**9) == MAX_DELAY


def test_first_failure_retries_a_minute_later():
    assert next_attempt(NOW, None, 1, None) == NOW + timedelta(minutes=1)
    assert next_attempt(NOW, NOW - timedelta(hours=1), 3, None) == NOW + timedelta(minutes=4)


def test_retry_after_replaces_the_backoff_but_is_capped():
    assert next_attempt(NOW, None, 5, 120.0) == NOW + timedelta(seconds=120)
    assert next_attempt(NOW, None, 1, 0.0) == NOW
    assert next_attempt(NOW, None, 1, -5.0) == NOW
    assert next_attempt(NOW, None, 1, 10**7) == NOW + MAX_DELAY


def test_gives_up_when_the_next_try_would_leave_the_three_day_window():
    almost = NOW - GIVE_UP_AFTER + timedelta(minutes=2)
    assert next_attempt(NOW, almost, 1, None) == NOW + timedelta(minutes=1)
    assert next_attempt(NOW, almost, 2, None) == NOW + timedelta(minutes=2)
    assert next_attempt(NOW, almost, 3, None) is None
    assert next_attempt(NOW, NOW - GIVE_UP_AFTER, 1, None) is None
    assert next_attempt(NOW, NOW - timedelta(days=2, hours=17), 1, 10**6) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "ok"),
        (201, "ok"),
        (204, "ok"),
        (299, "ok"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (429, "retry"),
        (301, "fail"),
        (302, "fail"),
        (400, "fail"),
        (401, "fail"),
        (404, "fail"),
        (422, "fail"),
    ],
)
def test_classify_status(status, expected):
    assert classify(status) == expected


def test_classify_exceptions_retry():
    assert classify(None, TimeoutError("read timed out")) == "retry"
    assert classify(None, ConnectionRefusedError()) == "retry"
    with pytest.raises(ValueError):
        classify(None, None)


def test_parse_retry_after():
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 7 ", NOW) == 7.0
    assert parse_retry_after(format_datetime(NOW + timedelta(minutes=2), usegmt=True), NOW) == 120.0
    assert parse_retry_after(format_datetime(NOW - timedelta(minutes=2), usegmt=True), NOW) == 0.0
    naive_now = NOW.replace(tzinfo=None)
    assert parse_retry_after("Mon, 06 Jan 2025 09:01:00 GMT", naive_now) == 60.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def _schedule(
    lags: list[float], retry_afters: list[float | None], tries: int = 200
) -> tuple[datetime, list[tuple[datetime, datetime]], bool]:
    """Fail every attempt, each run `lag` seconds late, until the policy gives up.

    Returns the first attempt, (failed at, scheduled for) pairs, and whether it gave up.
    """
    first = now = NOW
    pairs: list[tuple[datetime, datetime]] = []
    for attempts in range(1, tries + 1):
        retry_after = retry_afters[(attempts - 1) % len(retry_afters)] if retry_afters else None
        when = next_attempt(now, first if attempts > 1 else None, attempts, retry_after)
        if when is None:
            return first, pairs, True
        pairs.append((now, when))
        now = when + timedelta(seconds=lags[(attempts - 1) % len(lags)])
    return first, pairs, False


lags = st.lists(st.floats(min_value=0, max_value=4 * 3600), min_size=1, max_size=8)


@given(lags)
def test_backoff_delays_grow_stay_under_eight_hours_and_end_within_three_days(lags):
    first, pairs, gave_up = _schedule(lags, [])
    delays = [when - failed for failed, when in pairs]
    assert gave_up
    assert delays == sorted(delays)
    assert all(timedelta(0) < d <= MAX_DELAY for d in delays)
    assert all(when - first <= GIVE_UP_AFTER for _, when in pairs)


@given(lags, st.lists(st.one_of(st.none(), st.floats(min_value=-10, max_value=10**8)), min_size=1))
def test_retry_after_never_breaks_the_caps(lags, retry_afters):
    # A server may keep answering "Retry-After: 0", so this one need not give up.
    first, pairs, _ = _schedule(lags, retry_afters, tries=100)
    assert all(timedelta(0) <= when - failed <= MAX_DELAY for failed, when in pairs)
    assert all(when - first <= GIVE_UP_AFTER for _, when in pairs)
