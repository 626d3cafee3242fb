"""Compiled rules and the index that finds them.

A rule is compiled once into its trigger filter, condition and action block.
The index maps each kind of happening (an event by name, a record created, a
property changed, a list joined or left, a condition becoming true) to the
rules it can fire, in declaration order, so processing an event costs in
proportion to the rules that can react, not to all rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import attrs

from leadflow.check.program import CheckedProgram, RuleInfo
from leadflow.interpreter.actions import ActionCompiler
from leadflow.interpreter.compile import Codegen
from leadflow.syntax import ast
from leadflow.syntax.walk import walk


@attrs.define
class CompiledRule:
    info: RuleInfo
    run: Callable[..., Any]
    condition: Callable[..., Any] | None = None  # the rule's `if` (and the trigger's `where`)
    from_value: Callable[..., Any] | None = None  # for `changed from X`
    to_value: Callable[..., Any] | None = None
    # the info's, copied: read several times on every run of the rule
    index: int = attrs.field(init=False)
    title: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.index = self.info.index
        self.title = self.info.title


@attrs.define
class RuleIndex:
    events: dict[str, list[CompiledRule]] = attrs.field(factory=lambda: defaultdict(list))
    created: dict[str, list[CompiledRule]] = attrs.field(factory=lambda: defaultdict(list))
    changed: dict[tuple[str, str], list[CompiledRule]] = attrs.field(factory=lambda: defaultdict(list))
    added: dict[str, list[CompiledRule]] = attrs.field(factory=lambda: defaultdict(list))
    removed: dict[str, list[CompiledRule]] = attrs.field(factory=lambda: defaultdict(list))
    # matching rules, by the (object type, property) their condition reads
    matching: dict[tuple[str, str], list[CompiledRule]] = attrs.field(factory=lambda: defaultdict(list))
    matching_by_type: dict[str, list[CompiledRule]] = attrs.field(factory=lambda: defaultdict(list))
    all: list[CompiledRule] = attrs.field(factory=list)


def compile_rules(checked: CheckedProgram, gen: Codegen, actions: ActionCompiler) -> RuleIndex:
    index = RuleIndex()
    for info in checked.rules:
        add_rule(index, checked, gen, info, actions.block(info.rule.actions, f"r{info.index}"))
    return index


def add_rule(
    index: RuleIndex, checked: CheckedProgram, gen: Codegen, info: RuleInfo, run: Callable[..., Any]
) -> CompiledRule:
    """Compile a rule's trigger and condition around `run` and index it.

    Workflows index their enrollment triggers this way too, with a `run` that
    enrolls the record. Timed triggers are not indexed: the scheduler fires them.
    """
    rule = info.rule
    trigger = rule.trigger
    conditions = [c for c in (getattr(trigger, "where", None), rule.condition) if c is not None]
    if isinstance(trigger, ast.MatchingTrigger):
        conditions.insert(0, trigger.condition)
    compiled = CompiledRule(info, run)
    if conditions:
        combined = conditions[0] if len(conditions) == 1 else _and_all(conditions)
        compiled.condition = gen.function(combined, f"rule{info.index}")
    index.all.append(compiled)
    if isinstance(trigger, ast.EventTrigger):
        index.events[trigger.event].append(compiled)
    elif isinstance(trigger, ast.CreatedTrigger):
        index.created[trigger.object_type].append(compiled)
    elif isinstance(trigger, ast.ChangedTrigger):
        if trigger.from_value is not None:
            compiled.from_value = gen.function(trigger.from_value, f"from{info.index}")
        if trigger.to_value is not None:
            compiled.to_value = gen.function(trigger.to_value, f"to{info.index}")
        index.changed[(info.subject, trigger.path[-1])].append(compiled)
    elif isinstance(trigger, ast.ListTrigger):
        (index.added if trigger.added else index.removed)[trigger.list_name].append(compiled)
    elif isinstance(trigger, ast.MatchingTrigger):
        index.matching_by_type[info.subject].append(compiled)
        # the rule's `if` is part of what must become true: its properties are watched too
        for prop in set().union(*(properties_read(checked, c) for c in conditions)):
            index.matching[(info.subject, prop)].append(compiled)
    return compiled


def _and_all(conditions: list[Any]) -> Any:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = Conjunction(combined, condition)
    return combined


@attrs.frozen
class Conjunction:
    """`a and b` for conditions that both must hold (trigger filter, rule `if`)."""

    left: object
    right: object


def properties_read(checked: CheckedProgram, expr: Any) -> set[str]:
    """The current record's properties an expression reads."""
    found: set[str] = set()
    for node in walk(expr):
        if isinstance(node, ast.Name):
            resolution = checked.names.get(id(node))
            if resolution is not None and resolution.kind == "prop":
                found.add(resolution.name)
        elif isinstance(node, ast.Field) and isinstance(node.subject, ast.Name):
            resolution = checked.names.get(id(node.subject))
            if resolution is not None and resolution.kind == "self":  # `contact.score` in a contact rule
                found.add(node.name)
    return found
