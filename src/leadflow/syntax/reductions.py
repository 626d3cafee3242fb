"""The AST built while the LALR parser reduces, with no parse tree between.

Lark can build a tree and a transformer walk it afterwards, but the walk is
recursive (a chain of a thousand `+` exhausts Python's stack) and the tree
costs as much again as the parse. Lark can also call a transformer at each
reduction, but then gives it no positions. So the reduction callbacks are
made here, one per grammar rule, around Lark's own child filter: each sees
the rule's children before the filter drops keywords and punctuation,
takes the rule's first and last line and column from them, and calls the
rule's `ToAst` method with that span, as `propagate_positions` would.

Positions of values that are not tokens (AST nodes, tuples, inlined
trees) are kept in a table by object id for the length of one parse, with
each value's nesting depth: a node is one level deeper than its children,
except its first, which it continues (`a + b + c` is left-recursive and
stays one level deep, as it stays shallow on the parser's stack; each `(`,
`-`, `if`, `match` or `[` nests). A script nested more than MAX_NESTING
levels is refused where its nesting crosses the limit, before anything else
recurses over it. When a
rule passes one child through (`"(" expr ")"`), the child keeps its own
span and the table records the wider extent, parentheses included, for
the rules above it, as Lark's "container" positions do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from lark import Lark, Token, Tree
from lark.grammar import Rule, Terminal
from lark.lexer import LexerThread
from lark.parsers.lalr_parser import _Parser

from leadflow.syntax.span import NOWHERE, Span

if TYPE_CHECKING:
    from leadflow.syntax.transform import ToAst

# A reduction: the values of a rule's children (tokens, AST nodes, tuples,
# inlined trees, None for an absent optional part) -> the rule's value.
Reduce = Callable[[list[Any]], Any]

# Deep enough for any script a person writes, shallow enough that the
# checker and compiler may recurse over it, and that the Python they generate
# stays under Python's own limit of 200 nested parentheses.
MAX_NESTING = 50


class TooDeep(Exception):
    """Nesting crossed MAX_NESTING at (line, column)."""

    def __init__(self, line: int, column: int):
        super().__init__(line, column)
        self.line, self.column = line, column


class _Parse(threading.local):
    """The parse under way in this thread: its transformer, the span and depth of
    its values, and the span of the rule being reduced. A `{...}` in a string is
    parsed while its string is reduced, so `run` saves and restores these."""

    transformer: ToAst | None = None
    extents: dict[int, tuple[Span, int]] | None = None  # id(value) -> (its span, its nesting depth)
    span: Span = NOWHERE


_current = _Parse()


def run(lark: Lark, text: str, start: str, transformer: ToAst) -> Any:
    """Parse `text` from `start`, building values with `transformer` (a ToAst)."""
    saved = (_current.transformer, _current.extents, _current.span)
    _current.transformer, _current.extents = transformer, {}
    try:
        frontend = lark.parser
        lexer = cast(LexerThread, frontend._make_lexer_thread(text))  # Lark's LALR frontend always lexes
        # plainly `type`: mypy takes a `type[ToAst]` for unhashable (python/mypy#11470)
        transformer_class: type = type(transformer)
        return _parser(lark, transformer_class).parse(lexer, start)
    finally:
        _current.transformer, _current.extents, _current.span = saved


@lru_cache(maxsize=4)
def _parser(lark: Lark, transformer_class: type) -> _Parser:
    """An LALR parser on `lark`'s tables whose reductions call `transformer_class`'s methods.

    Built from Lark's internals (its parse table and per-rule child filters),
    since Lark's public API offers reductions either positions or a transformer."""
    table = lark.parser.parser.parser.parse_table
    callbacks: dict[Any, Reduce] = {}  # by Rule, as Lark's own parser keys them (its ParserCallbacks says str)
    for rule, chain in lark._parse_tree_builder.rule_builders:
        if _passes_through(rule):
            callbacks[rule] = _first_child
            continue
        name = rule.alias or rule.options.template_source or rule.origin.name
        callbacks[rule] = _reduction(getattr(transformer_class, name, None), name, chain)
    return _Parser(table, callbacks)


def _passes_through(rule: Rule) -> bool:
    """Whether a rule hands on its one child unchanged: `?sum: product`, most of
    the reductions of an expression (each operand climbs every precedence level).
    The child's position and depth stay as they are."""
    if not rule.options.expand1 or rule.alias or len(rule.expansion) != 1:
        return False
    if rule.options.empty_indices and any(rule.options.empty_indices):
        return False
    symbol = rule.expansion[0]
    return not (isinstance(symbol, Terminal) and symbol.filter_out) and not (
        not symbol.is_term and symbol.name.startswith("_")
    )


def _first_child(children: list[Any]) -> Any:
    return children[0]


def _reduction(method: Callable[..., Any] | None, name: str, chain: Iterable[Callable[[Reduce], Reduce]]) -> Reduce:
    if method is None:  # an inlined `_rule`: its parent's filter takes its children

        def build(children: list[Any]) -> Any:
            return Tree(name, children)
    else:

        def build(children: list[Any]) -> Any:
            return method(_current.transformer, _current.span, children)

    built: Reduce = build
    for wrapper in chain:  # Lark's single-child expansion and child filter
        built = wrapper(built)

    def reduce(children: list[Any]) -> Any:
        extents, transformer = _current.extents, _current.transformer
        assert extents is not None and transformer is not None  # `run` set them for the parse under way
        start: Token | Span | None = None
        end: Token | Span | None = None
        for child in children:
            if isinstance(child, Token):
                start = child
                break
            if child is not None and (extent := extents.get(id(child))) is not None:
                start = extent[0]
                break
        for child in reversed(children):
            if isinstance(child, Token):
                end = child
                break
            if child is not None and (extent := extents.get(id(child))) is not None:
                end = extent[0]
                break
        first = inner = -1
        if children:
            head = children[0]
            if not isinstance(head, Token) and (extent := extents.get(id(head))) is not None:
                first = extent[1]
            for child in children[1:]:
                if child is not None and not isinstance(child, Token):
                    extent = extents.get(id(child))
                    if extent is not None and extent[1] > inner:
                        inner = extent[1]
        if start is None or end is None:
            _current.span = span = Span(transformer.file, 0, 0, 0, 0)
        else:
            # The parser's tokens always have positions; Lark types them as optional.
            _current.span = span = Span(
                transformer.file, start.line or 0, start.column or 0, end.end_line or 0, end.end_column or 0
            )
        result = built(children)
        # A node nests what it holds; a block, an argument list or an inlined
        # rule only gathers it (`if c { ... }` is one level, not two).
        depth = max(first, inner + (0 if isinstance(result, (tuple, list, Tree)) else 1), 0)
        if depth > MAX_NESTING and start is not None:
            raise TooDeep(start.line or 0, start.column or 0)
        if start is not None and result is not None:
            # The empty tuple is one object, shared by every empty block, so its
            # entry is the latest empty block's: the one a rule ending in an
            # empty block has just reduced, which is what the rule asks for.
            extents[id(result)] = (span, depth)
        return result

    return reduce
