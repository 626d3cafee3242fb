"""The Leadflow AST: frozen attrs nodes, each with a span.

Spans are excluded from equality, so `parse(print(ast)) == ast` compares
meaning, not layout. Sequences are tuples so nodes stay hashable.
Workflows and bots (sections 7 and 8 of the design) will add node kinds
here; the rule, trigger and action nodes are shared with them.
"""
from __future__ import annotations

import datetime as dt
from typing import Union

import attrs

from leadflow.syntax.span import NOWHERE, Span


def _span():
    return attrs.field(default=NOWHERE, eq=False, repr=False, kw_only=True)


# Besides its own span, a node that names something (a property, list, event,
# declaration...) keeps where that name is written (`name_span`,
# `target_span`...), so a diagnostic about the name points at the name and
# not at the keyword opening the action. NOWHERE when built without a source.


node = attrs.frozen


# ---- types ------------------------------------------------------------------
@node
class NamedType:
    name: str
    span: Span = _span()


@node
class EnumTypeExpr:
    members: tuple[str, ...]
    span: Span = _span()


@node
class ListTypeExpr:
    element: TypeExpr
    span: Span = _span()


@node
class FieldType:
    name: str
    type: TypeExpr
    span: Span = _span()


@node
class RecordTypeExpr:
    fields: tuple[FieldType, ...]
    span: Span = _span()


@node
class NullableTypeExpr:
    inner: TypeExpr
    span: Span = _span()


TypeExpr = Union[NamedType, EnumTypeExpr, ListTypeExpr, RecordTypeExpr, NullableTypeExpr]


# ---- expressions --------------------------------------------------------------
@node
class NumberLit:
    value: int | float
    span: Span = _span()


@node
class BoolLit:
    value: bool
    span: Span = _span()


@node
class NullLit:
    span: Span = _span()


@node
class TextLit:
    """A string: literal parts (str) and interpolated expressions, in order."""

    parts: tuple[str | Expr, ...]
    span: Span = _span()


@node
class DateLit:
    value: dt.date
    span: Span = _span()


@node
class DateTimeLit:
    """A datetime; `value` is naive when the source gave no offset."""

    value: dt.datetime
    span: Span = _span()


@node
class TimeLit:
    value: dt.time
    span: Span = _span()


@node
class DurationLit:
    amount: int | float
    unit: str  # singular: minute, hour, day, week, month, year, second
    span: Span = _span()


@node
class ListLit:
    items: tuple[Expr, ...]
    span: Span = _span()


@node
class RecordField:
    name: str
    value: Expr
    span: Span = _span()


@node
class RecordLit:
    fields: tuple[RecordField, ...]
    span: Span = _span()


@node
class Name:
    name: str
    span: Span = _span()


@node
class Field:
    subject: Expr
    name: str
    name_span: Span = _span()  # where `.name` is written
    span: Span = _span()


@node
class Index:
    subject: Expr
    index: Expr
    span: Span = _span()


@node
class KeywordArg:
    name: str
    value: Expr
    span: Span = _span()


@node
class Call:
    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[KeywordArg, ...] = ()
    span: Span = _span()


@node
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span = _span()


@node
class Binary:
    op: str  # + - * / % == != < <= > >= and or ??
    left: Expr
    right: Expr
    span: Span = _span()


@node
class In:
    item: Expr
    container: Expr
    negated: bool = False
    span: Span = _span()


@node
class IsKnown:
    operand: Expr
    known: bool = True
    span: Span = _span()


@node
class IfExpr:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


@node
class MatchCase:
    patterns: tuple[Expr, ...]
    value: Expr
    span: Span = _span()


@node
class Match:
    subject: Expr
    cases: tuple[MatchCase, ...]
    default: Expr | None
    span: Span = _span()


Expr = Union[
    NumberLit, BoolLit, NullLit, TextLit, DateLit, DateTimeLit, TimeLit, DurationLit,
    ListLit, RecordLit, Name, Field, Index, Call, Unary, Binary, In, IsKnown, IfExpr, Match,
]


# ---- actions ----------------------------------------------------------------
@node
class SetAction:
    target: tuple[str, ...]
    value: Expr
    target_span: Span = _span()
    span: Span = _span()


@node
class ClearAction:
    target: tuple[str, ...]
    target_span: Span = _span()
    span: Span = _span()


@node
class IncrementAction:
    target: tuple[str, ...]
    amount: Expr | None  # None means 1
    decrement: bool = False
    target_span: Span = _span()
    span: Span = _span()


@node
class ListAction:
    list_name: str
    add: bool
    name_span: Span = _span()
    span: Span = _span()


@node
class SendEmail:
    template: str
    to: Expr | None
    name_span: Span = _span()
    span: Span = _span()


@node
class Notify:
    channel: Expr
    message: Expr
    span: Span = _span()


@node
class CreateRecord:
    object_type: str
    fields: RecordLit
    alias: str | None
    name_span: Span = _span()
    span: Span = _span()


@node
class LetAction:
    name: str
    value: Expr
    span: Span = _span()


@node
class DoAction:
    call: Call
    span: Span = _span()


@node
class EnrollAction:
    workflow: str
    enroll: bool
    name_span: Span = _span()
    span: Span = _span()


@node
class Webhook:
    method: str
    url: Expr
    body: Expr | None = None
    headers: Expr | None = None
    auth_secret: str | None = None
    sign_secret: str | None = None
    timeout: Expr | None = None
    alias: str | None = None
    response_type: TypeExpr | None = None
    method_span: Span = _span()
    auth_span: Span = _span()
    sign_span: Span = _span()
    span: Span = _span()


@node
class IfAction:
    branches: tuple[tuple[Expr, tuple[Action, ...]], ...]
    otherwise: tuple[Action, ...] | None
    span: Span = _span()


Action = Union[
    SetAction, ClearAction, IncrementAction, ListAction, SendEmail, Notify, CreateRecord,
    LetAction, DoAction, EnrollAction, Webhook, IfAction,
]


# ---- triggers ---------------------------------------------------------------
@node
class EventTrigger:
    event: str
    where: Expr | None = None
    name_span: Span = _span()
    span: Span = _span()


@node
class CreatedTrigger:
    object_type: str  # "contact" when the source names none
    name_span: Span = _span()
    span: Span = _span()


@node
class ChangedTrigger:
    path: tuple[str, ...]  # (prop,) or (object, prop)
    from_value: Expr | None = None
    to_value: Expr | None = None
    path_span: Span = _span()
    span: Span = _span()


@node
class ListTrigger:
    list_name: str
    added: bool
    name_span: Span = _span()
    span: Span = _span()


@node
class MatchingTrigger:
    condition: Expr
    span: Span = _span()


Trigger = Union[EventTrigger, CreatedTrigger, ChangedTrigger, ListTrigger, MatchingTrigger]


# ---- function bodies ------------------------------------------------------------
@node
class LetStmt:
    name: str
    value: Expr
    span: Span = _span()


@node
class AssignStmt:
    name: str
    value: Expr
    span: Span = _span()


@node
class ForStmt:
    var: str
    iterable: Expr
    body: tuple[Stmt, ...]
    span: Span = _span()


@node
class IfStmt:
    condition: Expr
    then: tuple[Stmt, ...]
    otherwise: tuple[Stmt, ...] | None
    span: Span = _span()


Stmt = Union[LetStmt, AssignStmt, ForStmt, IfStmt]


@node
class FnBlock:
    stmts: tuple[Stmt, ...]
    result: Expr
    span: Span = _span()


# ---- declarations ---------------------------------------------------------------
@node
class PropDecl:
    name: str
    type: TypeExpr
    default: Expr | None = None
    reverse: str | None = None
    span: Span = _span()


@node
class ObjectDecl:
    name: str
    props: tuple[PropDecl, ...]
    name_span: Span = _span()
    span: Span = _span()


@node
class EventDecl:
    name: str
    on_object: str | None
    fields: tuple[FieldType, ...]
    name_span: Span = _span()
    on_span: Span = _span()
    span: Span = _span()


@node
class ListDecl:
    name: str
    display: str | None
    name_span: Span = _span()
    span: Span = _span()


@node
class SecretDecl:
    name: str
    name_span: Span = _span()
    span: Span = _span()


@node
class EmailDecl:
    name: str
    fields: tuple[RecordField, ...]
    name_span: Span = _span()
    span: Span = _span()


@node
class ConstDecl:
    name: str
    value: Expr
    name_span: Span = _span()
    span: Span = _span()


@node
class TypeDecl:
    name: str
    type: TypeExpr
    name_span: Span = _span()
    span: Span = _span()


@node
class Param:
    name: str
    type: TypeExpr
    span: Span = _span()


@node
class ExternFn:
    name: str
    params: tuple[Param, ...]
    result: TypeExpr
    name_span: Span = _span()
    span: Span = _span()


@node
class FnDecl:
    name: str
    params: tuple[Param, ...]
    result: TypeExpr
    body: Expr | FnBlock
    name_span: Span = _span()
    span: Span = _span()


@node
class Rule:
    name: str | None
    trigger: Trigger
    condition: Expr | None
    actions: tuple[Action, ...]
    block: bool = False  # written as `then { ... }` (kept for the printer)
    span: Span = _span()


Decl = Union[ObjectDecl, EventDecl, ListDecl, SecretDecl, EmailDecl, ConstDecl, TypeDecl, ExternFn, FnDecl, Rule]


@node
class Program:
    decls: tuple[Decl, ...]
    span: Span = _span()


def walk(node):
    """`node` and every node below it, parents first. Children sit in attrs fields,
    tuples of them, or tuples of tuples (an `if` action's branches)."""
    if isinstance(node, tuple):
        for item in node:
            yield from walk(item)
    elif attrs.has(type(node)) and not isinstance(node, Span):
        yield node
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            if isinstance(value, tuple) or attrs.has(type(value)):
                yield from walk(value)
