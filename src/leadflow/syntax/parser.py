"""Parsing: source text -> AST, with friendly syntax errors.

The LALR parser is built once per process (and cached on disk by Lark).
A syntax error becomes a Diagnostic that says, in words a user knows, what
was found and what could come there; common mistakes get a specific hint
through `UnexpectedInput.match_examples`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache, cache
from importlib import resources
from typing import Any

import attrs
from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from leadflow.diagnostics import Diagnostic, did_you_mean
from leadflow.errors import ScriptError
from leadflow.syntax import ast, reductions, walk
from leadflow.syntax.span import Span
from leadflow.syntax.transform import ToAst

TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "UNIT": "a time unit (minutes, hours, days, weeks, months, years)",
    "DATE": "a date",
    "DATETIME": "a datetime",
    "TIME": "a time",
    "$END": "the end of the file",
}

# Mistakes people make, each with the hint shown and sources that make it.
COMMON_MISTAKES = {
    "a rule's actions follow `then`: `when EVENT then ACTION`": [
        "when x set a = 1",
        "when x if a == 1 set b = 2",
        "when x where a == 1 set b = 2",
    ],
    "`set` takes `=`: `set PROPERTY = VALUE`": ["when x then set a 1", "when x then set a to 1"],
    "compare with `==`; `=` only assigns": [
        "when x if a = 1 then set b = 2",
        "when x where a = 1 then set b = 2",
        "when matching a = 1 then set b = 2",
    ],
    "an `if` expression needs both branches: `if C then A else B`": ["const a = if b then c"],
    'a rule starts with `when`, a named one with `rule "Name" when`': [
        "rule x when y then set a = 1",
        'rule "x" set a = 1',
    ],
    "several actions go in a block: `then { ACTION ACTION }`": ["when x then set a = 1 set b = 2"],
    "entries are `name: type`": ["object contact { score number }", "event e { a text }"],
    "a `wait for` needs a bound: `wait for EVENT up to 3 days [else { ... }]`": [
        "workflow w { wait for e }",
        "workflow w { wait for e where a == 1 }",
        "workflow w { wait for e add to l }",
    ],
}

CHARACTER_HINTS = {
    "&": "write `and` instead of `&&`",
    "|": "write `or` instead of `||`",
    "!": "write `not` (or `!=` to compare)",
    "'": 'strings use double quotes: "..."',
    "=": "compare with `==`; assign with `set NAME = VALUE`",
}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return _build()


def _build(**options: Any) -> Lark:
    grammar = resources.files("leadflow.grammar").joinpath("leadflow.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,  # reductions.py computes positions while it builds the AST
        maybe_placeholders=True,
        start=["start", "expr"],
        cache=True,
        **options,
    )


# A line starting with one of these at column 1 starts a new declaration.
DECLARATION_START = re.compile(r"^(object|event|list|secret|email|const|type|extern|fn|rule|when|workflow)\b", re.M)


def parse(source: str, file: str = "<script>") -> ast.Program:
    """Parse a whole script. Raises ScriptError listing its syntax errors."""
    return _parse_script(source, file, None)


def _parse_script(source: str, file: str, lark: Lark | None) -> ast.Program:
    program, diagnostics, _ = parse_recovering(source, file, lark)
    if diagnostics:
        raise ScriptError(diagnostics)
    assert program is not None  # a parse without diagnostics has a program
    return program


def parse_recovering(
    source: str, file: str = "<script>", lark: Lark | None = None
) -> tuple[ast.Program | None, list[Diagnostic], list[ast.Decl]]:
    """(program, [], its declarations) for a script that parses; for one that
    does not, (None, its syntax errors, the declarations that still parse).

    LALR stops at the first error, so after one the script is cut where
    declarations start (a keyword at the start of a line) and each piece is
    parsed on its own: a mistake in one rule does not hide one in the next,
    and an editor still knows the declarations around the one being typed.
    Errors are reported only for pieces below the first: a piece above it
    parsed within the whole script, and on its own could only fail for
    being cut badly.
    """
    source = source.removeprefix(BOM)
    refused = _not_a_script(source, file)
    if refused is not None:
        return None, [refused], []
    try:
        program = _parse(source, file, "start", lark=lark)
        return program, [], list(program.decls)
    except ScriptError as first:
        after = first.diagnostics[0].span.line
        diagnostics, decls = list(first.diagnostics), []
        for line, piece in _pieces(source):
            try:
                decls.extend(_parse(piece, file, "start", line, 1).decls)
            except ScriptError as error:
                if line > after:
                    diagnostics.extend(error.diagnostics)
        return None, diagnostics, decls


BOM = "\ufeff"  # a byte-order mark some editors put first: not part of the script
# Limits, documented in docs/language.md ("Limits"): checking costs memory in
# proportion to the script, so a script and a literal have a size cap.
MAX_SCRIPT = 2_000_000  # characters, about 60,000 lines of rules (its cost: benchmarks/README.md, "Check")
# NUL is never text: the lexer refuses it (and every other control
# character) in code, but inside a comment or a string it would pass unseen
# and end a C string in tools downstream. So it is refused wherever it is.
NON_TEXT = re.compile("\x00")


def _not_a_script(source: str, file: str) -> Diagnostic | None:
    """Why `source` is refused before it is parsed, or None."""
    if len(source) > MAX_SCRIPT:
        return Diagnostic(
            "E103",
            f"this script is {len(source):,} characters long; the limit is {MAX_SCRIPT:,}",
            Span.point(file, 1, 1),
            "split it into several files",
        )
    found = NON_TEXT.search(source)
    if found is not None:
        line = source.count("\n", 0, found.start()) + 1
        column = found.start() - (source.rfind("\n", 0, found.start()) + 1) + 1
        return Diagnostic(
            "E100",
            f"this file holds the control character U+{ord(found.group()):04X}, which is not text",
            Span.point(file, line, column),
            "scripts are text: remove it",
        )
    return None


# `rule "Name"` alone on its line: the `when` on the next line belongs to it.
RULE_NAME_ALONE = re.compile(r'rule\s+"(?:[^"\\\n]|\\.)*"\s*')


def _pieces(source: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of each piece of the script cut where declarations start."""
    starts: list[int] = []
    for match in DECLARATION_START.finditer(source):
        if match.group(1) == "when" and starts and RULE_NAME_ALONE.fullmatch(source, starts[-1], match.start()):
            continue
        starts.append(match.start())
    line, counted = 1, 0
    for begin, end in zip(starts, starts[1:] + [len(source)], strict=False):
        line += source.count("\n", counted, begin)  # counted on from the last piece, not from the top
        counted = begin
        yield line, source[begin:end]


def parse_expr(source: str, file: str = "<expr>") -> ast.Expr:
    """Parse a single expression (the REPL, engine.condition)."""
    refused = _not_a_script(source, file)
    if refused is not None:
        raise ScriptError([refused])
    try:
        expr: ast.Expr = _parse(source, file, "expr")
        return expr
    except ScriptError as error:  # "the file ends too early" would puzzle someone who typed a line
        raise ScriptError(
            [attrs.evolve(d, message=d.message.replace("the file", "the expression")) for d in error.diagnostics]
        ) from None


# ---- comments and braces, for the formatter ----------------------------------------
Position = tuple[int, int]  # (line, column), both 1-based
COMMENT_TRAILING_SPACE = " \t\f\r"  # the grammar's white space, less the newline ending a comment


@attrs.frozen
class Comment:
    """A `# ...` comment: where it starts and its text (trailing white space removed)."""

    span: Span
    text: str

    @property
    def start(self) -> Position:
        return (self.span.line, self.span.column)


@attrs.frozen
class Layout:
    """What the AST leaves out of a source and a formatter needs back: its
    comments, and where each block's braces are (`{` position -> its `}`)."""

    comments: tuple[Comment, ...]
    braces: dict[Position, Position]


class _TokenLog(threading.local):
    """Where the recording parser's lexer callbacks put tokens, one list per thread."""

    tokens: list[Any] | None = None  # lark Tokens, whose positions are always set here


_log = _TokenLog()


def _record(token: Token) -> Token:
    if _log.tokens is not None:
        _log.tokens.append(token)
    return token


@lru_cache(maxsize=1)
def _recording_lark() -> Lark:
    """A second parser whose lexer reports comments (which the grammar ignores) and
    braces; kept apart so that plain `parse` pays nothing for it."""
    return _build(lexer_callbacks={"COMMENT": _record, "LBRACE": _record, "RBRACE": _record})


def parse_with_comments(source: str, file: str = "<script>") -> tuple[ast.Program, Layout]:
    """Parse a whole script as `parse` does, and also return its Layout.

    Comments inside a string's `{...}` are found too: interpolations are
    parsed at their true position in the file, by the same recording parser.
    """
    _log.tokens = []
    try:
        program = _parse_script(source, file, _recording_lark())
        tokens = sorted(_log.tokens, key=lambda t: (t.line, t.column))
    finally:
        _log.tokens = None
    comments = tuple(
        Comment(Span(file, t.line, t.column, t.end_line, t.end_column), str(t).rstrip(COMMENT_TRAILING_SPACE))
        for t in tokens
        if t.type == "COMMENT"
    )
    braces: dict[Position, Position] = {}
    opened: list[Position] = []
    for token in tokens:
        if token.type == "LBRACE":
            opened.append((token.line, token.column))
        elif token.type == "RBRACE":
            braces[opened.pop()] = (token.line, token.column)
    return program, Layout(comments, braces)


def _parse(
    source: str,
    file: str,
    start: str,
    line: int = 1,
    column: int = 1,
    in_string: bool = False,
    lark: Lark | None = None,
) -> Any:
    padded = "\n" * (line - 1) + " " * (column - 1) + source
    lark = lark or _lark()

    def parse_expr_at(text: str, at_line: int, at_column: int) -> Any:
        return _parse(text, file, "expr", at_line, at_column, in_string=True, lark=lark)

    try:
        return reductions.run(lark, padded, start, ToAst(file, parse_expr_at))
    except reductions.TooDeep as error:
        raise ScriptError(
            [
                Diagnostic(
                    "E102",
                    f"this is nested more than {reductions.MAX_NESTING} levels deep",
                    Span.point(file, error.line, error.column),
                    "split it with `let`, `const` or a `fn`",
                )
            ]
        ) from None
    except UnexpectedInput as error:
        diagnostic = _syntax_diagnostic(error, padded, file)
        if in_string:  # an interpolation inside a string
            diagnostic = attrs.evolve(diagnostic, message=diagnostic.message.replace("the file", "this `{...}`"))
        raise ScriptError([diagnostic]) from None


def _describe_terminal(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    try:
        pattern = _lark().get_terminal(name).pattern
    except KeyError:
        return name.lower()
    return f"`{pattern.value}`" if pattern.type == "str" else name.lower()


def _expected_words(expected: Iterable[str]) -> str:
    words = sorted({_describe_terminal(name) for name in expected}, key=lambda w: (w.startswith("`"), w))
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words)


def _found(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    return f"`{token}`"


def _hint_for(error: UnexpectedInput) -> str:
    if not isinstance(error, UnexpectedToken):
        return ""
    if error.token.type == "EQUAL" and _terminal_for("==") in _accepted(error):
        return "compare with `==`; `=` only assigns"
    if error.token.type == "NAME":  # a misspelt keyword: `when deal creatd`
        keywords = [_keyword(name) for name in _accepted(error)]
        best = did_you_mean(str(error.token), [k for k in keywords if k])
        if best:
            return f"did you mean `{best}`?"
    fallback = ""
    for label, example in _mistake_examples():
        # Compare the parser state, not the stack depth: Lark's ParserState
        # equality also compares depth, so a mistake after a few declarations
        # would never match a one-line example.
        if example.state.position != error.state.position or _accepted(example) != _accepted(error):
            continue
        if example.token.type == error.token.type:
            return label
        fallback = fallback or label
    return fallback


@lru_cache(maxsize=1)
def _mistake_examples() -> tuple[tuple[str, UnexpectedToken], ...]:
    """The error each example of COMMON_MISTAKES raises, computed once."""
    found = []
    for label, examples in COMMON_MISTAKES.items():
        for text in examples:
            try:
                _lark().parse(text, start="start")
            except UnexpectedToken as example:
                found.append((label, example))
            except UnexpectedInput:
                pass
    return tuple(found)


def _accepted(error: UnexpectedInput) -> frozenset[str]:
    """What the parser could take at the error. Lark's `expected` is read after
    the default reductions and lists tokens that could never come here, so
    prefer `accepts`, computed from the state before them."""
    return frozenset(getattr(error, "accepts", None) or getattr(error, "expected", None) or ())


def _keyword(terminal: str) -> str | None:
    """The word a keyword terminal stands for (`created`), None for others."""
    try:
        pattern = _lark().get_terminal(terminal).pattern
    except KeyError:
        return None
    return pattern.value if pattern.type == "str" and pattern.value.isalpha() else None


@cache
def _terminal_for(text: str) -> str:
    for terminal in _lark().terminals:
        if terminal.pattern.type == "str" and terminal.pattern.value == text:
            return terminal.name
    return text


def _syntax_diagnostic(error: UnexpectedInput, source: str, file: str) -> Diagnostic:
    line, column = max(error.line, 1), max(error.column, 1)
    width = 1
    notes: tuple[str, ...] = ()
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0  # always set on UnexpectedCharacters
        char = source[position] if position < len(source) else ""
        message = f"unexpected character `{char}`"
        hint = CHARACTER_HINTS.get(char, "")
        if char == '"':
            message = "this string is never closed"
            hint = 'close it with `"`; write `{{` for a literal brace'
            rest_of_line = source[position + 1 :].split("\n", 1)[0]
            if re.search(r'\{[^}"]*\{', rest_of_line) and '"' in rest_of_line:
                message = "a `{...}` in a string cannot hold braces"
                hint = "compute the value with `let` first, or write `{{` for a literal brace"
    elif isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        message = "the file ends too early"
        lines = source.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        hint = f"expected {_expected_words(_accepted(error))}"
        if "RBRACE" in _accepted(error):
            hint = "a `{` is never closed: add `}`"
    elif (glued := _glued_keyword(error)) is not None:
        keyword, rest = glued
        line, column, width = keyword.line or line, keyword.column or column, len(keyword) + len(rest)
        message = f"unknown word `{keyword}{rest}`"
        hint = f"did you mean `{keyword}`?"
    elif (read_as_name := _keyword_read_as_name(error)) is not None:
        # `if a and then ...`: where a value must come, the contextual lexer
        # reads the keyword as a name, and the parser fails a token later.
        line, column, width = read_as_name.line or line, read_as_name.column or column, len(read_as_name)
        message = f"unexpected `{read_as_name}`"
        hint = f"a value is missing before `{read_as_name}`"
    else:
        assert isinstance(error, UnexpectedToken)  # the other kinds are handled above
        token = error.token
        width = max(1, len(str(token)))
        message = f"unexpected {_found(token)}"
        hint = _hint_for(error)
        notes = (f"expected {_expected_words(_accepted(error))}",)
        if not hint and token.type == "NAME" and "NAME" not in _accepted(error):
            hint = "a keyword or operator is missing before this name?"
    return Diagnostic("E100", message, Span.point(file, line, column, width), hint, notes)


def _glued_keyword(error: UnexpectedInput) -> tuple[Token, Token] | None:
    """(keyword, name) when the lexer split a misspelt word into the two.

    Where no name may come, the contextual lexer reads `sett` as the keyword
    `set` and the name `t`, and the error then shows up a token later, at a
    place that has nothing wrong with it."""
    if not isinstance(error, UnexpectedToken):
        return None
    stack = [_first_token(v) for v in getattr(error.state, "value_stack", [])[-2:]]
    tokens = [t for t in stack if t is not None] + [error.token]
    for keyword, rest in zip(tokens, tokens[1:], strict=False):
        adjacent = keyword.end_pos is not None and keyword.end_pos == rest.start_pos
        if adjacent and rest.type == "NAME" and _keyword(keyword.type):
            return keyword, rest
    return None


# Keywords that are never a property's name (unlike `email` or `type`), so a
# name spelt like one is a keyword the lexer took for a name.
STRUCTURE_WORDS = frozenset({"then", "else", "and", "or", "where", "when", "if"})


def _keyword_read_as_name(error: UnexpectedInput) -> Token | None:
    if not isinstance(error, UnexpectedToken) or not getattr(error.state, "value_stack", None):
        return None
    last = _edge_token(error.state.value_stack[-1], -1)
    if last is not None and last.type == "NAME" and str(last) in STRUCTURE_WORDS:
        return last
    return None


def _first_token(value: object) -> Token | None:
    return _edge_token(value, 0)


def _edge_token(value: object, end: int) -> Token | None:
    """The first (end=0) or last (end=-1) token of a parsed value: a token, an
    inlined rule's tree, or an AST node (of which only a bare name is read back
    as the token it was)."""
    while not isinstance(value, Token):
        if isinstance(value, Tree):
            children = [c for c in value.children if c is not None]
        elif isinstance(value, ast.Name):
            span = value.span
            return Token(
                "NAME",
                value.name,
                line=span.line,
                column=span.column,
                end_line=span.end_line,
                end_column=span.end_column,
            )
        elif attrs.has(type(value)) and not isinstance(value, Span):
            children = list(walk.children(value))
        else:
            return None
        if not children:
            return None
        value = children[end]
    return value
