"""List builtins, generic over the element type `T`.

Lists are values: every builtin returns a new list and leaves its argument
alone. Positions follow the same rule as `substring`: zero-based, negative
ones count from the end, out-of-range ones are clamped.
"""

from __future__ import annotations

from typing import Any

from leadflow import limits
from leadflow.check.types import BOOL, NUMBER, ListType, TypeVar, nullable
from leadflow.stdlib.registry import builtin, fail, param, whole

T = TypeVar("T")
LIST_T = ListType(T)
ITEMS = param("items", LIST_T)


@builtin("count", [ITEMS], NUMBER)
def count(items: list[Any]) -> int:
    """The number of items in a list."""
    return len(items)


@builtin("first", [ITEMS], nullable(T))
def first(items: list[Any]) -> Any:
    """The first item of a list, or null when it is empty: `first(deals) ?? default`."""
    return items[0] if items else None


@builtin("last", [ITEMS], nullable(T))
def last(items: list[Any]) -> Any:
    """The last item of a list, or null when it is empty."""
    return items[-1] if items else None


@builtin("includes", [ITEMS, param("item", T)], BOOL)
def includes(items: list[Any], item: Any) -> bool:
    """Whether `item` is in the list. For text inside text, use `contains`."""
    return item in items


@builtin("sort", [ITEMS], LIST_T, orderable=("T",))
def sort(items: list[Any]) -> list[Any]:
    """The items in ascending order: numbers by value, text by character code
    (upper case before lower case), dates and times chronologically. Enums and
    bools have no order to sort by."""
    try:
        return sorted(items)
    except TypeError:
        raise fail("sort", "the items cannot be compared with one another") from None


@builtin("unique", [ITEMS], LIST_T)
def unique(items: list[Any]) -> list[Any]:
    """The items without repeats, each where it first appears."""
    if any(isinstance(item, (dict, list)) for item in items):
        limits.check_written_size(items)  # nested items may share parts: bound the work of hashing them
    kept: list[Any] = []
    seen: set[Any] = set()
    for item in items:
        key = _hashable(item)  # records are dicts and lists are lists, which do not hash
        if key in seen:
            continue
        seen.add(key)
        kept.append(item)
    return kept


def _hashable(item: Any) -> Any:
    """A key equal for equal items: a set keeps `unique` linear, where comparing each
    item with every kept one took quadratic time on a long list of records."""
    if isinstance(item, dict):
        return (dict, frozenset((k, _hashable(v)) for k, v in item.items()))
    if isinstance(item, list):
        return (list, tuple(_hashable(v) for v in item))
    return item


@builtin("reverse", [ITEMS], LIST_T)
def reverse(items: list[Any]) -> list[Any]:
    """The items in the opposite order."""
    return items[::-1]


@builtin("slice", [ITEMS, param("start", NUMBER), param("end", NUMBER, optional=True)], LIST_T)
def slice_(items: list[Any], start: float, end: float | None = None) -> list[Any]:
    """The items from position `start` (included) to `end` (excluded, default the end):
    `slice(deals, 0, 3)` is the first three."""
    first_index = whole("slice", "start", start)
    last_index = None if end is None else whole("slice", "end", end)
    return items[first_index:last_index]
