"""Hypothesis properties of the builtins that examples alone do not pin down."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st
from stdlib_fakes import PARIS, UTC, FakeContext

from leadflow.stdlib import dates, lists, numbers, text

SEPARATORS = st.text(min_size=1, max_size=3)
MOMENTS = st.one_of(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.datetimes(
        min_value=dt.datetime(1900, 1, 2),
        max_value=dt.datetime(2199, 12, 31),
        timezones=st.just(dt.UTC),
    ),
)
ZONES = st.sampled_from([UTC, PARIS])


# Separators draw from characters parts never contain, so a separator can
# neither occur inside a part nor straddle the seam between two parts.
PARTS = st.lists(st.text(alphabet="abcé xyZ0", max_size=8), min_size=1, max_size=8)
DISJOINT_SEPARATORS = st.text(alphabet=",;|@-\n", min_size=1, max_size=3)


@given(PARTS, DISJOINT_SEPARATORS)
def test_split_inverts_join_when_parts_lack_the_separator(parts, sep):
    assert text.split(text.join(parts, sep), sep) == parts


@given(st.text(max_size=30), SEPARATORS)
def test_join_inverts_split(s, sep):
    assert text.join(text.split(s, sep), sep) == s


@given(st.lists(st.one_of(st.integers(), st.floats(allow_nan=False)), max_size=30))
def test_sort_is_ordered_permutation_of_numbers(items):
    result = lists.sort(items)
    assert all(a <= b for a, b in zip(result, result[1:], strict=False))
    assert sorted(map(repr, result)) == sorted(map(repr, items))


@given(st.lists(st.text(max_size=5), max_size=30))
def test_sort_is_ordered_permutation_of_text(items):
    result = lists.sort(items)
    assert all(a <= b for a, b in zip(result, result[1:], strict=False))
    assert sorted(result) == sorted(items) and len(result) == len(items)


@given(st.integers(-(10**12), 10**12), st.integers(0, 10**6), st.integers(0, 2**32))
def test_random_int_stays_within_bounds(lo, width, seed):
    ctx = FakeContext()
    ctx.random.seed(seed)
    assert lo <= numbers.random_int(ctx, lo, lo + width) <= lo + width


@given(MOMENTS, MOMENTS, ZONES)
def test_days_between_is_antisymmetric(a, b, zone):
    ctx = FakeContext(timezone=zone)
    assert dates.days_between(ctx, a, b) == -dates.days_between(ctx, b, a)
    assert dates.days_between(ctx, a, a) == 0


@given(MOMENTS, MOMENTS, MOMENTS, ZONES)
def test_days_between_adds_up(a, b, c, zone):
    ctx = FakeContext(timezone=zone)
    assert dates.days_between(ctx, a, b) + dates.days_between(ctx, b, c) == dates.days_between(ctx, a, c)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 6))
def test_round_is_within_half_a_unit(n, digits):
    assert abs(numbers.round_(n, digits) - n) <= 0.5 * 10**-digits + 1e-9


@given(st.text(max_size=20), st.integers(-30, 30), st.integers(-30, 30))
def test_substring_never_fails(s, start, end):
    assert text.substring(s, start, end) in s


@given(st.lists(st.integers(0, 5), max_size=20))
def test_unique_is_idempotent_and_keeps_every_value(items):
    once = lists.unique(items)
    assert lists.unique(once) == once and set(once) == set(items)
