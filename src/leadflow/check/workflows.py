"""Type checking of workflows (design section 7) and of the timed triggers
(section 5) that rules and workflows share.

A workflow is checked like a rule whose actions may wait: its clauses in
the scope of the record it enrolls, its steps in order with `let` and
webhook answers (`as info: {...}`) bound for the steps after them, and
`enrolled_at` bound everywhere. On top of types, it enforces what makes a
workflow safe to leave running for months:

* a `split random` whose shares do not add up to 100 (E314);
* a step after `stop` in the same block, which can never run (E315);
* a workflow that enrolls records into itself (`enroll in` itself), or
  whose `reenroll when` trigger its own steps cause, so that every pass
  re-enrolls the record for another (E317);
* an execution window or schedule that names no real day or zone (E312).

`wait for` without a bound cannot be written: the grammar requires
`up to DURATION`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import attrs

from leadflow.check import types as T
from leadflow.check.scope import Scope
from leadflow.diagnostics import suggestion_label
from leadflow.syntax import ast
from leadflow.syntax.span import Span
from leadflow.workflows.calendar import DAY_SETS, SCHEDULE_UNITS

if TYPE_CHECKING:
    from leadflow.check.checker import Checker


@attrs.define
class WorkflowInfo:
    workflow: ast.Workflow
    subject: str  # the object type it enrolls
    title: str  # `workflow nurturing`


def check_workflow(c: Checker, wf: ast.Workflow) -> WorkflowInfo:
    title = f"workflow {wf.name}"
    subject = wf.object_type
    if subject not in c.objects:
        c.error(
            "E213",
            f"unknown object type `{subject}`",
            wf.object_span.or_else(wf.span),
            suggestion_label(subject, c.objects),
            notes=(f"declare it: `object {subject} {{ ... }}`",),
        )
        subject = "contact"
    info = WorkflowInfo(wf, subject, title)
    _single_clauses(c, wf)
    for clause in wf.clauses:
        scope = Scope(subject, where=title, workflow=wf.name)
        if isinstance(clause, ast.Enrollment):
            _enrollment_trigger(c, clause.trigger, scope, subject)
            if clause.condition is not None:
                c.exprs.expect_condition(clause.condition, scope)
        elif isinstance(clause, ast.Reenroll):
            if clause.after is not None:
                c.exprs.expect_value(clause.after, scope, T.DURATION, "the re-enrollment delay")
            if clause.trigger is not None:
                _enrollment_trigger(c, clause.trigger, scope, subject)
        elif isinstance(clause, (ast.Goal, ast.UnenrollWhen)):
            c.exprs.expect_condition(clause.condition, scope)
        elif isinstance(clause, ast.Suppress):
            c.check_list(clause.list_name, clause.name_span.or_else(clause.span))
        elif isinstance(clause, ast.Window):
            _window(c, clause)
    scope = Scope(subject, where=title, workflow=wf.name)
    scope.locals["enrolled_at"] = T.DATETIME
    from leadflow.check.actions import check_actions

    check_actions(c, wf.steps, scope)
    _no_self_enrollment(c, wf)
    return info


def _single_clauses(c: Checker, wf: ast.Workflow) -> None:
    singles: tuple[tuple[type[ast.Goal | ast.Reenroll | ast.Window], str], ...] = (
        (ast.Goal, "goal"),
        (ast.Reenroll, "reenroll"),
        (ast.Window, "window"),
    )
    for kind, word in singles:
        found = wf.clauses_of(kind)
        for extra in found[1:]:
            c.error(
                "E311",
                f"a workflow has one `{word}` clause; this is the second",
                extra.span,
                f"the first is at line {found[0].span.line}; merge them",
            )


def _enrollment_trigger(c: Checker, trigger: ast.Trigger, scope: Scope, subject: str) -> None:
    c.check_trigger(trigger, scope)
    if scope.subject != subject:
        c.error(
            "E310",
            f"this trigger is about {scope.subject} records, but the workflow enrolls {subject}s",
            trigger.span,
            f"use a trigger on {subject} records, or `workflow NAME for {scope.subject}`",
        )
    scope.subject = subject


# ---- steps --------------------------------------------------------------------------
def check_step(c: Checker, step: ast.Action, scope: Scope) -> None:
    """A workflow-only step; the caller has made sure we are in a workflow."""
    from leadflow.check.actions import check_actions

    x = c.exprs
    if isinstance(step, ast.Wait):
        x.expect_value(step.duration, scope, T.DURATION, "the wait")
    elif isinstance(step, ast.WaitUntil):
        target = x.value(step.target, scope, "the time to wait until")
        if target not in (T.DATETIME, T.TIME, T.ANY):
            c.error(
                "E204",
                f"`wait until` takes a datetime or a time of day, not {target}",
                step.target.span,
                "for example `wait until renewal_date_time` or `wait until 09:00 on weekdays`",
            )
        if step.days is not None:
            if target == T.DATETIME:
                c.error("E316", "`on DAYS` goes with a time of day, not a datetime", step.days_span.or_else(step.span))
            check_days(c, step.days, step.days_span.or_else(step.span))
    elif isinstance(step, ast.WaitFor):
        event_scope = scope.child()
        schema = c.events.get(step.event)
        if schema is None:
            c.error(
                "E210",
                f"unknown event `{step.event}`",
                step.name_span.or_else(step.span),
                suggestion_label(step.event, c.events),
                notes=(f"declare it: `event {step.event} {{ ... }}`",),
            )
            event_scope.locals["event"] = T.ANY
        else:
            if schema.object_type != scope.subject:
                c.error(
                    "E310",
                    f"`{step.event}` events are about {schema.object_type} records, not {scope.subject}s",
                    step.name_span.or_else(step.span),
                )
            event_scope.event = schema
        if step.where is not None:
            x.expect_condition(step.where, event_scope)
        x.expect_value(step.timeout, scope, T.DURATION, "the longest wait")
        if step.otherwise is not None:
            check_actions(c, step.otherwise, scope.child())
    elif isinstance(step, ast.Split):
        total = sum(arm.percent for arm in step.arms)
        for arm in step.arms:
            if arm.percent <= 0:
                c.error("E314", "a split share must be more than 0%", arm.span)
            check_actions(c, arm.steps, scope.child())
        if abs(total - 100) > 1e-9:
            shares = " + ".join(f"{arm.percent:g}%" for arm in step.arms)
            c.error(
                "E314", f"the shares of a split add up to {total:g}%, not 100%", step.span, f"{shares} = {total:g}%"
            )
    elif isinstance(step, ast.Branch):
        subject = x.check(step.subject, scope)
        seen: dict[tuple[str, object], Span] = {}
        for branch_arm in step.arms:
            for value in branch_arm.values:
                x.expect(value, scope, T.nullable(T.strip_null(subject)), "a branch value")
                key = _constant_key(c, value)
                if key is not None and key in seen:
                    c.error("E300", "this value already has a branch", value.span, f"first at line {seen[key].line}")
                elif key is not None:
                    seen[key] = value.span
            check_actions(c, branch_arm.steps, scope.child())
        if step.otherwise is not None:
            check_actions(c, step.otherwise, scope.child())
    # Stop needs nothing


def check_block_reachability(c: Checker, steps: Sequence[ast.Action]) -> None:
    """E315 for a step after `stop` in the same block."""
    for before, after in zip(steps, steps[1:], strict=False):
        if isinstance(before, ast.Stop):
            c.error(
                "E315",
                "this step can never run: it comes after `stop`",
                after.span,
                "remove it, or move `stop` into an `if`",
            )
            break


def _constant_key(c: Checker, value: ast.Expr) -> tuple[str, object] | None:
    if isinstance(value, ast.Name):
        resolution = c.names.get(id(value))
        return ("enum", resolution.name) if resolution is not None and resolution.kind == "enum" else None
    if isinstance(value, (ast.NumberLit, ast.BoolLit)):
        return ("lit", value.value)
    if isinstance(value, ast.TextLit) and all(isinstance(p, str) for p in value.parts):
        return ("text", "".join(p for p in value.parts if isinstance(p, str)))
    return None


# ---- windows, days and timed triggers ----------------------------------------------------
def check_days(c: Checker, days: tuple[str, ...], span: Span) -> None:
    for day in days:
        if day not in DAY_SETS:
            c.error(
                "E312",
                f"`{day}` is not a day",
                span,
                suggestion_label(day, DAY_SETS),
                notes=("days are " + ", ".join(DAY_SETS),),
            )


def check_timezone(c: Checker, name: str, span: Span) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        notes = ['time zones are IANA names such as "Europe/Paris" or "America/New_York"']
        if "{" in name:
            notes.append("a time zone is written out: `{...}` is not filled in here")
        c.error(
            "E312",
            f'unknown time zone "{name}"',
            span,
            suggestion_label(name, sorted(available_timezones())),
            notes=tuple(notes),
        )


def _window(c: Checker, window: ast.Window) -> None:
    check_days(c, window.days, window.days_span.or_else(window.span))
    if window.start >= window.end:
        c.error(
            "E312",
            "a window closes after it opens",
            window.span,
            f"{window.start:%H:%M}-{window.end:%H:%M} is empty; windows cannot span midnight",
        )
    if window.timezone is not None:
        check_timezone(c, window.timezone, window.timezone_span.or_else(window.span))


def check_timed_trigger(
    c: Checker, trigger: ast.ScheduleTrigger | ast.FixedDateTrigger | ast.DateTrigger, scope: Scope
) -> None:
    if isinstance(trigger, ast.ScheduleTrigger):
        if trigger.every not in SCHEDULE_UNITS:
            c.error(
                "E312",
                f"`every {trigger.every}` is not a schedule",
                trigger.every_span.or_else(trigger.span),
                suggestion_label(trigger.every, SCHEDULE_UNITS),
                notes=("schedules are every " + ", ".join(SCHEDULE_UNITS),),
            )
        elif (trigger.every == "month") != (trigger.day is not None):
            hint = (
                "write `every month on day N at HH:MM`"
                if trigger.day is None
                else "only `every month` takes `on day N`"
            )
            c.error(
                "E312",
                "which day of the month?" if trigger.day is None else "`on day N` goes with `every month`",
                trigger.span,
                hint,
            )
        elif trigger.day is not None and (trigger.day != int(trigger.day) or not 1 <= trigger.day <= 31):
            c.error("E312", f"day {trigger.day:g} is not a day of the month", trigger.span, "from 1 to 31")
    elif isinstance(trigger, ast.DateTrigger):
        prop = c.objects[scope.subject].properties.get(trigger.prop) if scope.subject else None
        where = trigger.name_span.or_else(trigger.span)
        if prop is None:
            c.error(
                "E202",
                f"{scope.subject} has no property `{trigger.prop}`",
                where,
                suggestion_label(trigger.prop, c.objects[scope.subject].properties if scope.subject else ()),
            )
        elif T.strip_null(prop.type) not in (T.DATE, T.DATETIME):
            c.error("E204", f"`{trigger.prop}` is {prop.type}; a date trigger needs a date or datetime property", where)
        if trigger.offset is not None:
            c.exprs.check(trigger.offset, scope, T.DURATION)
    if trigger.where is not None:
        c.exprs.expect_condition(trigger.where, scope)


# ---- variables and safety -----------------------------------------------------------------
def walk_steps(steps: Iterable[ast.Action]) -> Iterator[ast.Action]:
    """Every step of a block, nested blocks included, in source order."""
    for step in steps:
        yield step
        for block in nested_blocks(step):
            yield from walk_steps(block)


def nested_blocks(step: ast.Action) -> list[tuple[Any, ...]]:
    if isinstance(step, ast.IfAction):
        return [block for _, block in step.branches] + ([step.otherwise] if step.otherwise is not None else [])
    if isinstance(step, ast.WaitFor):
        return [step.otherwise] if step.otherwise is not None else []
    if isinstance(step, ast.Split):
        return [arm.steps for arm in step.arms]
    if isinstance(step, ast.Branch):
        return [arm.steps for arm in step.arms] + ([step.otherwise] if step.otherwise is not None else [])
    return []


def _no_self_enrollment(c: Checker, wf: ast.Workflow) -> None:
    for step in walk_steps(wf.steps):
        if isinstance(step, ast.EnrollAction) and step.enroll and step.workflow == wf.name:
            c.error(
                "E317",
                f"workflow {wf.name} cannot enroll records into itself",
                step.span,
                "a record in the workflow is not enrolled again; to start over use `reenroll`",
            )
    reenroll = next(iter(wf.clauses_of(ast.Reenroll)), None)
    if reenroll is None or reenroll.mode != "when":
        return
    cause = _step_causing(wf.steps, reenroll.trigger)
    if cause is not None:
        c.error(
            "E317",
            f"workflow {wf.name} would re-enroll records endlessly",
            reenroll.span,
            f"its own step at line {cause.span.line} fires this trigger, so every pass starts another",
            notes=("use `reenroll after DURATION` to bound it, or a trigger the steps do not cause",),
        )


def _step_causing(steps: Sequence[ast.Action], trigger: ast.Trigger | None) -> ast.Action | None:
    for step in walk_steps(steps):
        if isinstance(trigger, ast.ListTrigger) and isinstance(step, ast.ListAction):
            if step.list_name == trigger.list_name and step.add == trigger.added:
                return step
        elif isinstance(trigger, ast.ChangedTrigger) and isinstance(
            step, (ast.SetAction, ast.ClearAction, ast.IncrementAction)
        ):
            if step.target[-1] == trigger.path[-1] and len(step.target) == 1:
                return step
        elif (
            isinstance(trigger, ast.CreatedTrigger)
            and isinstance(step, ast.CreateRecord)
            and step.object_type == trigger.object_type
        ):
            return step
    return None
