"""Number builtins: rounding, bounds, totals and random draws.

`round` rounds half away from zero on the decimal digits a person reads
(`round(2.675, 2)` is 2.68), not Python's banker's rounding on the binary
value, because scripts round money and scores. Whole results are ints so
that `{round(x)}` prints `3`, not `3.0`.

Random draws use the call context's generator, so a seeded engine (tests, the
simulated clock) replays the same draws.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from leadflow import limits
from leadflow.check.types import NUMBER, ListType, nullable
from leadflow.stdlib.registry import CallContext, builtin, fail, param, whole

Number = int | float
N = param("n", NUMBER)
NUMBERS = param("items", ListType(NUMBER))


def _finite(name: str, n: Number) -> Number:
    if isinstance(n, float) and not math.isfinite(n):
        raise fail(name, f"needs a finite number, got {n!r}")
    return n


@builtin("abs", [N], NUMBER)
def abs_(n: Number) -> Number:
    """`n` without its sign."""
    return abs(n)


@builtin("round", [N, param("digits", NUMBER, optional=True)], NUMBER)
def round_(n: Number, digits: Number = 0) -> Number:
    """`n` rounded to `digits` decimals (default 0; negative rounds to tens,
    hundreds...), halves away from zero: `round(2.5)` is 3, `round(1234, -2)` is 1200."""
    places = whole("round", "digits", digits)
    _finite("round", n)
    if isinstance(n, int) and places >= 0 or places > 400:  # past 400 decimals a number has nothing to round
        return n
    if places < -400:  # every number in range rounds to 0 at that scale
        return 0
    with localcontext() as decimal_context:
        decimal_context.prec = 60
        try:
            rounded = Decimal(repr(n)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        except InvalidOperation:  # more digits than a float holds: nothing to round
            return n
    return int(rounded) if places <= 0 else float(rounded)


@builtin("floor", [N], NUMBER)
def floor(n: Number) -> int:
    """The largest whole number not above `n`: `floor(-2.5)` is -3."""
    return math.floor(_finite("floor", n))


@builtin("ceil", [N], NUMBER)
def ceil(n: Number) -> int:
    """The smallest whole number not below `n`: `ceil(2.1)` is 3."""
    return math.ceil(_finite("ceil", n))


@builtin("min", [param("a", NUMBER), param("b", NUMBER)], NUMBER, variadic=True)
def min_(*numbers: Number) -> Number:
    """The smallest of two or more numbers. For a list, use `sort` and `first`."""
    return min(numbers)


@builtin("max", [param("a", NUMBER), param("b", NUMBER)], NUMBER, variadic=True)
def max_(*numbers: Number) -> Number:
    """The largest of two or more numbers."""
    return max(numbers)


@builtin("clamp", [N, param("lo", NUMBER), param("hi", NUMBER)], NUMBER)
def clamp(n: Number, lo: Number, hi: Number) -> Number:
    """`n` brought within `lo`..`hi`: `clamp(score, 0, 100)`. `lo` must not exceed `hi`."""
    if lo > hi:
        raise fail("clamp", f"the lower bound {lo} is above the upper bound {hi}")
    return min(max(n, lo), hi)


@builtin("sum", [NUMBERS], NUMBER)
def sum_(items: list[Number]) -> Number:
    """The total of a list of numbers; 0 for an empty list."""
    if all(isinstance(x, int) for x in items):
        total = sum(items)
    else:
        try:
            total = math.fsum(items)  # exact rounding: sum([0.1, 0.2, 0.3]) == 0.6
        except (OverflowError, ValueError):
            raise fail("sum", "the total is too large to represent") from None
    if not -limits.MAX_NUMBER <= total <= limits.MAX_NUMBER:
        raise fail("sum", "the total is too large to represent")
    return total


@builtin("avg", [NUMBERS], nullable(NUMBER))
def avg(items: list[Number]) -> Number | None:
    """The mean of a list of numbers, or null for an empty list."""
    if not items:
        return None
    total = sum_(items)
    if isinstance(total, int) and total % len(items) == 0:
        return total // len(items)
    return total / len(items)


@builtin("random_int", [param("lo", NUMBER), param("hi", NUMBER)], NUMBER, needs_context=True)
def random_int(ctx: CallContext, lo: Number, hi: Number) -> int:
    """A random whole number from `lo` to `hi`, both included: `random_int(1, 4)`."""
    low, high = whole("random_int", "lo", lo), whole("random_int", "hi", hi)
    if low > high:
        raise fail("random_int", f"the lower bound {low} is above the upper bound {high}")
    return ctx.random.randint(low, high)


@builtin("random", [], NUMBER, needs_context=True)
def random(ctx: CallContext) -> float:
    """A random number from 0 (included) to 1 (excluded)."""
    return ctx.random.random()
