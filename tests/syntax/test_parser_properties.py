"""Properties of the parser and the printer, checked with Hypothesis.

1. Round trip: for random ASTs, `parse(format_program(p)) == p` and
   `parse_expr(format_expr(e)) == e`. Generated names all start with `v_`, so
   none is a keyword (the contextual lexer would read `in`, `if`... as one)
   nor a time unit (`5 day` is a duration). The generators only build ASTs the
   parser can build: text parts merged and non-empty, no negative literals,
   at least one match arm, and so on.
2. Never crash: for any text, `parse` returns a Program or raises
   ScriptError, nothing else; and text derived from the grammar itself
   (`hypothesis.extra.lark.from_lark`) parses.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from importlib import resources

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import LarkStrategy, from_lark
from lark import Lark
from lark.grammar import Terminal

from leadflow.errors import ScriptError
from leadflow.syntax import ast
from leadflow.syntax.parser import parse, parse_expr
from leadflow.syntax.printer import format_expr, format_program

FAST = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])

# ---- random ASTs -------------------------------------------------------------------
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=4).map(lambda s: "v_" + s)
paths = st.lists(names, min_size=1, max_size=3).map(tuple)
UNITS = ("minute", "hour", "day", "week", "month", "year", "second")
BINARY_OPS = ("or", "and", "==", "!=", "<", "<=", ">", ">=", "??", "+", "-", "*", "/", "%")

numbers = st.integers(min_value=0, max_value=10**30) | st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
datetimes = st.builds(
    lambda d, tz, zone: d.replace(microsecond=0, tzinfo=zone if tz else None),
    st.datetimes(),
    st.booleans(),
    offsets,
)

leaf_exprs = st.one_of(
    st.builds(ast.Name, names),
    st.builds(ast.NumberLit, numbers),
    st.builds(ast.BoolLit, st.booleans()),
    st.builds(ast.NullLit),
    st.builds(ast.DateLit, st.dates()),
    st.builds(ast.DateTimeLit, datetimes),
    st.builds(ast.TimeLit, st.times().map(lambda t: t.replace(second=0, microsecond=0))),
    st.builds(ast.DurationLit, numbers, st.sampled_from(UNITS)),
)


def text_lit(items: list) -> ast.TextLit:
    """A TextLit as the parser builds it: adjacent text merged, no empty text."""
    parts: list = []
    for item in items:
        if isinstance(item, str) and parts and isinstance(parts[-1], str):
            parts[-1] += item
        else:
            parts.append(item)
    return ast.TextLit(tuple(parts) or ("",))


@functools.cache
def exprs(depth: int, nest: int = 0) -> st.SearchStrategy:
    """Expressions of at most `depth` levels, for a place `nest` interpolations deep.

    Inside an interpolation there can be no braces (so no record or match),
    and two interpolations deep no string at all: the STRING token cannot
    hold them.
    """
    plain_text = st.text(min_size=1, max_size=6)
    if depth == 0:
        if nest >= 2:
            return leaf_exprs
        return leaf_exprs | st.lists(plain_text, max_size=2).map(text_lit)
    sub = exprs(depth - 1, nest)
    small = st.lists(sub, max_size=3).map(tuple)
    options = [
        leaf_exprs,
        st.builds(ast.Binary, st.sampled_from(BINARY_OPS), sub, sub),
        st.builds(ast.Unary, st.sampled_from(("-", "not")), sub),
        st.builds(ast.In, sub, sub, st.booleans()),
        st.builds(ast.IsKnown, sub, st.booleans()),
        st.builds(ast.IfExpr, sub, sub, sub),
        st.builds(ast.Field, sub, names),
        st.builds(ast.Index, sub, sub),
        st.builds(ast.ListLit, small),
        st.builds(
            ast.Call,
            names,
            small,
            st.lists(st.builds(ast.KeywordArg, names, sub), max_size=2).map(tuple),
        ),
    ]
    if nest < 2:
        inner = exprs(depth - 1, nest + 1)
        options.append(st.lists(plain_text | inner, max_size=4).map(text_lit))
    if nest == 0:
        options.append(records(sub))
        cases = st.lists(st.builds(ast.MatchCase, st.lists(sub, min_size=1, max_size=2).map(tuple), sub), max_size=3)
        options.append(st.builds(match, sub, cases, st.none() | sub))
        options.append(st.builds(ast.Happened, names, st.none() | sub, st.none() | sub))
    return st.one_of(options)


def match(subject, cases, default) -> ast.Match:
    """A match with at least one arm, as the grammar requires."""
    return ast.Match(subject, tuple(cases), default if cases or default is not None else subject)


def records(values: st.SearchStrategy) -> st.SearchStrategy:
    """Record literals; a field name that is no identifier is written quoted."""
    field_names = names | st.text(max_size=5)
    return st.lists(st.builds(ast.RecordField, field_names, values), max_size=3).map(
        lambda fs: ast.RecordLit(tuple(fs))
    )


@functools.cache
def types(depth: int) -> st.SearchStrategy:
    named = st.builds(ast.NamedType, names)
    enum = st.lists(names, min_size=1, max_size=3).map(lambda ms: ast.EnumTypeExpr(tuple(ms)))
    if depth == 0:
        base = named | enum
    else:
        sub = types(depth - 1)
        fields = st.lists(st.builds(ast.FieldType, names, sub), max_size=3).map(tuple)
        base = named | enum | st.builds(ast.ListTypeExpr, sub) | st.builds(ast.RecordTypeExpr, fields)
    return base | st.builds(ast.NullableTypeExpr, base)


EXPR = exprs(3)
SMALL_EXPR = exprs(2)
TYPE = types(2)
maybe = st.none().__or__

clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
triggers = st.one_of(
    st.builds(ast.EventTrigger, names, maybe(SMALL_EXPR)),
    st.builds(ast.CreatedTrigger, st.just("contact") | names),
    st.builds(
        ast.ChangedTrigger, st.lists(names, min_size=1, max_size=2).map(tuple), maybe(SMALL_EXPR), maybe(SMALL_EXPR)
    ),
    st.builds(ast.ListTrigger, names, st.booleans()),
    st.builds(ast.MatchingTrigger, SMALL_EXPR),
    st.builds(ast.ScheduleTrigger, names, maybe(st.integers(1, 31)), clock_times, maybe(SMALL_EXPR)),
    st.builds(ast.FixedDateTrigger, datetimes, maybe(SMALL_EXPR)),
    st.builds(
        lambda prop, offset, before, at, where: ast.DateTrigger(prop, offset, before and offset is not None, at, where),
        names,
        maybe(st.builds(ast.DurationLit, st.integers(0, 400), st.sampled_from(UNITS))),
        st.booleans(),
        clock_times,
        maybe(SMALL_EXPR),
    ),
)

calls = st.builds(
    ast.Call,
    names,
    st.lists(SMALL_EXPR, max_size=2).map(tuple),
    st.lists(st.builds(ast.KeywordArg, names, SMALL_EXPR), max_size=1).map(tuple),
)


def webhook(method, url, body, headers, auth, sign, timeout, response):
    alias, response_type = response or (None, None)
    return ast.Webhook(method, url, body, headers, auth, sign, timeout, alias, response_type)


simple_actions = st.one_of(
    st.builds(ast.SetAction, paths, SMALL_EXPR),
    st.builds(ast.ClearAction, paths),
    st.builds(ast.IncrementAction, paths, maybe(SMALL_EXPR), st.booleans()),
    st.builds(ast.ListAction, names, st.booleans()),
    st.builds(ast.SendEmail, names, maybe(SMALL_EXPR)),
    st.builds(ast.Notify, SMALL_EXPR, SMALL_EXPR),
    st.builds(ast.CreateRecord, names, records(SMALL_EXPR), maybe(names)),
    st.builds(ast.LetAction, names, SMALL_EXPR),
    st.builds(ast.DoAction, calls),
    st.builds(ast.EnrollAction, names, st.booleans()),
    st.builds(
        webhook,
        names,
        SMALL_EXPR,
        maybe(SMALL_EXPR),
        maybe(SMALL_EXPR),
        maybe(names),
        maybe(names),
        maybe(SMALL_EXPR),
        maybe(st.tuples(names, types(1))),
    ),
)


@functools.cache
def actions(depth: int) -> st.SearchStrategy:
    if depth == 0:
        return simple_actions
    block = st.lists(actions(depth - 1), max_size=2).map(tuple)
    if_action = st.builds(
        ast.IfAction, st.lists(st.tuples(SMALL_EXPR, block), min_size=1, max_size=3).map(tuple), maybe(block)
    )
    shares = st.integers(0, 100) | st.floats(0, 100, allow_nan=False).map(lambda f: round(f, 2))
    steps = st.one_of(
        st.builds(ast.Wait, SMALL_EXPR),
        st.builds(ast.WaitUntil, SMALL_EXPR, maybe(st.lists(names, min_size=1, max_size=2).map(tuple))),
        st.builds(ast.WaitFor, names, maybe(SMALL_EXPR), SMALL_EXPR, maybe(block)),
        st.builds(ast.Split, st.lists(st.builds(ast.SplitArm, shares, block), min_size=1, max_size=3).map(tuple)),
        st.builds(
            ast.Branch,
            SMALL_EXPR,
            st.lists(
                st.builds(ast.BranchArm, st.lists(SMALL_EXPR, min_size=1, max_size=2).map(tuple), block), max_size=2
            ).map(tuple),
            maybe(block),
        ),
        st.builds(ast.Stop),
    )
    return simple_actions | if_action | steps


def rule(name, trigger, condition, body):
    block, acts = body
    return ast.Rule(name, trigger, condition, acts, block)


rule_bodies = st.tuples(st.just(False), actions(2).map(lambda a: (a,))) | st.tuples(
    st.just(True), st.lists(actions(2), max_size=3).map(tuple)
)
rules = st.builds(rule, maybe(st.text(max_size=8)), triggers, maybe(SMALL_EXPR), rule_bodies)


@functools.cache
def stmts(depth: int) -> st.SearchStrategy:
    simple = st.builds(ast.LetStmt, names, SMALL_EXPR) | st.builds(ast.AssignStmt, names, SMALL_EXPR)
    if depth == 0:
        return simple
    body = st.lists(stmts(depth - 1), max_size=2).map(tuple)
    return (
        simple | st.builds(ast.ForStmt, names, SMALL_EXPR, body) | st.builds(ast.IfStmt, SMALL_EXPR, body, maybe(body))
    )


clauses = st.one_of(
    st.builds(ast.Enrollment, triggers, maybe(SMALL_EXPR)),
    st.builds(ast.Reenroll, st.just("never")),
    st.builds(ast.Reenroll, st.just("after"), SMALL_EXPR),
    st.builds(ast.Reenroll, st.just("when"), st.none(), triggers),
    st.builds(ast.Goal, SMALL_EXPR),
    st.builds(ast.Suppress, names),
    st.builds(ast.UnenrollWhen, SMALL_EXPR),
    st.builds(
        ast.Window,
        st.lists(names, min_size=1, max_size=3).map(tuple),
        clock_times,
        clock_times,
        maybe(st.text(max_size=8)),
    ),
)
workflows = st.builds(
    ast.Workflow,
    names,
    names | st.just("contact"),
    st.lists(clauses, max_size=4).map(tuple),
    st.lists(actions(2), max_size=3).map(tuple),
)
params = st.lists(st.builds(ast.Param, names, TYPE), max_size=3).map(tuple)
field_types = st.lists(st.builds(ast.FieldType, names, TYPE), max_size=3).map(tuple)
declarations = st.one_of(
    st.builds(
        ast.ObjectDecl,
        names,
        st.lists(st.builds(ast.PropDecl, names, TYPE, maybe(SMALL_EXPR), maybe(names)), max_size=3).map(tuple),
    ),
    st.builds(ast.EventDecl, names, maybe(names), field_types),
    st.builds(ast.ListDecl, names, maybe(st.text(max_size=8))),
    st.builds(ast.SecretDecl, names),
    st.builds(ast.EmailDecl, names, st.lists(st.builds(ast.RecordField, names, SMALL_EXPR), max_size=3).map(tuple)),
    st.builds(ast.ConstDecl, names, EXPR),
    st.builds(ast.TypeDecl, names, TYPE),
    st.builds(ast.ExternFn, names, params, TYPE),
    st.builds(
        ast.FnDecl,
        names,
        params,
        TYPE,
        SMALL_EXPR | st.builds(ast.FnBlock, st.lists(stmts(2), max_size=3).map(tuple), SMALL_EXPR),
    ),
    rules,
    workflows,
)
programs = st.lists(declarations, max_size=4).map(lambda ds: ast.Program(tuple(ds)))


@FAST
@given(EXPR)
def test_expression_round_trip(expr):
    source = format_expr(expr)
    assert parse_expr(source) == expr, source


@settings(FAST, max_examples=150)
@given(programs)
def test_program_round_trip(program):
    source = format_program(program)
    assert parse(source) == program, source
    assert format_program(parse(source)) == source


# ---- never crash -------------------------------------------------------------------
def parse_or_script_error(source: str) -> ast.Program | None:
    """parse(source), or None for a ScriptError; anything else fails the test."""
    try:
        return parse(source)
    except ScriptError as error:
        assert error.diagnostics
        return None


@FAST
@given(st.text())
def test_any_text_parses_or_is_a_script_error(source):
    parse_or_script_error(source)


FRAGMENTS = [
    # keywords, soft and hard
    "object",
    "event",
    "on",
    "list",
    "secret",
    "email",
    "const",
    "type",
    "extern",
    "fn",
    "return",
    "let",
    "for",
    "in",
    "if",
    "else",
    "then",
    "rule",
    "when",
    "where",
    "from",
    "to",
    "created",
    "changed",
    "added",
    "removed",
    "matching",
    "set",
    "clear",
    "increment",
    "decrement",
    "by",
    "add",
    "remove",
    "send",
    "notify",
    "create",
    "as",
    "do",
    "enroll",
    "unenroll",
    "webhook",
    "with",
    "headers",
    "auth",
    "bearer",
    "sign",
    "timeout",
    "or",
    "and",
    "not",
    "is",
    "known",
    "unknown",
    "true",
    "false",
    "null",
    "match",
    "enum",
    "reverse",
    # punctuation
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ",",
    ":",
    ".",
    "=",
    "==",
    "!=",
    "<=",
    ">=",
    "=>",
    "->",
    "??",
    "?",
    "+",
    "-",
    "*",
    "/",
    "%",
    ";",
    "#",
    "&&",
    "'",
    "\\",
    "@",
    # names, numbers, units, calendar literals (some invalid)
    "a",
    "contact",
    "score",
    "x_1",
    "_",
    "0",
    "42",
    "1_000",
    "3.5",
    "1.",
    "007",
    "days",
    "week",
    "2026-12-10",
    "2026-13-45",
    "2026-12-10T09:00",
    "2026-02-30T10:00Z",
    "2026-01-01T10:00+05:30",
    "09:00",
    "25:99",
    "12:3",
    # strings, well and badly formed
    '""',
    '"x"',
    '"{a}"',
    '"{{"',
    '"}}"',
    '"{"',
    '"{}"',
    '"{a"',
    '"\\"',
    '"a\\q"',
    '"{"x"}"',
    '"{f("{{")}"',
    '"{ {} }"',
    '"{1 +}"',
    '"\n"',
    '"',
]


@FAST
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(["", " ", " ", "\n"])), max_size=30))
def test_grammar_fragments_parse_or_are_script_errors(pieces):
    parse_or_script_error("".join(fragment + gap for fragment, gap in pieces))


# ---- text from the grammar itself --------------------------------------------------
# from_lark draws each terminal on its own and puts ignored tokens between
# them only now and then, so `if` and `a` would often come out as `ifa`, and
# a comment would swallow the rest of its line. Every terminal is therefore
# given an explicit strategy padded with spaces, a comment ends its line, and
# names carry the `v_` prefix so that no NAME is a soft keyword or a unit:
# with that, the contextual lexer reads every token as the grammar meant it.
GRAMMAR = resources.files("leadflow.grammar").joinpath("leadflow.lark").read_text("utf-8")
LARK = Lark(GRAMMAR, parser="lalr", lexer="contextual", start="start", maybe_placeholders=True)


def _spaced(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return strategy.map(lambda text: f" {text} ")


def _datetime_text(value: dt.datetime) -> str:
    text = value.isoformat(timespec="seconds" if value.second else "minutes")
    return text.replace("+00:00", "Z")


EXPLICIT = {
    terminal.name: st.just(f" {terminal.pattern.value} ")
    for terminal in LARK.terminals
    if terminal.pattern.type == "str"
}
EXPLICIT.update(
    NAME=_spaced(names),
    NUMBER=_spaced(st.from_regex(r"[0-9][0-9_]{0,4}(\.[0-9][0-9_]{0,3})?", fullmatch=True)),
    UNIT=_spaced(st.sampled_from([unit + plural for unit in UNITS for plural in ("", "s")])),
    STRING=_spaced(  # no NUL: a script may not hold one (it writes `\0`)
        st.text(st.characters(exclude_characters='"\\{}\x00', exclude_categories=("Cs",)), max_size=6).map(
            lambda text: f'"{text}"'
        )
    ),
    DATE=_spaced(st.dates().map(dt.date.isoformat)),
    DATETIME=_spaced(datetimes.map(_datetime_text)),
    TIME=_spaced(st.times().map(lambda t: f"{t.hour:02d}:{t.minute:02d}")),
    WS=st.sampled_from([" ", "\n", "\t"]),
    COMMENT=st.just(" # a comment\n"),
    SEMICOLON=st.just(" ; "),
)


def _explicit_for(start: str) -> dict:
    """EXPLICIT cut down to the terminals reachable from start (from_lark insists)."""
    terminals, _, ignored = LARK.grammar.compile([start], ())
    reachable = {t.name for t in terminals} | set(ignored)
    return {name: strategy for name, strategy in EXPLICIT.items() if name in reachable}


class BoundedLarkStrategy(LarkStrategy):
    """from_lark's strategy, made to finish: a rule nested n deep takes one of
    its soonest-terminating expansions with probability n / depth, and every
    rule does once `size` rules have been drawn.

    Plain from_lark picks expansions uniformly, and the expression rules are
    so recursive (eleven rules from `expr` down to `atom`, most of them with
    two recursive alternatives) that most draws hit Hypothesis's nesting
    limit and are discarded: only programs without expressions survive.
    Leaning toward termination keeps rules, actions and expressions in the
    mix at a bounded size. The class reuses LarkStrategy's drawing and only
    swaps the table of expansions it draws from; shrinking the extra choice
    moves toward the closing expansions.
    """

    def __init__(self, start: str, depth: int = 20, size: int = 60):
        super().__init__(LARK, start, _explicit_for(start), st.characters(codec="utf-8"))
        self.closing = {name: st.sampled_from(choices) for name, choices in _soonest_expansions(start).items()}
        self.depth, self.size = depth, size
        self.nesting = self.drawn = 0

    def do_draw(self, data):
        self.nesting = self.drawn = 0
        return super().do_draw(data)

    def draw_symbol(self, data, symbol, draw_state):
        if isinstance(symbol, Terminal):
            return super().draw_symbol(data, symbol, draw_state)
        open_choices = self.nonterminal_strategies
        self.nesting += 1
        self.drawn += 1
        try:  # a draw may end the test case (StopTest): always restore the state
            if self.drawn > self.size or data.draw(st.integers(0, self.depth - 1)) < self.nesting:
                self.nonterminal_strategies = self.closing
            return super().draw_symbol(data, symbol, draw_state)
        finally:
            self.nesting -= 1
            self.nonterminal_strategies = open_choices


def _soonest_expansions(start: str) -> dict[str, list[tuple]]:
    """For each rule, its expansions whose derivations are shortest in height."""
    _, rules, _ = LARK.grammar.compile([start], ())

    def height(expansion, heights) -> float:
        return 1 + max((0 if s.is_term else heights.get(s.name, math.inf) for s in expansion), default=0)

    heights: dict[str, float] = {}
    changed = True
    while changed:
        changed = False
        for rule in rules:
            h = height(rule.expansion, heights)
            if h < heights.get(rule.origin.name, math.inf):
                heights[rule.origin.name] = h
                changed = True
    soonest: dict[str, list[tuple]] = {}
    for rule in rules:
        if height(rule.expansion, heights) == heights[rule.origin.name]:
            soonest.setdefault(rule.origin.name, []).append(tuple(rule.expansion))
    return soonest


# The grammar puts two expressions side by side in `notify CHANNEL MESSAGE`
# and between match arms (the comma after an arm is optional). Lark resolves
# the four resulting shift/reduce conflicts (on `-`, `[`, `(` and `not`) by
# shifting, so `notify v_a - v_b` is read as one subtraction and then lacks
# its message. Text the grammar allows but the parser rejects must come from
# there; everything else must parse.
CONFLICT_TOKENS = (" - ", " [ ", " ( ", " not ")


def check_grammar_text(source: str) -> None:
    program = parse_or_script_error(source)
    if program is None:
        juxtaposed = " notify " in source or " => " in source
        assert juxtaposed and any(token in source for token in CONFLICT_TOKENS), source
        event("rejected: juxtaposed expressions")
    else:
        event("parsed")
        # What the parser reads, the printer writes back to the same meaning.
        assert parse(format_program(program)) == program


@settings(FAST, max_examples=40)
@given(from_lark(LARK, start="start", explicit=_explicit_for("start")))
def test_text_from_the_grammar_parses(source):
    # Plain from_lark: mostly declarations, since expressions rarely fit.
    check_grammar_text(source)


@settings(FAST, max_examples=60)
@given(BoundedLarkStrategy("rule_decl"))
def test_rules_from_the_grammar_parse(source):
    check_grammar_text(source)


@settings(FAST, max_examples=60)
@given(BoundedLarkStrategy("expr"))
def test_expressions_from_the_grammar_parse(source):
    try:
        expr = parse_expr(source)
    except ScriptError:
        assert " => " in source and any(token in source for token in CONFLICT_TOKENS), source
        event("rejected: juxtaposed match arms")
        return
    event("parsed")
    assert parse_expr(format_expr(expr)) == expr


@pytest.mark.parametrize("message", ["-1", "[1]", "(1)", "not v_b"])
def test_the_juxtaposition_conflicts_are_resolved_by_shifting(message):
    """The premise of CONFLICT_TOKENS: each message continues the channel instead."""
    with pytest.raises(ScriptError):
        parse(f"when v_e then notify v_a {message}")


# ---- limits of what can be read ----------------------------------------------------
@pytest.mark.parametrize("source", ["const a = " + "-" * 1000 + "1", "const a = " + "[" * 1000 + "]" * 1000])
def test_deeply_nested_expressions_are_a_script_error(source):
    with pytest.raises(ScriptError):
        parse(source)


def test_a_huge_integer_literal_is_a_script_error():
    with pytest.raises(ScriptError):
        parse("const a = " + "1" * 5000)


def test_a_number_too_large_for_a_float_is_a_script_error():
    with pytest.raises(ScriptError):
        parse("const a = 1" + "0" * 400 + ".5")
