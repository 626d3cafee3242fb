"""What a condition says about the values it reads: the evidence behind lint
W401, "this condition is never true".

A condition is read as constraints on *subjects*: values that cannot change
while one condition is evaluated (a property of the record, a local, a field
of the event or of an associated record). For each subject, `Facts` keeps
whether it may still be null and which values it may still have: an allowed
set, an excluded set and, for numbers and dates, bounds. `and` narrows, `or`
splits into alternatives, `not` turns an atom into its complement. A state
is one alternative: subject -> Facts.

Soundness is the point. A condition is reported only when no alternative
survives. Whatever is not understood (a call, arithmetic, `??`, a comparison
of two subjects) narrows nothing, so it can only make the answer "maybe";
past MAX_ALTERNATIVES an `or` learns nothing, for the same reason.

Null follows the language's rule (design section 3): a comparison with null
is false and only `== null` / `is unknown` hold for it. So `x != 3` needs a
value, while its complement `not (x != 3)` holds for 3 and for null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from leadflow.check import types as T
from leadflow.check.program import CheckedProgram
from leadflow.syntax import ast
from leadflow.syntax.printer import format_expr

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
COMPLEMENT = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "in": "not in",
    "not in": "in",
    "known": "unknown",
    "unknown": "known",
}
MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
MAX_ALTERNATIVES = 64
NOT_CONSTANT = object()

# A subject's value: a number, bool, date, text or enum member name, compared as Python
# compares them (a mismatch the checker let through as `any` raises TypeError, caught).
Value = Any
# One alternative: what is known of each subject, by `Conditions.subject_key`.
State = dict[tuple[str, ...], "Facts"]


@attrs.frozen
class Facts:
    """What one subject may still be, in one alternative."""

    may_be_null: bool
    members: tuple[Value, ...] | None = None  # a finite domain in declared order (enum members, true/false)
    ordered: bool = False  # numbers and dates: bounds apply
    allowed: frozenset[Value] | None = None  # None: any value of its type
    excluded: frozenset[Value] = frozenset()
    low: tuple[Value, bool] | None = None  # (value, inclusive)
    high: tuple[Value, bool] | None = None
    said: tuple[tuple[str, bool], ...] = ()  # (atom as written, held or not), for the message

    @classmethod
    def of_type(cls, t: T.Type) -> Facts:
        base = T.strip_null(t)
        members = base.members if isinstance(base, T.EnumType) else (True, False) if base == T.BOOL else None
        return cls(T.is_nullable(t) or base == T.ANY, members, base in (T.NUMBER, T.DATE))

    def possible(self) -> bool:
        return self.may_be_null or self.has_value()

    def has_value(self) -> bool:
        if self.members is not None:
            return any(self._admits(m) for m in self.members)
        if self.allowed is not None:
            return any(self._admits(v) for v in self.allowed)
        return self._interval_open()

    def _admits(self, value: Value) -> bool:
        if (self.allowed is not None and value not in self.allowed) or value in self.excluded:
            return False
        try:
            if self.low is not None and (value < self.low[0] or (value == self.low[0] and not self.low[1])):
                return False
            if self.high is not None and (value > self.high[0] or (value == self.high[0] and not self.high[1])):
                return False
        except TypeError:  # values the checker let through as `any`: assume they fit
            return True
        return True

    def _interval_open(self) -> bool:
        if self.low is None or self.high is None:
            return True
        (low, low_in), (high, high_in) = self.low, self.high
        try:
            if low < high:  # numbers are dense and a few excluded points cannot empty a range
                return True
            return low == high and low_in and high_in and low not in self.excluded
        except TypeError:
            return True

    def narrowed(self, op: str, value: Value, needs_value: bool) -> Facts:
        facts = self
        if op == "unknown":
            facts = attrs.evolve(facts, allowed=frozenset())
        elif op == "==":
            facts = facts._allow({value})
        elif op == "!=":
            facts = attrs.evolve(facts, excluded=facts.excluded | {value})
        elif op == "in":
            facts = facts._allow(set(value))
        elif op == "not in":
            facts = attrs.evolve(facts, excluded=facts.excluded | set(value))
        elif op in ("<", "<=", ">", ">="):
            facts = facts._ordered(op, value)
        if needs_value or op == "known":
            facts = attrs.evolve(facts, may_be_null=False)
        return facts

    def _allow(self, values: set[Value]) -> Facts:
        allowed = frozenset(values) if self.allowed is None else self.allowed & values
        return attrs.evolve(self, allowed=allowed)

    def _ordered(self, op: str, value: Value) -> Facts:
        if self.members is not None:  # enum members order as declared
            if value not in self.members:
                return self
            at = self.members.index(value)
            keep = {m for i, m in enumerate(self.members) if _compare(i, op, at)}
            return self._allow(keep)
        if not self.ordered:
            return self
        inclusive = op in ("<=", ">=")
        if isinstance(value, dt.date) and not inclusive:  # dates are whole days: `> d` is `>= d + 1 day`
            value += dt.timedelta(days=1 if op == ">" else -1)
            inclusive = True
        bound = (value, inclusive)
        try:
            if op in (">", ">="):
                low = bound if self.low is None or _tighter(bound, self.low, lower=True) else self.low
                return attrs.evolve(self, low=low)
            high = bound if self.high is None or _tighter(bound, self.high, lower=False) else self.high
            return attrs.evolve(self, high=high)
        except TypeError:
            return self


def _compare(a: int, op: str, b: int) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _tighter(new: tuple[Value, bool], old: tuple[Value, bool], lower: bool) -> bool:
    if new[0] == old[0]:
        return not new[1]  # at the same value, an exclusive bound is the tighter one
    return bool(new[0] > old[0] if lower else new[0] < old[0])


@attrs.frozen
class Narrowing:
    """One atom's effect on one subject."""

    key: tuple[str, ...]
    type: T.Type
    op: str  # a comparison, "in", "not in", "known", "unknown", or "value" (only needs a value)
    value: Value
    needs_value: bool
    quote: str  # the atom as written
    held: bool  # the atom holds (False: it was negated)


class Conditions:
    """Reads the conditions of one checked program into alternatives of facts."""

    def __init__(self, checked: CheckedProgram):
        self.checked = checked
        self.reasons: list[str] = []

    # ---- entry points --------------------------------------------------------------
    def assume(self, condition: ast.Expr, states: list[State], holds: bool = True) -> list[State]:
        """The alternatives left once `condition` is known to hold (or not)."""
        return self._refine(condition, holds, states)

    def assume_all(self, said: Iterable[tuple[ast.Expr, bool]], states: list[State]) -> list[State]:
        """The alternatives left once each (condition, holds) of `said` is known."""
        for condition, holds in said:
            states = self._refine(condition, holds, states)
        return states

    def never_true(self, condition: ast.Expr, context: list[State]) -> str | None:
        """Why `condition` can never hold given `context`, or None if it may.
        An empty context (itself impossible) says nothing about the condition."""
        self.reasons = []
        if not context or self._refine(condition, True, context):
            return None
        return self.reasons[0] if self.reasons else "it contradicts itself"

    def subject_key(self, expr: ast.Expr) -> tuple[str, ...] | None:
        """What names a value that stays the same during one evaluation, or None."""
        if isinstance(expr, ast.Name):
            resolution = self.checked.names.get(id(expr))
            if resolution is not None and resolution.kind in ("prop", "local"):
                return (resolution.kind, resolution.name)
            return None
        if isinstance(expr, ast.Field) and isinstance(expr.subject, ast.Name):
            resolution = self.checked.names.get(id(expr.subject))
            if resolution is not None and resolution.kind == "event":
                return ("event", expr.name)
            if resolution is not None and resolution.kind == "self":
                return ("prop", expr.name)
        if isinstance(expr, ast.Field):
            owner = self.subject_key(expr.subject)
            return owner + (expr.name,) if owner is not None else None
        return None

    def constant(self, expr: ast.Expr) -> Value:
        """The value of a literal, an enum member or a constant; NOT_CONSTANT otherwise."""
        if isinstance(expr, (ast.NumberLit, ast.BoolLit, ast.DateLit)):
            return expr.value
        if isinstance(expr, ast.TextLit) and len(expr.parts) == 1 and isinstance(expr.parts[0], str):
            return expr.parts[0]
        if isinstance(expr, ast.Unary) and expr.op == "-" and isinstance(expr.operand, ast.NumberLit):
            return -expr.operand.value
        if isinstance(expr, ast.Name):
            resolution = self.checked.names.get(id(expr))
            if resolution is not None and resolution.kind == "enum":
                return resolution.name
            if resolution is not None and resolution.kind == "const" and resolution.name in self.checked.consts:
                return self.constant(self.checked.consts[resolution.name].value)
        return NOT_CONSTANT

    # ---- the reading ---------------------------------------------------------------
    def _refine(self, expr: ast.Expr, holds: bool, states: list[State]) -> list[State]:
        if not states:
            return states
        if isinstance(expr, ast.Binary) and expr.op in ("and", "or"):
            operands = chain_operands(expr)  # a chain of a thousand `and` is read without recursion
            if (expr.op == "and") == holds:  # `a and b` holds, or `a or b` fails: every side applies
                for operand in operands:
                    states = self._refine(operand, holds, states)
                return states
            either = [state for operand in operands for state in self._refine(operand, holds, states)]
            return either if len(either) <= MAX_ALTERNATIVES else states
        if isinstance(expr, ast.Unary) and expr.op == "not":
            return self._refine(expr.operand, not holds, states)
        if isinstance(expr, ast.BoolLit):
            if expr.value != holds:
                self.reasons.append("`false` is never true" if holds else "`true` always holds")
                return []
            return states
        narrowings = self._atom(expr, holds)
        survivors = []
        for state in states:
            narrowed = state
            for narrowing in narrowings:
                further = self._narrow(narrowed, narrowing)
                if further is None:
                    break
                narrowed = further
            else:
                survivors.append(narrowed)
        return survivors

    def _narrow(self, state: State, n: Narrowing) -> State | None:
        before = state.get(n.key) or Facts.of_type(n.type)
        facts = before.narrowed(n.op, n.value, n.needs_value)
        facts = attrs.evolve(facts, said=before.said + ((n.quote, n.held),))
        if not facts.possible():
            self.reasons.append(_why(facts, n))
            return None
        return {**state, n.key: facts}

    def _atom(self, expr: ast.Expr, holds: bool) -> list[Narrowing]:
        def on(subject: ast.Expr, op: str, value: Value = None, needs_value: bool | None = None) -> list[Narrowing]:
            key = self.subject_key(subject)
            if key is None:
                return []
            op = op if holds else COMPLEMENT.get(op, op)
            needs = holds if needs_value is None else needs_value
            return [Narrowing(key, self._type(subject), op, value, needs, _quote(expr), holds)]

        if isinstance(expr, ast.Binary) and expr.op in COMPARISONS:
            left, right = self.constant(expr.left), self.constant(expr.right)
            if isinstance(expr.right, ast.NullLit) or isinstance(expr.left, ast.NullLit):
                subject = expr.left if isinstance(expr.right, ast.NullLit) else expr.right
                return on(subject, "unknown" if expr.op == "==" else "known", needs_value=False)
            if right is not NOT_CONSTANT and left is NOT_CONSTANT:
                return on(expr.left, expr.op, right)
            if left is not NOT_CONSTANT and right is NOT_CONSTANT:
                return on(expr.right, MIRRORED[expr.op], left)
            # two values compared: nothing is learnt but that both have one
            return (on(expr.left, "value") + on(expr.right, "value")) if holds else []
        if isinstance(expr, ast.In):
            op = "not in" if expr.negated else "in"
            if isinstance(expr.container, ast.ListLit):
                values = [self.constant(item) for item in expr.container.items]
                if NOT_CONSTANT not in values:
                    return on(expr.item, op, tuple(values))
            if not holds:
                return []
            # `x in c` is false for a null item or container; `x not in c` only for a null item
            return on(expr.item, "value") + ([] if expr.negated else on(expr.container, "value"))
        if isinstance(expr, ast.IsKnown):
            return on(expr.operand, "known" if expr.known else "unknown", needs_value=False)
        if T.strip_null(self._type(expr)) == T.BOOL:  # a bool used as a condition: `vip`
            return on(expr, "==", True)
        return []

    def _type(self, expr: ast.Expr) -> T.Type:
        return self.checked.types.get(id(expr), T.ANY)


def _quote(expr: ast.Expr) -> str:
    try:
        return format_expr(expr)
    except ValueError:  # the printer refuses a few shapes it cannot write back; the message need not
        return "this comparison"


def _why(facts: Facts, n: Narrowing) -> str:
    """The reason an alternative died, from what was said about its subject."""
    held = [f"`{quote}`" for quote, h in facts.said if h]
    failed = [f"`{quote}`" for quote, h in facts.said if not h]
    if len(facts.said) == 1:
        if n.op == "unknown":
            return f"`{_subject_text(n)}` always has a value (it is {T.strip_null(n.type)})"
        if n.op == "in" and not n.value:
            return "nothing is in an empty list"
        return f"no {_type_text(n.type)} makes `{n.quote}` true"
    if not failed:
        return f"{_listed(held)} cannot {'both' if len(held) == 2 else 'all'} hold"
    if not held:
        return f"{_listed(failed)} cannot {'both' if len(failed) == 2 else 'all'} be false"
    return f"{_listed(held)} cannot hold when {_listed(failed)} {'is' if len(failed) == 1 else 'are'} false"


def _subject_text(n: Narrowing) -> str:
    return ".".join(n.key[1:]) if n.key[0] != "event" else "event." + ".".join(n.key[1:])


def _type_text(t: T.Type) -> str:
    base = T.strip_null(t)
    if isinstance(base, T.EnumType):
        return f"member of {base}"
    return f"{base} value"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# ---- what is known where, in a rule ------------------------------------------------------
def rule_filters(rule: ast.Rule) -> list[ast.Expr]:
    """The conditions that hold whenever a rule runs: its trigger's `where` or
    `matching` condition, and its `if` (the engine tests them together)."""
    trigger = rule.trigger
    candidates = (getattr(trigger, "where", None), getattr(trigger, "condition", None), rule.condition)
    return [c for c in candidates if c is not None]


@attrs.frozen
class Guarded:
    """An action of a rule's body, or the condition of a branch of an `if`,
    with what is known when it is reached."""

    node: object
    outer: tuple[tuple[ast.Expr, bool], ...]  # (condition, held) of the branches it is inside
    failed: tuple[ast.Expr, ...] = ()  # for a branch condition: the branches before it, which failed
    is_condition: bool = False


def guarded(actions: Iterable[ast.Action], outer: tuple[tuple[ast.Expr, bool], ...] = ()) -> Iterator[Guarded]:
    """Every action and branch condition of a rule's body, in order. The
    conditions hold when the branch is entered; whether the actions before a
    point wrote what they speak about is for the reader to judge."""
    for action in actions:
        if not isinstance(action, ast.IfAction):
            yield Guarded(action, outer)
            continue
        failed: tuple[ast.Expr, ...] = ()
        for condition, block in action.branches:
            yield Guarded(condition, outer, failed, is_condition=True)
            yield from guarded(block, outer + tuple((f, False) for f in failed) + ((condition, True),))
            failed += (condition,)
        if action.otherwise is not None:
            yield from guarded(action.otherwise, outer + tuple((f, False) for f in failed))


def chain_operands(expr: ast.Binary) -> list[ast.Expr]:
    """The operands of a left-nested chain of one operator, `a and b and c`, in order."""
    operands = []
    node: ast.Expr = expr
    while isinstance(node, ast.Binary) and node.op == expr.op:
        operands.append(node.right)
        node = node.left
    operands.append(node)
    operands.reverse()
    return operands
