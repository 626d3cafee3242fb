"""Comparing what a test expects with what happened, and saying how they differ.

A failed expectation is a `Mismatch`: what was checked (`expect."ada@example.com".lists`),
a one-line reason, the expected and the actual value as the language writes
them, and a unified diff when they are lists or tables, as pytest shows one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

import attrs

from leadflow.values import show


@attrs.frozen
class Mismatch:
    what: str
    message: str
    expected: list[str] | None = None  # lines, as the language writes the values
    actual: list[str] | None = None
    sequence: bool = False  # the lines are the items of a list, shown as `[a, b]` on one line

    def diff(self) -> list[str]:
        """A unified diff from the expected to the actual lines, when both have several."""
        if self.expected is None or self.actual is None or (len(self.expected) <= 1 and len(self.actual) <= 1):
            return []
        lines = difflib.unified_diff(self.expected, self.actual, "expected", "actual", lineterm="", n=2)
        return list(lines)


def pattern(text: str) -> re.Pattern:
    """Text where `*` stands for any run of characters; everything else is literal."""
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)


def matches(expected_text: str, actual) -> bool:
    return isinstance(actual, str) and pattern(expected_text).fullmatch(actual) is not None


def same(expected, actual) -> bool:
    """Equality as a script's `==` sees it: 1 == 1.0, instants compared across zones,
    and a list or table equal item by item."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dt.datetime) != isinstance(actual, dt.datetime):
        return False
    return expected == actual


def subset(expected, actual) -> bool:
    """Every key of an expected table is in the actual one with the same value
    (tables inside are compared the same way); other values are compared with `same`."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and subset(v, actual[k]) for k, v in expected.items())
    return same(_jsonish(expected), actual) or same(expected, actual)


def _jsonish(value):
    """A TOML value as it looks once sent as JSON: datetimes become ISO text."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return value


def lines_of_table(values: dict, types: dict | None = None) -> list[str]:
    types = types or {}
    return [f"{key}: {show(value, types.get(key))}" for key, value in values.items()]
