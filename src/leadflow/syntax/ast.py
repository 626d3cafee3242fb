"""The Leadflow AST: frozen attrs nodes, each with a span.

Spans are excluded from equality, so `parse(print(ast)) == ast` compares
meaning, not layout. Sequences are tuples so nodes stay hashable.
Workflows share the rule, trigger and action nodes: a workflow's steps are
actions plus the step kinds below (waits, splits, branches, `stop`), which
the grammar accepts in any action block and the checker refuses in rules.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import attrs

# Imported (not assigned, `node = attrs.frozen`) so that mypy's attrs plugin
# recognises the decorator and types each node's constructor.
from attrs import frozen as node

from leadflow.syntax.span import NOWHERE, Span

_C = TypeVar("_C")  # a kind of workflow clause


def _span() -> Span:
    return attrs.field(default=NOWHERE, eq=False, repr=False, kw_only=True)


# Besides its own span, a node that names something (a property, list, event,
# declaration...) keeps where that name is written (`name_span`,
# `target_span`...), so a diagnostic about the name points at the name and
# not at the keyword opening the action. NOWHERE when built without a source.


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


TypeExpr = NamedType | EnumTypeExpr | ListTypeExpr | RecordTypeExpr | NullableTypeExpr


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


class _Link:
    """Equality and hashing, without recursion, for the nodes that chain on
    their first operand (`a + b + c`, `xs[0][1]`, `r.a.b`): a chain may have
    thousands of links, and attrs' own methods would recurse once per link
    (the formatter compares the script it wrote with the one it read)."""

    __slots__ = ()
    _compared: tuple[str, ...] = ()  # the fields that take part in equality, the first one the chain

    def __eq__(self, other: object) -> bool:
        pairs = [(self, other)]
        while pairs:
            a, b = pairs.pop()
            if type(a) is not type(b):
                return False
            if not isinstance(a, _Link):
                if a != b:
                    return False
                continue
            for name in a._compared:
                pairs.append((getattr(a, name), getattr(b, name)))
        return True

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        parts: list[object] = []
        node = self
        while isinstance(node, _Link):
            parts.append(type(node).__name__)
            parts.extend(getattr(node, name) for name in node._compared[1:])
            node = getattr(node, node._compared[0])
        parts.append(node)
        return hash(tuple(parts))


@attrs.frozen(eq=False)
class Field(_Link):
    subject: Expr
    name: str
    name_span: Span = _span()  # where `.name` is written
    span: Span = _span()
    _compared = ("subject", "name")


@attrs.frozen(eq=False)
class Index(_Link):
    subject: Expr
    index: Expr
    span: Span = _span()
    _compared = ("subject", "index")


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


@attrs.frozen(eq=False)
class Binary(_Link):
    op: str  # + - * / % == != < <= > >= and or ??
    left: Expr
    right: Expr
    span: Span = _span()
    _compared = ("left", "op", "right")


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


@node
class Happened:
    """`happened(EVENT [where COND], since: EXPR)`: did the record get such an event?"""

    event: str
    where: Expr | None
    since: Expr | None
    name_span: Span = _span()
    span: Span = _span()


Expr = (
    NumberLit
    | BoolLit
    | NullLit
    | TextLit
    | DateLit
    | DateTimeLit
    | TimeLit
    | DurationLit
    | ListLit
    | RecordLit
    | Name
    | Field
    | Index
    | Call
    | Unary
    | Binary
    | In
    | IsKnown
    | IfExpr
    | Match
    | Happened
)


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


# ---- workflow steps (actions that only a workflow may hold) -------------------
@node
class Wait:
    duration: Expr
    span: Span = _span()


@node
class WaitUntil:
    """`wait until EXPR [on DAYS]`: a datetime, or a time of day on some days."""

    target: Expr
    days: tuple[str, ...] | None = None
    days_span: Span = _span()
    span: Span = _span()


@node
class WaitFor:
    event: str
    where: Expr | None
    timeout: Expr
    otherwise: tuple[Action, ...] | None
    name_span: Span = _span()
    span: Span = _span()


@node
class SplitArm:
    percent: int | float
    steps: tuple[Action, ...]
    span: Span = _span()


@node
class Split:
    arms: tuple[SplitArm, ...]
    span: Span = _span()


@node
class BranchArm:
    values: tuple[Expr, ...]
    steps: tuple[Action, ...]
    span: Span = _span()


@node
class Branch:
    subject: Expr
    arms: tuple[BranchArm, ...]
    otherwise: tuple[Action, ...] | None
    span: Span = _span()


@node
class Stop:
    span: Span = _span()


Action = (
    SetAction
    | ClearAction
    | IncrementAction
    | ListAction
    | SendEmail
    | Notify
    | CreateRecord
    | LetAction
    | DoAction
    | EnrollAction
    | Webhook
    | IfAction
    | Wait
    | WaitUntil
    | WaitFor
    | Split
    | Branch
    | Stop
)
WORKFLOW_STEPS = (Wait, WaitUntil, WaitFor, Split, Branch, Stop)


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


@node
class ScheduleTrigger:
    """`every day|weekday|monday..sunday at T`, `every month on day N at T`."""

    every: str
    day: int | float | None  # the checker insists on a whole day of the month
    at: dt.time
    where: Expr | None = None
    every_span: Span = _span()
    span: Span = _span()


@node
class FixedDateTrigger:
    """`at DATETIME`: once; a naive datetime is in the engine's time zone."""

    at: dt.datetime
    where: Expr | None = None
    span: Span = _span()


@node
class DateTrigger:
    """`yearly on PROP at T`, or `N UNITS before|after PROP at T`."""

    prop: str
    offset: DurationLit | None  # None for `yearly on`
    before: bool
    at: dt.time
    where: Expr | None = None
    name_span: Span = _span()
    span: Span = _span()

    @property
    def yearly(self) -> bool:
        return self.offset is None


TIMED_TRIGGERS = (ScheduleTrigger, FixedDateTrigger, DateTrigger)

Trigger = (
    EventTrigger
    | CreatedTrigger
    | ChangedTrigger
    | ListTrigger
    | MatchingTrigger
    | ScheduleTrigger
    | FixedDateTrigger
    | DateTrigger
)


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


Stmt = LetStmt | AssignStmt | ForStmt | IfStmt


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


# ---- workflows -------------------------------------------------------------------
@node
class Enrollment:
    trigger: Trigger
    condition: Expr | None
    span: Span = _span()


@node
class Reenroll:
    mode: str  # "never", "after" or "when"
    after: Expr | None = None
    trigger: Trigger | None = None
    span: Span = _span()


@node
class Goal:
    condition: Expr
    span: Span = _span()


@node
class Suppress:
    list_name: str
    name_span: Span = _span()
    span: Span = _span()


@node
class UnenrollWhen:
    condition: Expr
    span: Span = _span()


@node
class Window:
    days: tuple[str, ...]
    start: dt.time
    end: dt.time
    timezone: str | None
    days_span: Span = _span()
    timezone_span: Span = _span()
    span: Span = _span()


Clause = Enrollment | Reenroll | Goal | Suppress | UnenrollWhen | Window


@node
class Workflow:
    """A workflow: its clauses (in source order) and its steps."""

    name: str
    object_type: str  # "contact" when the source names none
    clauses: tuple[Clause, ...]
    steps: tuple[Action, ...]
    name_span: Span = _span()
    object_span: Span = _span()
    span: Span = _span()

    def clauses_of(self, kind: type[_C]) -> list[_C]:
        return [c for c in self.clauses if isinstance(c, kind)]


Decl = (
    ObjectDecl
    | EventDecl
    | ListDecl
    | SecretDecl
    | EmailDecl
    | ConstDecl
    | TypeDecl
    | ExternFn
    | FnDecl
    | Rule
    | Workflow
)


@node
class Program:
    decls: tuple[Decl, ...]
    span: Span = _span()
