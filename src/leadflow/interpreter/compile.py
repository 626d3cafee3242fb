"""Compile checked expressions and functions to Python code, once.

Like Jinja compiling templates, each expression becomes Python source that
`compile()` turns into a function `(p, ev, loc, ctx) -> value`: `p` is the
current record's properties, `ev` the event payload, `loc` the rule's local
bindings and `ctx` the run context (clock, host functions, budget). Names,
enum members, constants and operators were resolved by the checker, so the
generated code is what one would write by hand: `lifecycle == mql and
score > 90` becomes `p.get('lifecycle', 'subscriber') == 'mql' and
p.get('score', 0) > 90`. The null rules are spelt out only where the checker
says a value may be null: `(t := p.get('x')) is not None and t > 90`.

`fn` declarations become real Python functions whose loops call
`ctx.tick(site)`, so custom code runs under the step budget.

Values are kept within the limits of `leadflow.limits` where they are built:
arithmetic on numbers tests its result's range inline, text is joined by
`_cat`, which measures before it joins. Every generated function holds its
body in a `try` (free until something raises) that turns a Python error into
a Leadflow one and points it at the expression, or for a `fn` at the
statement, that failed.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, cast
from zoneinfo import ZoneInfo

from leadflow import limits
from leadflow.check import types as T
from leadflow.check.program import CheckedProgram
from leadflow.errors import LeadflowError
from leadflow.interpreter import helpers
from leadflow.stdlib import REGISTRY
from leadflow.syntax import ast
from leadflow.syntax.span import Span
from leadflow.values import Duration

if TYPE_CHECKING:
    from leadflow.interpreter.rules import Conjunction  # which imports this module

CompiledExpr = Callable[..., object]
COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


class Codegen:
    """Turns expressions into Python source; shared by a whole program."""

    def __init__(self, checked: CheckedProgram, timezone: ZoneInfo):
        self.checked = checked
        self.timezone = timezone
        self.namespace: dict[str, object] = {
            "_div": helpers.div,
            "_mod": helpers.mod,
            "_index": helpers.index,
            "_contains": helpers.contains,
            "_add_dur": helpers.add_duration,
            "_sub_dur": helpers.subtract_duration,
            "_between": helpers.between,
            "_str": helpers.text,
            "_esc": lambda value: html.escape(helpers.text(value)),
            "_record_problem": helpers.record_problem,
            "_cat": limits.concat,
            "_fit": limits.fit,
            "_locate": limits.locate,
            "_error_at_line": _error_at_line,
            "_MINN": -limits.MAX_NUMBER,
            "_MAXN": limits.MAX_NUMBER,
            "_num_out": _number_out_of_range,
        }
        self._constants: dict[tuple[str, str], str] = {}
        self._counter = itertools.count()
        self.sites: list[tuple[str, Span]] = []  # ctx.tick(site) -> (where, span)
        self.function_mode = False  # locals are Python variables (fn) or loc[...] (rules)
        self.escape_html = False  # interpolated values in an HTML email body are escaped
        self.const_values: dict[str, object] = {}
        self._given: dict[int, str] = {}  # id(expr) -> the code already computing it (a chain's temporary)

    # ---- plumbing -----------------------------------------------------------------
    def constant(self, value: object) -> str:
        if (
            value is None
            or isinstance(value, (bool, int, str))
            or (isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")))
        ):
            return repr(value)
        key = (type(value).__name__, repr(value))
        name = self._constants.get(key)
        if name is None:
            name = f"_k{next(self._counter)}"
            self._constants[key] = name
            self.namespace[name] = value
        return name

    def temp(self) -> str:
        return f"_t{next(self._counter)}"

    def site(self, where: str, span: Span) -> int:
        self.sites.append((where, span))
        return len(self.sites) - 1

    def type_of(self, expr: ast.Expr) -> T.Type:
        return self.checked.types.get(id(expr), T.ANY)

    def may_be_null(self, expr: ast.Expr) -> bool:
        return T.is_nullable(self.type_of(expr)) or self.type_of(expr) == T.ANY

    def function(
        self, expr: ast.Expr | Conjunction, name: str = "expr", signature: str = "p, ev, loc, ctx"
    ) -> CompiledExpr:
        """Compile an expression into `f(p, ev, loc, ctx)`.

        The conditions of a rule (its trigger's `where` and its `if`, joined as a
        Conjunction) go on a line each, so an error points at the one that failed."""
        parts = _conjuncts(expr)
        spans = [None, None] + [_known(getattr(part, "span", None)) for part in parts]  # by generated line
        code = "\n            and ".join(self.expr(part) for part in parts)
        compiled: CompiledExpr = self.define(
            f"def _{name}({signature}):\n    try:\n        return ({code})\n"
            f"    except Exception as error:\n        raise _error_at_line(error, {self.constant_object(spans)})\n",
            f"_{name}",
        )
        return compiled

    def constant_object(self, value: object) -> str:
        """A name in the namespace bound to `value` itself (a span: no two are alike)."""
        if value is None:
            return "None"
        name = f"_o{next(self._counter)}"
        self.namespace[name] = value
        return name

    def define(self, source: str, name: str) -> Any:
        """The function `name` that `source` defines: made by exec, so of no static type;
        callers attach attributes to it (`source` here, the engine a condition's `text`)."""
        scope: dict[str, Any] = {}
        # The source is generated here from a checked AST; no text of a script is run as Python.
        exec(compile(source, f"<leadflow {name}>", "exec"), self.namespace, scope)  # noqa: S102
        compiled = scope[name]
        compiled.source = source
        return compiled

    # ---- fn declarations ------------------------------------------------------------
    def compile_functions(self) -> None:
        """Define every `fn` as `_fn_NAME(ctx, ...)` in the shared namespace."""
        self.function_mode = True
        try:
            for name, signature in self.checked.functions.items():
                decl = signature.decl
                assert isinstance(decl, ast.FnDecl)  # checked.functions holds the `fn`s
                params = "".join(f", v_{p}" for p, _ in signature.params)
                lines = [
                    f"def _fn_{name}(ctx{params}):",
                    "    try:",
                    f"        ctx.tick({self.site(f'fn {name}', decl.span)})",
                ]
                spans = [decl.span] * len(lines)  # generated line -> the statement it comes from
                body = decl.body
                if isinstance(body, ast.FnBlock):
                    self._statements(body.stmts, lines, 2, f"fn {name}", spans)
                    body = body.result
                lines.append(f"        return {self.expr(body)}")
                spans.append(getattr(body, "span", decl.span))
                lines.append(
                    f"    except Exception as error:\n        raise _error_at_line(error, {self.constant_object(spans)})"
                )
                self.namespace[f"_fn_{name}"] = self.define("\n".join(lines) + "\n", f"_fn_{name}")
        finally:
            self.function_mode = False

    def _statements(
        self, stmts: tuple[ast.Stmt, ...], lines: list[str], depth: int, where: str, spans: list[Span]
    ) -> None:
        """Append the statements' lines, and to `spans` the statement each line comes from."""
        pad = "    " * depth
        for stmt in stmts:

            def emit(line: str, stmt: ast.Stmt = stmt) -> None:
                lines.append(pad + line)
                spans.append(stmt.span)

            if isinstance(stmt, (ast.LetStmt, ast.AssignStmt)):
                emit(f"v_{stmt.name} = {self.expr(stmt.value)}")
            elif isinstance(stmt, ast.ForStmt):
                emit(f"for v_{stmt.var} in {self.expr(stmt.iterable)}:")
                emit(f"    ctx.tick({self.site(where, stmt.span)})")
                self._statements(stmt.body, lines, depth + 1, where, spans)
            elif isinstance(stmt, ast.IfStmt):
                emit(f"if {self.expr(stmt.condition)}:")
                emit("    pass")
                self._statements(stmt.then, lines, depth + 1, where, spans)
                if stmt.otherwise:
                    emit("else:")
                    emit("    pass")
                    self._statements(stmt.otherwise, lines, depth + 1, where, spans)

    # ---- expressions ----------------------------------------------------------------
    def expr(self, e: object) -> str:
        """Python source computing `e`: an ast.Expr, or a rules.Conjunction of conditions."""
        given = self._given.pop(id(e), None) if self._given else None
        if given is not None:
            return given
        if isinstance(e, CHAINS):
            links = _chain_below(e)
            if len(links) > CHAIN_AT:
                return self._chain(e, links)
        code: str = getattr(self, "_" + type(e).__name__)(e)
        return code

    def _chain(self, e: ChainLink, links: list[ChainLink]) -> str:
        """A long chain as one step per link, each reading the last through a
        temporary: `(t := a, t := t + b, t := t + c)[-1]`. Python's parser
        allows 200 nested parentheses and its compiler a few thousand nested
        operators, so code that nests per term would fail at a few hundred
        (`_div(_div(a, b), c)`); this stays flat however long the chain."""
        t = self.temp()
        steps = [f"{t} := {self.expr(_first(links[-1]))}"]
        for link in (*reversed(links), e):
            self._given[id(_first(link))] = t
            steps.append(f"{t} := {getattr(self, '_' + type(link).__name__)(link)}")
        return "(" + ", ".join(steps) + ")[-1]"

    def _NumberLit(self, e: ast.NumberLit) -> str:
        return self.constant(e.value)

    def _BoolLit(self, e: ast.BoolLit) -> str:
        return repr(e.value)

    def _NullLit(self, e: ast.NullLit) -> str:
        return "None"

    def _DateLit(self, e: ast.DateLit) -> str:
        return self.constant(e.value)

    def _DateTimeLit(self, e: ast.DateTimeLit) -> str:
        value = e.value if e.value.tzinfo else e.value.replace(tzinfo=self.timezone)
        return self.constant(value)

    def _TimeLit(self, e: ast.TimeLit) -> str:
        return self.constant(e.value)

    def _DurationLit(self, e: ast.DurationLit) -> str:
        return self.constant(Duration.of(e.amount, e.unit))

    def _TextLit(self, e: ast.TextLit) -> str:
        pieces: list[str] = []
        # in an HTML body the outermost interpolation escapes; text built inside it must not escape again
        escape, self.escape_html = self.escape_html, False
        try:
            for part in e.parts:
                if isinstance(part, str):
                    pieces.append(repr(part))
                elif T.is_textual(self.type_of(part)):
                    pieces.append(self.expr(part))
                else:
                    pieces.append(f"_str({self.expr(part)})")
        finally:
            self.escape_html = escape
        if escape:
            pieces = [p if isinstance(part, str) else f"_esc({p})" for p, part in zip(pieces, e.parts, strict=True)]
        return pieces[0] if len(pieces) == 1 else "_cat(" + ", ".join(pieces) + ")"

    def _ListLit(self, e: ast.ListLit) -> str:
        return "[" + ", ".join(self.expr(i) for i in e.items) + "]"

    def _RecordLit(self, e: ast.RecordLit) -> str:
        return "{" + ", ".join(f"{f.name!r}: {self.expr(f.value)}" for f in e.fields) + "}"

    def _Name(self, e: ast.Name) -> str:
        resolution = self.checked.names.get(id(e))
        if resolution is None:
            raise AssertionError(f"unresolved name {e.name} at {e.span}")
        kind = resolution.kind
        if kind == "enum":
            return repr(resolution.name)
        if kind == "local":
            return f"v_{e.name}" if self.function_mode else f"loc[{e.name!r}]"
        if kind == "const":
            return self.constant(self.const_value(resolution.name))
        if kind == "event":
            return "ev"
        if kind == "self":
            return "p['id']"
        assert resolution.object_type is not None  # a property's owner
        return self.prop(resolution.object_type, resolution.name, "p")

    def prop(self, object_type: str, name: str, record: str) -> str:
        prop = self.checked.objects[object_type].properties[name]
        if prop.reverse_of is not None:
            owner, field = prop.reverse_of
            return f"ctx.reverse({record}['id'], {owner!r}, {field!r})"
        if prop.default is not None:
            return f"{record}.get({name!r}, {self.constant(self.const_value_of(prop.default))})"
        if prop.builtin and prop.readonly:
            return f"{record}[{name!r}]"
        return f"{record}.get({name!r})"

    def const_value(self, name: str) -> object:
        if name not in self.const_values:
            self.const_values[name] = self.const_value_of(self.checked.consts[name].value)
        return self.const_values[name]

    def const_value_of(self, expr: ast.Expr) -> object:
        """Evaluate a constant expression (defaults, `const`) at compile time."""
        return self.function(expr, "const")(None, None, None, None)

    def _Field(self, e: ast.Field) -> str:
        subject = e.subject
        resolution = self.checked.names.get(id(subject)) if isinstance(subject, ast.Name) else None
        if resolution and resolution.kind == "const" and isinstance(subject, ast.Name) and subject.name == "const":
            return self.constant(self.const_value(resolution.name))
        subject_type = T.strip_null(self.type_of(subject))
        if resolution and resolution.kind == "self":
            assert resolution.object_type is not None  # the rule's own record type
            return self.prop(resolution.object_type, e.name, "p")
        if isinstance(subject_type, T.ObjectType):
            if not self.may_be_null(subject):
                return self.prop(subject_type.name, e.name, f"ctx.record({self.expr(subject)})")
            t = self.temp()  # an unset association reads as null
            read = self.prop(subject_type.name, e.name, f"ctx.record({t})")
            return f"(None if ({t} := {self.expr(subject)}) is None else {read})"
        return f"{self.expr(subject)}.get({e.name!r})"

    def _Index(self, e: ast.Index) -> str:
        return f"_index({self.expr(e.subject)}, {self.expr(e.index)})"

    def _Call(self, e: ast.Call) -> str:
        args = [self.expr(a) for a in e.args]
        if e.func in self.checked.functions:
            return f"_fn_{e.func}(ctx, {', '.join(args)})"
        if e.func in self.checked.externs:
            return f"ctx.host({e.func!r}, ({''.join(a + ', ' for a in args)}))"
        if e.func == "now" and "_clock_now" in self.namespace:
            return "_clock_now()"  # the hot path of time conditions: one call, not three
        builtin = REGISTRY[e.func]
        name = f"_b_{e.func}"
        self.namespace[name] = builtin.impl
        if builtin.needs_context:
            args.insert(0, "ctx")
        return f"{name}({', '.join(args)})"

    def _Happened(self, e: ast.Happened) -> str:
        where = "None"
        if e.where is not None:
            where = self.temp()
            self.namespace[where] = self.function(e.where, where)
        since = self.expr(e.since) if e.since is not None else "None"
        return f"ctx.happened(p['id'], {e.event!r}, {where}, p, loc, {since})"

    def _Unary(self, e: ast.Unary) -> str:
        if e.op == "not":
            return f"(not {self.expr(e.operand)})"
        return f"(-{self.expr(e.operand)})"

    def _Binary(self, e: ast.Binary) -> str:
        op = e.op
        if op in ("and", "or"):
            return f"({self.expr(e.left)} {op} {self.expr(e.right)})"
        if op == "??":
            t = self.temp()
            return f"({t} if ({t} := {self.expr(e.left)}) is not None else {self.expr(e.right)})"
        if op in COMPARISONS:
            return self._comparison(e)
        return self._arithmetic(e)

    def _comparison(self, e: ast.Binary) -> str:
        left, right = self.expr(e.left), self.expr(e.right)
        left_type, right_type = T.strip_null(self.type_of(e.left)), T.strip_null(self.type_of(e.right))
        null_literal = isinstance(e.left, ast.NullLit) or isinstance(e.right, ast.NullLit)
        if e.op == "==" or (null_literal and e.op == "!="):
            if null_literal:
                other = right if isinstance(e.left, ast.NullLit) else left
                return f"({other} is {'not ' if e.op == '!=' else ''}None)"
            if self.may_be_null(e.left) and self.may_be_null(e.right):
                # null == null compares with null, so it is false like every comparison but `== null`
                t = self.temp()
                return f"(({t} := {left}) is not None and {t} == {right})"
            return f"({left} == {right})"
        enum = left_type if isinstance(left_type, T.EnumType) else right_type
        if e.op != "!=" and isinstance(enum, T.EnumType):
            # enum members order as declared: lifecycle >= mql
            order = self.constant_enum_order(left_type, right_type)
            left, right = f"{order}.get({left})", f"{order}.get({right})"
            nullable_left = nullable_right = True
        else:
            nullable_left, nullable_right = self.may_be_null(e.left), self.may_be_null(e.right)
        if not nullable_left and not nullable_right:
            return f"({left} {e.op} {right})"
        a, b = self.temp(), self.temp()
        guards = []
        if nullable_left:
            guards.append(f"({a} := {left}) is not None")
            left = a
        if nullable_right:
            guards.append(f"({b} := {right}) is not None")
            right = b
        return "(" + " and ".join(guards + [f"{left} {e.op} {right}"]) + ")"

    def constant_enum_order(self, a: T.Type, b: T.Type) -> str:
        """Member -> position for the declared enum of the two (the other may be one bare member)."""
        enums = [t for t in (a, b) if isinstance(t, T.EnumType)]
        members = max(enums, key=lambda t: len(t.members)).members
        return self.constant(_EnumOrder({m: i for i, m in enumerate(members)}))

    def _arithmetic(self, e: ast.Binary) -> str:
        op = e.op
        left, right = self.expr(e.left), self.expr(e.right)
        a, b = self.type_of(e.left), self.type_of(e.right)
        if op == "/":
            return f"_div({left}, {right})"
        if op == "%":
            return f"_mod({left}, {right})"
        if a in (T.DATE, T.DATETIME) and b == T.DURATION:
            fixed = self._fixed_delta(e.right)
            if fixed is not None:
                return f"({left} {op} {self.constant(fixed)})"
            return f"{'_add_dur' if op == '+' else '_sub_dur'}({left}, {right})"
        if a == T.DURATION and b in (T.DATE, T.DATETIME):
            return f"_add_dur({right}, {left})"
        if op == "-" and a == b and a in (T.DATE, T.DATETIME):
            return f"_between({left}, {right})"
        if op == "+" and T.is_textual(a) and T.is_textual(b):
            return f"_cat({left}, {right})"
        if a == b == T.NUMBER:
            t = self.temp()  # its range is tested where it is made, inline (no call)
            return f"({t} if _MINN <= ({t} := {left} {op} {right}) <= _MAXN else _num_out({t}))"
        if T.ANY in (a, b):
            return f"_fit({left} {op} {right})"  # known only at run time: tested by what it is
        return f"({left} {op} {right})"  # durations check their own range

    def _fixed_delta(self, e: ast.Expr) -> dt.timedelta | None:
        """A constant duration without months is a plain timedelta: no calendar work per call."""
        if isinstance(e, ast.DurationLit):
            duration = Duration.of(e.amount, e.unit)
            if duration.months == 0:
                return dt.timedelta(days=duration.days, seconds=duration.seconds)
        return None

    def _In(self, e: ast.In) -> str:
        item, container = self.expr(e.item), self.expr(e.container)
        if isinstance(e.container, ast.ListLit) and all(_is_plain_literal(self, i) for i in e.container.items):
            values = frozenset(self.literal_value(i) for i in e.container.items)
            container = self.constant(_FrozenMembers(values))
            if not e.negated or not self.may_be_null(e.item):
                return f"({item} {'not in' if e.negated else 'in'} {container})"
            t = self.temp()
            return f"(({t} := {item}) is not None and {t} not in {container})"
        if e.negated:
            t = self.temp()
            return f"(({t} := {item}) is not None and not _contains({t}, {container}))"
        return f"_contains({item}, {container})"

    def literal_value(self, e: ast.Expr) -> object:
        resolution = self.checked.names.get(id(e))
        if resolution is not None and resolution.kind == "enum":
            return resolution.name
        if isinstance(e, ast.TextLit):
            return e.parts[0]
        assert isinstance(e, (ast.NumberLit, ast.BoolLit))  # what else `_is_plain_literal` lets through
        return e.value

    def _Conjunction(self, e: Conjunction) -> str:
        return f"({self.expr(e.left)} and {self.expr(e.right)})"

    def _IsKnown(self, e: ast.IsKnown) -> str:
        if isinstance(e.operand, ast.NullLit):
            return repr(not e.known)
        if not self.may_be_null(e.operand):
            # known for sure; still evaluated (it may fail), and no `-1 is None` for Python to warn about
            return f"({self.expr(e.operand)}, {e.known!r})[1]"
        return f"({self.expr(e.operand)} is {'not ' if e.known else ''}None)"

    def _IfExpr(self, e: ast.IfExpr) -> str:
        return f"({self.expr(e.then)} if {self.expr(e.condition)} else {self.expr(e.otherwise)})"

    def _Match(self, e: ast.Match) -> str:
        subject = self.temp()
        code = self.expr(e.default) if e.default is not None else "None"
        for case in reversed(e.cases):
            tests = " or ".join(f"{subject} == {self.expr(p)}" for p in case.patterns)
            code = f"({self.expr(case.value)} if ({tests}) else {code})"
        return f"(({subject} := {self.expr(e.subject)}), {code})[1]"


# Nodes whose first operand may be a node of the same kinds (`a + b + c`,
# `xs[0][1]`, `referrer.referrer.score`); a chain longer than CHAIN_AT
# compiles link by link (`_chain`).
CHAINS = (ast.Binary, ast.Index, ast.Field)
CHAIN_AT = 32
ChainLink = ast.Binary | ast.Index | ast.Field


def _first(e: ChainLink) -> ast.Expr:
    return e.left if isinstance(e, ast.Binary) else e.subject


def _chain_below(e: ChainLink) -> list[ChainLink]:
    """The links under e whose first operand continues the chain, outermost first."""
    links: list[ChainLink] = []
    node = _first(e)
    while isinstance(node, CHAINS):
        links.append(node)
        node = _first(node)
    return links


class _EnumOrder(dict[str, int]):
    """A member -> position map; a named class so constants dedupe by identity of content."""

    def __repr__(self) -> str:
        return "EnumOrder(" + ",".join(self) + ")"


class _FrozenMembers(frozenset[object]):
    def __repr__(self) -> str:
        return "Members(" + ",".join(sorted(map(repr, self))) + ")"


def _is_plain_literal(gen: Codegen, e: ast.Expr) -> bool:
    if isinstance(e, (ast.NumberLit, ast.BoolLit)):
        return True
    if isinstance(e, ast.TextLit) and all(isinstance(p, str) for p in e.parts):
        return True
    resolution = gen.checked.names.get(id(e)) if isinstance(e, ast.Name) else None
    return resolution is not None and resolution.kind == "enum"


def _conjuncts(expr: object) -> list[object]:
    if type(expr).__name__ == "Conjunction":  # rules.Conjunction, which imports this module
        conjunction = cast("Conjunction", expr)
        return _conjuncts(conjunction.left) + _conjuncts(conjunction.right)
    return [expr]


def _known(span: Span | None) -> Span | None:
    return span if span is not None and span.line else None  # a node built without a source has line 0


def _number_out_of_range(n: float) -> NoReturn:
    raise limits.number_out_of_range(n)


def _error_at_line(error: Exception, spans: list[Span | None]) -> LeadflowError:
    """The error of generated code, pointed at the statement or condition whose generated
    line raised it (`spans[i]` is the source of line i + 1)."""
    line = error.__traceback__.tb_lineno if error.__traceback__ is not None else 0
    return limits.locate(error, spans[line - 1] if 0 < line <= len(spans) else None)
