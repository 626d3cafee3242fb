"""Number builtins: rounding, bounds, totals and seeded random draws."""

from __future__ import annotations

import pytest
from stdlib_fakes import FakeContext

from leadflow.errors import LeadflowRuntimeError
from leadflow.stdlib import numbers


@pytest.mark.parametrize(
    "n, digits, expected",
    [
        (2.5, 0, 3),
        (-2.5, 0, -3),
        (3.5, 0, 4),
        (2.675, 2, 2.68),
        (1.005, 2, 1.01),
        (1234, -2, 1200),
        (1250, -2, 1300),
        (7, 2, 7),
        (0.1 + 0.2, 1, 0.3),
        (1e300, 2, 1e300),
        (2.4, 0.0, 2),
    ],
)
def test_round_half_away_from_zero(n, digits, expected):
    rounded = numbers.round_(n, digits)
    assert rounded == expected
    assert type(rounded) is type(expected)


def test_round_defaults_to_whole_numbers_and_rejects_bad_input():
    assert numbers.round_(2.5) == 3 and isinstance(numbers.round_(2.5), int)
    with pytest.raises(LeadflowRuntimeError, match="digits must be a whole number"):
        numbers.round_(1.0, 1.5)
    with pytest.raises(LeadflowRuntimeError, match="finite"):
        numbers.round_(float("inf"))


def test_floor_ceil_abs():
    assert numbers.floor(2.7) == 2 and numbers.floor(-2.5) == -3 and numbers.floor(4) == 4
    assert numbers.ceil(2.1) == 3 and numbers.ceil(-2.5) == -2
    assert numbers.abs_(-3.5) == 3.5 and numbers.abs_(0) == 0
    for fn in (numbers.floor, numbers.ceil):
        with pytest.raises(LeadflowRuntimeError, match="finite"):
            fn(float("nan"))


def test_min_max_clamp():
    assert numbers.min_(3, -1.5) == -1.5 and numbers.max_(3, -1.5, 7) == 7
    assert numbers.clamp(-5, 0, 100) == 0 and numbers.clamp(50, 0, 100) == 50
    assert numbers.clamp(5, 5, 5) == 5
    with pytest.raises(LeadflowRuntimeError, match="lower bound 10 is above the upper bound 0"):
        numbers.clamp(5, 10, 0)


def test_sum_and_avg():
    assert numbers.sum_([]) == 0
    assert numbers.sum_([1, 2, 3]) == 6 and isinstance(numbers.sum_([1, 2, 3]), int)
    assert numbers.sum_([0.1] * 10) == 1.0
    assert numbers.avg([]) is None
    assert numbers.avg([2, 4]) == 3 and isinstance(numbers.avg([2, 4]), int)
    assert numbers.avg([1, 2]) == 1.5
    with pytest.raises(LeadflowRuntimeError, match="too large"):
        numbers.sum_([1e308, 1e308])


def test_random_int_is_inclusive_and_replays_with_the_seed():
    draws = [numbers.random_int(FakeContext(), 1, 4) for _ in range(5)]
    assert draws == [numbers.random_int(FakeContext(), 1, 4) for _ in range(5)]
    ctx = FakeContext()
    seen = {numbers.random_int(ctx, 1, 4) for _ in range(200)}
    assert seen == {1, 2, 3, 4}
    assert numbers.random_int(ctx, 2.0, 2.0) == 2


def test_random_int_rejects_bad_bounds():
    with pytest.raises(LeadflowRuntimeError, match="lower bound 5 is above the upper bound 1"):
        numbers.random_int(FakeContext(), 5, 1)
    with pytest.raises(LeadflowRuntimeError, match="hi must be a whole number"):
        numbers.random_int(FakeContext(), 1, 2.5)


def test_random_uses_the_context_generator():
    ctx = FakeContext()
    values = [numbers.random(ctx) for _ in range(100)]
    assert all(0 <= v < 1 for v in values) and len(set(values)) == 100
