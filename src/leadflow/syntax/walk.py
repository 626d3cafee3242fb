"""Generic traversal of the AST, for passes that look at every node of a kind
(lints, the language server's hover) without a method per node type.

Children are found from the attrs fields of a node, so a node kind added to
`ast.py` is walked without a change here. Spans are attrs values too and are
skipped; strings inside a TextLit's parts are not nodes.
"""
from __future__ import annotations

from collections.abc import Iterator

import attrs

from leadflow.syntax.span import Span


def children(node) -> Iterator:
    """The nodes directly inside `node`, in source order."""
    for field in attrs.fields(type(node)):
        yield from _nodes_in(getattr(node, field.name))


def _nodes_in(value) -> Iterator:
    if isinstance(value, tuple):  # sequences of nodes, and (condition, block) pairs of an IfAction
        for item in value:
            yield from _nodes_in(item)
    elif attrs.has(type(value)) and not isinstance(value, Span):
        yield value


def walk(node) -> Iterator:
    """`node` and every node below it, parents before children.

    Iterative, so an expression nested as deeply as the parser allows does
    not exhaust Python's recursion limit here."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))
