"""Generic traversal of the AST, for passes that look at every node of a kind
(lints, the language server's hover) without a method per node type.

Children are found from the attrs fields of a node, so a node kind added to
`ast.py` is walked without a change here. Spans are attrs values too and are
skipped; strings inside a TextLit's parts are not nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from leadflow.syntax.span import Span


def children(node: Any) -> Iterator[Any]:
    """The nodes directly inside `node`, in source order."""
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if type(value) in _NODE_TYPES or (type(value) is not tuple and _is_node(value)):
            yield value
        elif type(value) is tuple:
            yield from _nodes_in(value)


# Per node type, the fields that may hold nodes (spans never do); per type
# seen, whether it is a node. Lints walk every node of a script, so asking
# attrs afresh at each one cost most of a check's time.
_FIELDS: dict[type, tuple[str, ...]] = {}
_NODE_TYPES: set[type] = set()
_NOT_NODE_TYPES: set[type] = {str, int, float, bool, type(None), Span}


def _child_fields(kind: Any) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in attrs.fields(kind) if f.type not in (Span, "Span"))
    return names


def _is_node(value: object) -> bool:
    kind = type(value)
    if kind in _NOT_NODE_TYPES:
        return False
    if attrs.has(kind) and kind is not Span:
        _NODE_TYPES.add(kind)
        return True
    _NOT_NODE_TYPES.add(kind)
    return False


def _nodes_in(value: object) -> Iterator[Any]:
    if type(value) is tuple:  # sequences of nodes, and (condition, block) pairs of an IfAction
        for item in value:
            yield from _nodes_in(item)
    elif type(value) in _NODE_TYPES or _is_node(value):
        yield value


def walk(node: Any) -> Iterator[Any]:
    """`node` and every node below it, parents before children.

    Iterative, so an expression nested as deeply as the parser allows does
    not exhaust Python's recursion limit here."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))
