"""List and record builtins: generic helpers that never change their argument."""

from __future__ import annotations

import datetime as dt

import pytest

from leadflow.errors import LeadflowRuntimeError
from leadflow.stdlib import lists, records
from leadflow.values import Duration


def test_first_last_count_on_empty_and_full_lists():
    assert lists.first([]) is None and lists.last([]) is None and lists.count([]) == 0
    assert lists.first(["a", "b"]) == "a" and lists.last(["a", "b"]) == "b"


def test_includes_uses_equality():
    assert lists.includes([1, 2.5], 2.5) and not lists.includes([], 1)
    assert lists.includes([{"a": 1}], {"a": 1})
    assert lists.includes([dt.date(2026, 1, 1)], dt.date(2026, 1, 1))


def test_sort_orders_common_value_types():
    assert lists.sort(["b", "B", "a"]) == ["B", "a", "b"]
    assert lists.sort([2, 1.5, -3]) == [-3, 1.5, 2]
    assert lists.sort([dt.date(2026, 3, 1), dt.date(2025, 1, 1)]) == [dt.date(2025, 1, 1), dt.date(2026, 3, 1)]
    assert lists.sort([Duration(days=2), Duration(days=1)]) == [Duration(days=1), Duration(days=2)]


def test_sort_of_uncomparable_values_is_a_runtime_error():
    with pytest.raises(LeadflowRuntimeError, match="cannot be compared"):
        lists.sort([{"a": 1}, {"a": 2}])
    with pytest.raises(LeadflowRuntimeError, match="cannot be compared"):
        lists.sort([1, None])


def test_unique_keeps_first_occurrences_even_for_records():
    assert lists.unique(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert lists.unique([{"a": 1}, {"a": 1}, {"a": 2}]) == [{"a": 1}, {"a": 2}]
    assert lists.unique([]) == []


def test_reverse_and_slice_return_new_lists():
    items = [1, 2, 3, 4, 5]
    assert lists.reverse(items) == [5, 4, 3, 2, 1]
    assert lists.slice_(items, 1) == [2, 3, 4, 5]
    assert lists.slice_(items, -2) == [4, 5]
    assert lists.slice_(items, 3, 100) == [4, 5]
    assert lists.slice_(items, 4, 1) == []
    assert lists.sort(items) is not items and items == [1, 2, 3, 4, 5]
    with pytest.raises(LeadflowRuntimeError, match="end must be a whole number"):
        lists.slice_(items, 0, 0.5)


def test_keys_in_written_order():
    assert records.keys({"b": 1, "a": None}) == ["b", "a"]
    assert records.keys({}) == []
