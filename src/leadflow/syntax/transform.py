"""Grammar rules -> attrs AST. With parser.py and reductions.py, the only modules that know Lark.

Each grammar alternative is named; this transformer has one method per name,
called as the parser reduces the rule (see reductions.py) with the rule's
position and its children: tokens and the values of the rules inside it.
String literals are split here into text and `{expr}` parts; each part is
parsed with the grammar's `expr` start at its true position in the file, so
a mistake inside an interpolation is reported where it is.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

from lark import Token

from leadflow.diagnostics import Diagnostic
from leadflow.errors import ScriptError
from leadflow.syntax import ast
from leadflow.syntax.span import Span

MAX_LITERAL = 1_000_000  # characters between a string's quotes (docs/language.md, "Limits")
_Lit = TypeVar("_Lit", ast.DateTimeLit, ast.DateLit, ast.TimeLit)  # what _calendar builds

ESCAPES = {"0": "\x00", "n": "\n", "t": "\t", '"': '"', "\\": "\\", "{": "{", "}": "}", "r": "\r"}


def _token_span(file: str, token: Token) -> Span:
    # The parser's tokens always have positions; Lark types them as optional.
    return Span(file, token.line or 0, token.column or 0, token.end_line or 0, token.end_column or 0)


def _number(text: str) -> int | float:
    text = text.replace("_", "")
    return float(text) if "." in text else int(text)


class ToAst:
    def __init__(self, file: str, parse_expr_at: Callable[[str, int, int], ast.Expr]):
        self.file = file
        self._parse_expr_at = parse_expr_at  # (text, line, column) -> Expr

    def span(self, meta: Span) -> Span:
        """Where the rule being built is written: reductions.py hands each method
        its span as `meta` (a span at line 0 when the rule holds no token)."""
        return meta

    def at(self, token: Token | None) -> Span:
        """Where a NAME token is written (NOWHERE for an absent optional one)."""
        return _token_span(self.file, token) if isinstance(token, Token) else Span(self.file, 0, 0, 0, 0)

    # ---- program and declarations -------------------------------------------
    def start(self, meta: Span, children: list[Any]) -> ast.Program:
        return ast.Program(tuple(children), span=self.span(meta))

    def object_decl(self, meta: Span, children: list[Any]) -> ast.ObjectDecl:
        name, *props = children
        return ast.ObjectDecl(str(name), tuple(props), span=self.span(meta), name_span=self.at(name))

    def prop_decl(self, meta: Span, children: list[Any]) -> ast.PropDecl:
        name, type_, default, reverse = children
        return ast.PropDecl(str(name), type_, default, str(reverse) if reverse else None, span=self.span(meta))

    def event_decl(self, meta: Span, children: list[Any]) -> ast.EventDecl:
        name, on_object, *fields = children
        return ast.EventDecl(
            str(name),
            str(on_object) if on_object else None,
            tuple(fields),
            span=self.span(meta),
            name_span=self.at(name),
            on_span=self.at(on_object),
        )

    def list_decl(self, meta: Span, children: list[Any]) -> ast.ListDecl:
        name, display = children
        text = self.string(meta, [display]) if display else None
        plain = "".join(p for p in text.parts if isinstance(p, str)) if text else None
        return ast.ListDecl(str(name), plain, span=self.span(meta), name_span=self.at(name))

    def secret_decl(self, meta: Span, children: list[Any]) -> ast.SecretDecl:
        return ast.SecretDecl(str(children[0]), span=self.span(meta), name_span=self.at(children[0]))

    def email_decl(self, meta: Span, children: list[Any]) -> ast.EmailDecl:
        name, *fields = children
        return ast.EmailDecl(str(name), tuple(fields), span=self.span(meta), name_span=self.at(name))

    def email_field(self, meta: Span, children: list[Any]) -> ast.RecordField:
        return ast.RecordField(str(children[0]), children[1], span=self.span(meta))

    record_field = email_field

    def quoted_field(self, meta: Span, children: list[Any]) -> ast.RecordField:
        """`{"X-Source": "leadflow"}`: a field name that is not an identifier (HTTP headers)."""
        key = "".join(p for p in self.string(meta, [children[0]]).parts if isinstance(p, str))
        return ast.RecordField(key, children[1], span=self.span(meta))

    def const_decl(self, meta: Span, children: list[Any]) -> ast.ConstDecl:
        return ast.ConstDecl(str(children[0]), children[1], span=self.span(meta), name_span=self.at(children[0]))

    def type_decl(self, meta: Span, children: list[Any]) -> ast.TypeDecl:
        return ast.TypeDecl(str(children[0]), children[1], span=self.span(meta), name_span=self.at(children[0]))

    def extern_decl(self, meta: Span, children: list[Any]) -> ast.ExternFn:
        name, params, result = children
        return ast.ExternFn(str(name), params, result, span=self.span(meta), name_span=self.at(name))

    def fn_expr_decl(self, meta: Span, children: list[Any]) -> ast.FnDecl:
        name, params, result, body = children
        return ast.FnDecl(str(name), params, result, body, span=self.span(meta), name_span=self.at(name))

    fn_block_decl = fn_expr_decl

    def params(self, meta: Span, children: list[Any]) -> tuple[ast.Param, ...]:
        return tuple(children)

    def param(self, meta: Span, children: list[Any]) -> ast.Param:
        return ast.Param(str(children[0]), children[1], span=self.span(meta))

    def fn_block(self, meta: Span, children: list[Any]) -> ast.FnBlock:
        *stmts, result = children
        return ast.FnBlock(tuple(stmts), result, span=self.span(meta))

    def let_stmt(self, meta: Span, children: list[Any]) -> ast.LetStmt:
        return ast.LetStmt(str(children[0]), children[1], span=self.span(meta))

    def assign_stmt(self, meta: Span, children: list[Any]) -> ast.AssignStmt:
        return ast.AssignStmt(str(children[0]), children[1], span=self.span(meta))

    def for_stmt(self, meta: Span, children: list[Any]) -> ast.ForStmt:
        var, iterable, body = children
        return ast.ForStmt(str(var), iterable, body, span=self.span(meta))

    def if_stmt(self, meta: Span, children: list[Any]) -> ast.IfStmt:
        condition, then, otherwise = children
        return ast.IfStmt(condition, then, otherwise, span=self.span(meta))

    def stmt_block(self, meta: Span, children: list[Any]) -> tuple[ast.Stmt, ...]:
        return tuple(children)

    # ---- types ----------------------------------------------------------------
    def type(self, meta: Span, children: list[Any]) -> ast.TypeExpr:
        return cast(ast.TypeExpr, children[0])  # the one child is a type, built by the rules below

    def nullable_type(self, meta: Span, children: list[Any]) -> ast.NullableTypeExpr:
        return ast.NullableTypeExpr(children[0], span=self.span(meta))

    def named_type(self, meta: Span, children: list[Any]) -> ast.NamedType:
        return ast.NamedType(str(children[0]), span=self.span(meta))

    def enum_type(self, meta: Span, children: list[Any]) -> ast.EnumTypeExpr:
        return ast.EnumTypeExpr(tuple(str(c) for c in children), span=self.span(meta))

    def list_type(self, meta: Span, children: list[Any]) -> ast.ListTypeExpr:
        return ast.ListTypeExpr(children[0], span=self.span(meta))

    def record_type(self, meta: Span, children: list[Any]) -> ast.RecordTypeExpr:
        return ast.RecordTypeExpr(tuple(children), span=self.span(meta))

    def field_type(self, meta: Span, children: list[Any]) -> ast.FieldType:
        return ast.FieldType(str(children[0]), children[1], span=self.span(meta))

    # ---- rules and triggers -------------------------------------------------------
    def rule_decl(self, meta: Span, children: list[Any]) -> ast.Rule:
        name, trigger, condition, body = children
        title = "".join(p for p in self.string(meta, [name]).parts if isinstance(p, str)) if name else None
        block = isinstance(body, tuple)
        actions = body if block else (body,)
        return ast.Rule(title, trigger, condition, actions, block, span=self.span(meta))

    def action_block(self, meta: Span, children: list[Any]) -> tuple[ast.Action, ...]:
        return tuple(children)

    def event_trigger(self, meta: Span, children: list[Any]) -> ast.EventTrigger:
        return ast.EventTrigger(str(children[0]), children[1], span=self.span(meta), name_span=self.at(children[0]))

    def created_trigger(self, meta: Span, children: list[Any]) -> ast.CreatedTrigger:
        return ast.CreatedTrigger(
            str(children[0]) if children[0] else "contact", span=self.span(meta), name_span=self.at(children[0])
        )

    def changed_trigger(self, meta: Span, children: list[Any]) -> ast.ChangedTrigger:
        (path, path_span), from_value, to_value = children
        return ast.ChangedTrigger(path, from_value, to_value, span=self.span(meta), path_span=path_span)

    def added_trigger(self, meta: Span, children: list[Any]) -> ast.ListTrigger:
        return ast.ListTrigger(str(children[0]), True, span=self.span(meta), name_span=self.at(children[0]))

    def removed_trigger(self, meta: Span, children: list[Any]) -> ast.ListTrigger:
        return ast.ListTrigger(str(children[0]), False, span=self.span(meta), name_span=self.at(children[0]))

    def matching_trigger(self, meta: Span, children: list[Any]) -> ast.MatchingTrigger:
        return ast.MatchingTrigger(children[0], span=self.span(meta))

    def schedule_trigger(self, meta: Span, children: list[Any]) -> ast.ScheduleTrigger:
        every, day, at, where = children
        return ast.ScheduleTrigger(
            str(every),
            self._checked_number(day) if day else None,
            self.time(meta, [at]).value,
            where,
            span=self.span(meta),
            every_span=self.at(every),
        )

    def fixed_date_trigger(self, meta: Span, children: list[Any]) -> ast.FixedDateTrigger:
        at, where = children
        return ast.FixedDateTrigger(self.datetime(meta, [at]).value, where, span=self.span(meta))

    def yearly_trigger(self, meta: Span, children: list[Any]) -> ast.DateTrigger:
        prop, at, where = children
        return ast.DateTrigger(
            str(prop), None, False, self.time(meta, [at]).value, where, span=self.span(meta), name_span=self.at(prop)
        )

    @staticmethod  # called here, in the class body, to make two rule methods
    def _date_offset_trigger(before: bool) -> Callable[[ToAst, Span, list[Any]], ast.DateTrigger]:
        def build(self: ToAst, meta: Span, children: list[Any]) -> ast.DateTrigger:
            amount, unit, prop, at, where = children
            offset = ast.DurationLit(
                self._checked_number(amount), str(unit).removesuffix("s"), span=_join(self.file, amount, unit)
            )
            return ast.DateTrigger(
                str(prop),
                offset,
                before,
                self.time(meta, [at]).value,
                where,
                span=self.span(meta),
                name_span=self.at(prop),
            )

        return build

    before_trigger = _date_offset_trigger(True)
    after_trigger = _date_offset_trigger(False)

    def path(self, meta: Span, children: list[Any]) -> tuple[tuple[str, ...], Span]:
        """(names, span): the users of a path keep where it is written."""
        return tuple(str(c) for c in children), self.span(meta)

    # ---- actions --------------------------------------------------------------
    def set_action(self, meta: Span, children: list[Any]) -> ast.SetAction:
        (target, target_span), value = children
        return ast.SetAction(target, value, span=self.span(meta), target_span=target_span)

    def clear_action(self, meta: Span, children: list[Any]) -> ast.ClearAction:
        target, target_span = children[0]
        return ast.ClearAction(target, span=self.span(meta), target_span=target_span)

    def increment_action(self, meta: Span, children: list[Any]) -> ast.IncrementAction:
        (target, target_span), amount = children
        return ast.IncrementAction(target, amount, False, span=self.span(meta), target_span=target_span)

    def decrement_action(self, meta: Span, children: list[Any]) -> ast.IncrementAction:
        (target, target_span), amount = children
        return ast.IncrementAction(target, amount, True, span=self.span(meta), target_span=target_span)

    def add_action(self, meta: Span, children: list[Any]) -> ast.ListAction:
        return ast.ListAction(str(children[0]), True, span=self.span(meta), name_span=self.at(children[0]))

    def remove_action(self, meta: Span, children: list[Any]) -> ast.ListAction:
        return ast.ListAction(str(children[0]), False, span=self.span(meta), name_span=self.at(children[0]))

    def send_action(self, meta: Span, children: list[Any]) -> ast.SendEmail:
        return ast.SendEmail(str(children[0]), children[1], span=self.span(meta), name_span=self.at(children[0]))

    def notify_action(self, meta: Span, children: list[Any]) -> ast.Notify:
        return ast.Notify(children[0], children[1], span=self.span(meta))

    def create_action(self, meta: Span, children: list[Any]) -> ast.CreateRecord:
        object_type, fields, alias = children
        return ast.CreateRecord(
            str(object_type),
            fields,
            str(alias) if alias else None,
            span=self.span(meta),
            name_span=self.at(object_type),
        )

    def let_action(self, meta: Span, children: list[Any]) -> ast.LetAction:
        return ast.LetAction(str(children[0]), children[1], span=self.span(meta))

    def do_action(self, meta: Span, children: list[Any]) -> ast.DoAction:
        name, (args, kwargs) = children
        call = ast.Call(str(name), args, kwargs, span=self.span(meta))
        return ast.DoAction(call, span=self.span(meta))

    def enroll_action(self, meta: Span, children: list[Any]) -> ast.EnrollAction:
        return ast.EnrollAction(str(children[0]), True, span=self.span(meta), name_span=self.at(children[0]))

    def unenroll_action(self, meta: Span, children: list[Any]) -> ast.EnrollAction:
        return ast.EnrollAction(str(children[0]), False, span=self.span(meta), name_span=self.at(children[0]))

    def webhook_action(self, meta: Span, children: list[Any]) -> ast.Webhook:
        method, url, *options = children
        settings: dict[str, Any] = {"method_span": self.at(method)}
        for key, value in options:
            if key == "as":
                settings["alias"], settings["response_type"] = value
            elif key in ("auth_secret", "sign_secret"):
                settings[key] = str(value)
                settings[key.replace("_secret", "_span")] = self.at(value)
            else:
                settings[key] = value
        return ast.Webhook(str(method).lower(), url, **settings, span=self.span(meta))

    def webhook_body(self, meta: Span, children: list[Any]) -> tuple[str, Any]:
        return ("body", children[0])

    def webhook_headers(self, meta: Span, children: list[Any]) -> tuple[str, Any]:
        return ("headers", children[0])

    def webhook_auth(self, meta: Span, children: list[Any]) -> tuple[str, Any]:
        return ("auth_secret", children[0])

    def webhook_sign(self, meta: Span, children: list[Any]) -> tuple[str, Any]:
        return ("sign_secret", children[0])

    def webhook_timeout(self, meta: Span, children: list[Any]) -> tuple[str, Any]:
        return ("timeout", children[0])

    def webhook_as(self, meta: Span, children: list[Any]) -> tuple[str, Any]:
        return ("as", (str(children[0]), children[1]))

    def if_action(self, meta: Span, children: list[Any]) -> ast.IfAction:
        # `[_else_actions]` inlines a rule, so Lark leaves no None placeholder
        # when the `else` is absent: there are two children, not three.
        condition, block, *tail = children
        rest: ast.IfAction | tuple[ast.Action, ...] | None = tail[0] if tail else None
        branches = [(condition, block)]
        otherwise: tuple[ast.Action, ...] | None = None
        if isinstance(rest, ast.IfAction):  # else if: flatten the chain
            branches += rest.branches
            otherwise = rest.otherwise
        elif rest is not None:
            otherwise = rest
        return ast.IfAction(tuple(branches), otherwise, span=self.span(meta))

    if_else_action = if_action

    # ---- workflow steps ---------------------------------------------------------
    def wait_step(self, meta: Span, children: list[Any]) -> ast.Wait:
        return ast.Wait(children[0], span=self.span(meta))

    def wait_until_step(self, meta: Span, children: list[Any]) -> ast.WaitUntil:
        target, days = children
        names, days_span = days if days else (None, self.at(None))
        return ast.WaitUntil(target, names, span=self.span(meta), days_span=days_span)

    def wait_for_step(self, meta: Span, children: list[Any]) -> ast.WaitFor:
        event, where, timeout, otherwise = children
        return ast.WaitFor(str(event), where, timeout, otherwise, span=self.span(meta), name_span=self.at(event))

    def split_step(self, meta: Span, children: list[Any]) -> ast.Split:
        return ast.Split(tuple(children), span=self.span(meta))

    def split_arm(self, meta: Span, children: list[Any]) -> ast.SplitArm:
        percent, steps = children
        return ast.SplitArm(self._checked_number(percent), steps, span=self.span(meta))

    def branch_step(self, meta: Span, children: list[Any]) -> ast.Branch:
        subject, *arms, otherwise = children
        return ast.Branch(subject, tuple(arms), otherwise, span=self.span(meta))

    def branch_arm(self, meta: Span, children: list[Any]) -> ast.BranchArm:
        *values, steps = children
        return ast.BranchArm(tuple(values), steps, span=self.span(meta))

    def stop_step(self, meta: Span, children: list[Any]) -> ast.Stop:
        return ast.Stop(span=self.span(meta))

    def day_set(self, meta: Span, children: list[Any]) -> tuple[tuple[str, ...], Span]:
        return tuple(str(c) for c in children), self.span(meta)

    # ---- workflows --------------------------------------------------------------
    def workflow_decl(self, meta: Span, children: list[Any]) -> ast.Workflow:
        name, object_type, *items = children
        flat: list[ast.Clause | ast.Action] = []
        for item in items:
            flat.extend(item if isinstance(item, list) else [item])
        clauses = tuple(i for i in flat if isinstance(i, CLAUSES))
        steps = tuple(i for i in flat if not isinstance(i, CLAUSES))
        return ast.Workflow(
            str(name),
            str(object_type) if object_type else "contact",
            clauses,
            steps,
            span=self.span(meta),
            name_span=self.at(name),
            object_span=self.at(object_type),
        )

    def enroll_clause(self, meta: Span, children: list[Any]) -> ast.Enrollment:
        return ast.Enrollment(children[0], children[1], span=self.span(meta))

    def enroll_then_if(self, meta: Span, children: list[Any]) -> list[ast.Enrollment | ast.IfAction]:
        trigger, *if_parts = children
        enrollment = ast.Enrollment(trigger, None, span=trigger.span)
        first_if = if_parts[0]
        if_span = Span(self.file, first_if.span.line, first_if.span.column, meta.end_line, meta.end_column)
        return [enrollment, attrs.evolve(self.if_action(meta, if_parts), span=if_span)]

    def reenroll_never(self, meta: Span, children: list[Any]) -> ast.Reenroll:
        return ast.Reenroll("never", span=self.span(meta))

    def reenroll_after(self, meta: Span, children: list[Any]) -> ast.Reenroll:
        return ast.Reenroll("after", after=children[0], span=self.span(meta))

    def reenroll_when(self, meta: Span, children: list[Any]) -> ast.Reenroll:
        return ast.Reenroll("when", trigger=children[0], span=self.span(meta))

    def goal_clause(self, meta: Span, children: list[Any]) -> ast.Goal:
        return ast.Goal(children[0], span=self.span(meta))

    def suppress_clause(self, meta: Span, children: list[Any]) -> ast.Suppress:
        return ast.Suppress(str(children[0]), span=self.span(meta), name_span=self.at(children[0]))

    def unenroll_clause(self, meta: Span, children: list[Any]) -> ast.UnenrollWhen:
        return ast.UnenrollWhen(children[0], span=self.span(meta))

    def window_clause(self, meta: Span, children: list[Any]) -> ast.Window:
        (days, days_span), start, end, zone = children
        return ast.Window(
            days,
            self.time(meta, [start]).value,
            self.time(meta, [end]).value,
            self._zone_name(meta, zone) if zone else None,
            span=self.span(meta),
            days_span=days_span,
            timezone_span=self.at(zone),
        )

    def _zone_name(self, meta: Span, zone: Any) -> str:
        """A time zone is a fixed name: its text with escapes decoded; one that interpolates
        (`"Europe/{x}"`) is kept as written between its quotes, for the checker to refuse whole."""
        parts = self.string(meta, [zone]).parts
        if all(isinstance(part, str) for part in parts):
            return "".join(cast(tuple[str, ...], parts))
        return str(zone)[1:-1]

    def happened(self, meta: Span, children: list[Any]) -> ast.Happened:
        event, where, since = children
        return ast.Happened(str(event), where, since, span=self.span(meta), name_span=self.at(event))

    # ---- expressions ------------------------------------------------------------
    def if_expr(self, meta: Span, children: list[Any]) -> ast.IfExpr:
        condition, then, otherwise = children
        return ast.IfExpr(condition, then, otherwise, span=self.span(meta))

    @staticmethod  # called here, in the class body, to make the rule methods below
    def _binary(op: str) -> Callable[[ToAst, Span, list[Any]], ast.Binary]:
        def build(self: ToAst, meta: Span, children: list[Any]) -> ast.Binary:
            return ast.Binary(op, children[0], children[1], span=self.span(meta))

        return build

    or_op = _binary("or")
    and_op = _binary("and")
    eq = _binary("==")
    ne = _binary("!=")
    lt = _binary("<")
    le = _binary("<=")
    gt = _binary(">")
    ge = _binary(">=")
    coalesce_op = _binary("??")
    add = _binary("+")
    sub = _binary("-")
    mul = _binary("*")
    div = _binary("/")
    mod = _binary("%")
    del _binary

    def not_op(self, meta: Span, children: list[Any]) -> ast.Unary:
        return ast.Unary("not", children[0], span=self.span(meta))

    def neg(self, meta: Span, children: list[Any]) -> ast.Unary:
        return ast.Unary("-", children[0], span=self.span(meta))

    def in_op(self, meta: Span, children: list[Any]) -> ast.In:
        return ast.In(children[0], children[1], False, span=self.span(meta))

    def not_in_op(self, meta: Span, children: list[Any]) -> ast.In:
        return ast.In(children[0], children[1], True, span=self.span(meta))

    def is_known(self, meta: Span, children: list[Any]) -> ast.IsKnown:
        return ast.IsKnown(children[0], True, span=self.span(meta))

    def is_unknown(self, meta: Span, children: list[Any]) -> ast.IsKnown:
        return ast.IsKnown(children[0], False, span=self.span(meta))

    def field(self, meta: Span, children: list[Any]) -> ast.Field:
        return ast.Field(children[0], str(children[1]), span=self.span(meta), name_span=self.at(children[1]))

    def index(self, meta: Span, children: list[Any]) -> ast.Index:
        return ast.Index(children[0], children[1], span=self.span(meta))

    def call(self, meta: Span, children: list[Any]) -> ast.Call:
        name, (args, kwargs) = children
        return ast.Call(str(name), args, kwargs, span=self.span(meta))

    def args(self, meta: Span, children: list[Any]) -> tuple[tuple[ast.Expr, ...], tuple[ast.KeywordArg, ...]]:
        positional = tuple(c for c in children if not isinstance(c, ast.KeywordArg))
        keywords = tuple(c for c in children if isinstance(c, ast.KeywordArg))
        return positional, keywords

    def keyword_arg(self, meta: Span, children: list[Any]) -> ast.KeywordArg:
        return ast.KeywordArg(str(children[0]), children[1], span=self.span(meta))

    def _checked_number(self, token: Token) -> int | float:
        try:
            value = _number(token)
        except ValueError:  # more digits than Python converts
            value = float("inf")
        if value == float("inf") or (isinstance(value, int) and value.bit_length() > 1023):
            span = _token_span(self.file, token)
            raise ScriptError([Diagnostic("E101", "this number is too large", span, "numbers go up to about 1e308")])
        return value

    def number(self, meta: Span, children: list[Any]) -> ast.NumberLit:
        return ast.NumberLit(self._checked_number(children[0]), span=self.span(meta))

    def duration(self, meta: Span, children: list[Any]) -> ast.DurationLit:
        amount, unit = children
        return ast.DurationLit(self._checked_number(amount), str(unit).removesuffix("s"), span=self.span(meta))

    def _calendar(
        self, meta: Span, token: Token, kind: builtins.type[dt.date | dt.time], node: Callable[..., _Lit]
    ) -> _Lit:
        try:
            value = kind.fromisoformat(str(token))
        except ValueError as error:
            span = _token_span(self.file, token)
            raise ScriptError(
                [Diagnostic("E101", f"`{token}` is not a valid {kind.__name__}", span, str(error))]
            ) from error
        return node(value, span=self.span(meta))

    def datetime(self, meta: Span, children: list[Any]) -> ast.DateTimeLit:
        return self._calendar(meta, children[0], dt.datetime, ast.DateTimeLit)

    def date(self, meta: Span, children: list[Any]) -> ast.DateLit:
        return self._calendar(meta, children[0], dt.date, ast.DateLit)

    def time(self, meta: Span, children: list[Any]) -> ast.TimeLit:
        return self._calendar(meta, children[0], dt.time, ast.TimeLit)

    def true(self, meta: Span, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, span=self.span(meta))

    def false(self, meta: Span, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, span=self.span(meta))

    def null(self, meta: Span, children: list[Any]) -> ast.NullLit:
        return ast.NullLit(span=self.span(meta))

    def name(self, meta: Span, children: list[Any]) -> ast.Name:
        return ast.Name(str(children[0]), span=self.span(meta))

    def list_lit(self, meta: Span, children: list[Any]) -> ast.ListLit:
        return ast.ListLit(tuple(children), span=self.span(meta))

    def record_lit(self, meta: Span, children: list[Any]) -> ast.RecordLit:
        return ast.RecordLit(tuple(children), span=self.span(meta))

    def match_expr(self, meta: Span, children: list[Any]) -> ast.Match:
        subject, *arms = children
        cases = tuple(a for a in arms if isinstance(a, ast.MatchCase))
        defaults = [a[1] for a in arms if isinstance(a, tuple)]
        return ast.Match(subject, cases, defaults[-1] if defaults else None, span=self.span(meta))

    def match_case(self, meta: Span, children: list[Any]) -> ast.MatchCase:
        *patterns, value = children
        return ast.MatchCase(tuple(patterns), value, span=self.span(meta))

    def match_else(self, meta: Span, children: list[Any]) -> tuple[str, ast.Expr]:
        return ("else", children[0])

    def string(self, meta: Span, children: list[Any]) -> ast.TextLit:
        token = children[0]
        if len(token) - 2 > MAX_LITERAL:
            raise ScriptError(
                [
                    Diagnostic(
                        "E103",
                        f"this string is {len(token) - 2:,} characters long; the limit is {MAX_LITERAL:,}",
                        Span.point(self.file, token.line, token.column),
                        "keep long text in a file the embedding program reads",
                    )
                ]
            )
        return ast.TextLit(self._string_parts(token), span=_token_span(self.file, token))

    def _string_parts(self, token: Token) -> tuple[str | ast.Expr, ...]:
        """Split a STRING token into text and parsed `{expr}` parts."""
        raw = str(token)[1:-1]
        parts: list[str | ast.Expr] = []
        text: list[str] = []
        line, column = token.line or 0, (token.column or 0) + 1  # position of raw[0]
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                text.append(ESCAPES.get(raw[i + 1], "\\" + raw[i + 1]))
                step = 2
            elif ch in "{}" and raw[i : i + 2] in ("{{", "}}"):
                text.append(ch)
                step = 2
            elif ch == "{":
                end = _closing_brace(raw, i)
                if text:
                    parts.append("".join(text))
                    text = []
                parts.append(self._parse_expr_at(raw[i + 1 : end], line, column + 1))
                step = end + 1 - i
            else:
                text.append(ch)
                step = 1
            for consumed in raw[i : i + step]:
                if consumed == "\n":
                    line, column = line + 1, 1
                else:
                    column += 1
            i += step
        if text or not parts:
            parts.append("".join(text))
        return tuple(parts)


CLAUSES = (ast.Enrollment, ast.Reenroll, ast.Goal, ast.Suppress, ast.UnenrollWhen, ast.Window)


def _join(file: str, first: Token, last: Token) -> Span:
    return Span(file, first.line or 0, first.column or 0, last.end_line or 0, last.end_column or 0)


def _closing_brace(raw: str, start: int) -> int:
    """Index of the `}` closing the interpolation opened at raw[start]."""
    i = start + 1
    while i < len(raw):
        if raw[i] == '"':
            i += 1
            while i < len(raw) and raw[i] != '"':
                i += 2 if raw[i] == "\\" else 1
        elif raw[i] == "}":
            return i
        i += 1
    return len(raw)
