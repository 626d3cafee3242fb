"""Lint W402: a `matching` rule whose own write arms it again.

A `matching COND` rule fires when COND goes from false to true. When its
actions write a property COND reads, with a value that makes COND false, the
rule is armed again: the next change that makes COND true fires it once more
(`when matching score > 90 then set score = 0`, with a score that keeps
growing). That is rarely what is meant, and with another rule that writes
the property back it is a loop that only the cascade limit stops.

Whether COND can turn true again depends on the property:
* a number, text, date... can take any value from any write (an increment,
  an import, an `upsert` event): the rule is reported as soon as its write
  makes COND false;
* an enum or a bool moves between a few values, and scripts use it as a state
  machine: `set lifecycle = sql` in a rule matching `lifecycle == mql` moves a
  lead on, it is no loop. Here the rule is reported only if the script's
  rules can bring the property back to a value for which COND holds. Each
  write is a transition from the values its rule's conditions allow to the
  values it writes; the transitions are followed from the value the rule
  wrote. Writes from outside the script (imports, `upsert`) are data, not
  automation, and are not followed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from leadflow.check import types as T
from leadflow.check.facts import NOT_CONSTANT, Conditions, Facts, guarded, rule_filters
from leadflow.check.program import RuleInfo
from leadflow.check.targets import written_object
from leadflow.diagnostics import Diagnostic
from leadflow.syntax import ast
from leadflow.syntax.walk import walk

WRITES = (ast.SetAction, ast.ClearAction, ast.IncrementAction)


@attrs.frozen
class Write:
    rule: RuleInfo
    action: ast.SetAction | ast.ClearAction | ast.IncrementAction
    object_type: str
    prop: str
    values: frozenset[Any] | None  # what may be written (None inside stands for null); None: not known
    guards: tuple[tuple[ast.Expr, bool], ...]  # conditions that hold (True) or failed (False) when it runs
    on_subject: bool  # it writes the rule's own record, so the guards speak about the old value


def rearming_writes(conditions: Conditions) -> list[Diagnostic]:
    writes = _writes(conditions)
    found = []
    for info in conditions.checked.rules:
        if not isinstance(info.rule.trigger, ast.MatchingTrigger):
            continue
        matching = [(c, True) for c in rule_filters(info.rule)]
        read = _properties_read(conditions, [c for c, _ in matching])
        reported = set()
        for write in writes:
            if write.rule is not info or not write.on_subject or write.values is None:
                continue
            if write.prop not in read or write.prop in reported:
                continue
            prop_type = conditions.checked.objects[info.subject].properties[write.prop].type
            if any(_holds_with(conditions, matching, write.prop, prop_type, v) for v in write.values):
                continue  # the rule may still match after its write: nothing re-arms
            members = _finite_domain(prop_type)
            if members is None:
                label = f"when `{write.prop}` changes again the condition can turn true, and the rule runs again"
            else:
                way_back = _way_back(conditions, writes, info, matching, write, members)
                if way_back is None:
                    continue
                back, value = way_back
                label = f"{back.rule.title} can set `{write.prop}` back to `{_show(value)}`"
            reported.add(write.prop)
            found.append(
                Diagnostic(
                    "W402",
                    "this write makes the rule's `matching` condition false, so the rule can fire again",
                    write.action.span,
                    label,
                    ("to act once per record, keep that in another property (`set alerted = true`) and match on it",),
                    severity="warning",
                )
            )
    return found


def _writes(conditions: Conditions) -> list[Write]:
    """Every property write of every rule, with the conditions under which it runs."""
    checked = conditions.checked
    found: list[Write] = []
    for info in checked.rules:
        filters = tuple((c, True) for c in rule_filters(info.rule))
        for step in guarded(info.rule.actions):
            node = step.node
            if not isinstance(node, WRITES):
                continue
            target = written_object(checked, info, node.target)
            if target is not None:
                object_type, on_subject = target
                found.append(
                    Write(
                        info,
                        node,
                        object_type,
                        node.target[-1],
                        _written(conditions, node),
                        filters + step.outer,
                        on_subject,
                    )
                )
    # After a rule's first write of a property, its conditions no longer describe
    # the value a second write replaces: such writes count as coming from anywhere.
    twice = Counter((id(w.rule), w.object_type, w.prop) for w in found)
    return [attrs.evolve(w, on_subject=w.on_subject and twice[(id(w.rule), w.object_type, w.prop)] == 1) for w in found]


def _written(
    conditions: Conditions, action: ast.SetAction | ast.ClearAction | ast.IncrementAction
) -> frozenset[Any] | None:
    if isinstance(action, ast.ClearAction):
        return frozenset({None})
    if isinstance(action, ast.IncrementAction):
        return None
    return _values(conditions, action.value)


def _values(conditions: Conditions, expr: ast.Expr) -> frozenset[Any] | None:
    """The values an expression can have, when they are all written out in it."""
    if isinstance(expr, ast.NullLit):
        return frozenset({None})
    value = conditions.constant(expr)
    if value is not NOT_CONSTANT:
        return frozenset({value})
    if isinstance(expr, ast.IfExpr):
        branches = [expr.then, expr.otherwise]
    elif isinstance(expr, ast.Match):
        branches = [c.value for c in expr.cases] + ([expr.default] if expr.default is not None else [])
    else:
        return None
    found = [_values(conditions, b) for b in branches]
    known = [values for values in found if values is not None]
    return frozenset().union(*known) if len(known) == len(found) else None


def _properties_read(conditions: Conditions, exprs: Iterable[ast.Expr]) -> set[str]:
    keys = (conditions.subject_key(n) for e in exprs for n in walk(e) if isinstance(n, (ast.Name, ast.Field)))
    return {key[1] for key in keys if key is not None and key[0] == "prop" and len(key) == 2}


def _finite_domain(t: T.Type) -> tuple[Any, ...] | None:
    members = Facts.of_type(t).members
    if members is None:
        return None
    return members + ((None,) if T.is_nullable(t) else ())


def _holds_with(
    conditions: Conditions, said: Iterable[tuple[ast.Expr, bool]], prop: str, prop_type: T.Type, value: Any
) -> bool:
    """Whether the conditions in `said`, each (expr, holds), may all turn out so while `prop` is `value`."""
    facts = Facts.of_type(prop_type)
    facts = facts.narrowed("unknown", None, False) if value is None else facts.narrowed("==", value, True)
    return bool(conditions.assume_all(said, [{("prop", prop): facts}]))


def _way_back(
    conditions: Conditions, writes: list[Write], info: RuleInfo, matching: Any, rearming: Write, domain: Any
) -> tuple[Write, Any] | None:
    """(a write, the value it gives) that brings the property back to matching, or None."""
    prop_type = conditions.checked.objects[info.subject].properties[rearming.prop].type

    def may_run_from(write: Write, value: Any) -> bool:
        # a write to another record (through an association) may come from any value
        return not write.on_subject or _holds_with(conditions, write.guards, write.prop, prop_type, value)

    relevant = [w for w in writes if (w.object_type, w.prop) == (info.subject, rearming.prop)]
    assert rearming.values is not None  # a rearming write gives known values
    reached = set(rearming.values)
    frontier = list(reached)
    while frontier:
        value = frontier.pop()
        for write in relevant:
            if not may_run_from(write, value):
                continue
            for new in write.values if write.values is not None else domain:
                if new in reached:
                    continue
                if _holds_with(conditions, matching, rearming.prop, prop_type, new):
                    return write, new
                reached.add(new)
                frontier.append(new)
    return None


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
