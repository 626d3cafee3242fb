"""A workflow compiled into a flat list of steps with jumps.

Nested blocks (`if`, `split`, `branch on`, `wait for ... else`) are laid out
one after another, each ending in a jump past the construct, so a run's
place is one index into the list and resuming is a lookup. The index is not
what the store keeps: a run stores the *path* of its next step (`3`,
`3/else/1`, `5/arm2/1`), which names the same step after unrelated edits to
the script; a path that no longer exists parks the run in error instead of
running the wrong step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import attrs

from leadflow.check.types import Type
from leadflow.syntax import ast
from leadflow.syntax.printer import format_action
from leadflow.syntax.span import Span
from leadflow.workflows.calendar import days_of


@attrs.define
class Step:
    kind: str  # do, webhook, wait, until, wait_for, if, jump, split, branch, stop, end
    path: str
    span: Span
    label: str = ""  # what the run log shows: the step's first source line
    run: Callable | None = None  # do, webhook: the compiled action
    value: Callable | None = None  # wait, until, branch: the expression; wait_for: its timeout
    where: Callable | None = None  # wait_for: the event filter
    event: str | None = None
    days: frozenset[int] | None = None  # until ... on DAYS
    conditions: list = attrs.field(factory=list)  # if: [(condition, target index)]
    arms: list = attrs.field(factory=list)  # split: [(percent, target)]; branch: [(values, target)]
    otherwise: int | None = None  # if/branch: the else target; wait_for: the timeout target
    target: int | None = None  # jump; wait_for: where an arrived event continues
    alias: str | None = None  # webhook ... as NAME
    answer_type: Type | None = None  # webhook ... as NAME: the answer's declared type


@attrs.define
class CompiledWorkflow:
    name: str
    subject: str
    zone: ZoneInfo
    steps: list[Step]
    index: dict[str, int]  # path -> position in steps
    enrollments: list[ast.Enrollment]
    reenroll: ast.Reenroll
    reenroll_after: Callable | None
    goal: Callable | None
    unenroll_when: list[Callable]
    suppress: tuple[str, ...]
    window: tuple[frozenset[int], dt.time, dt.time] | None  # (days, opens, closes)
    wait_events: frozenset[str]


def compile_workflow(info, gen, actions, engine_zone: ZoneInfo) -> CompiledWorkflow:
    wf: ast.Workflow = info.workflow
    window = next(iter(wf.clauses_of(ast.Window)), None)
    zone = ZoneInfo(window.timezone) if window and window.timezone else engine_zone
    reenroll = next(iter(wf.clauses_of(ast.Reenroll)), None) or ast.Reenroll("never")
    goal = next(iter(wf.clauses_of(ast.Goal)), None)
    # The steps, goal and `unenroll when` read a datetime literal without an
    # offset in the workflow's zone, as they read `today()` (see runs.py).
    engine_literals, gen.timezone = gen.timezone, zone
    try:
        layout = _Layout(gen, actions, f"wf_{wf.name}")
        layout.block(wf.steps, "")
        layout.steps.append(Step("end", "end", wf.span, "end"))
        goal_fn = gen.function(goal.condition, f"wf_{wf.name}_goal") if goal else None
        unenroll_when = [gen.function(c.condition) for c in wf.clauses_of(ast.UnenrollWhen)]
    finally:
        gen.timezone = engine_literals
    return CompiledWorkflow(
        name=wf.name,
        subject=info.subject,
        zone=zone,
        steps=layout.steps,
        index={step.path: i for i, step in enumerate(layout.steps)},
        enrollments=wf.clauses_of(ast.Enrollment),
        reenroll=reenroll,
        reenroll_after=gen.function(reenroll.after) if reenroll.after is not None else None,
        goal=goal_fn,
        unenroll_when=unenroll_when,
        suppress=tuple(c.list_name for c in wf.clauses_of(ast.Suppress)),
        window=(days_of(window.days), window.start, window.end) if window else None,
        wait_events=frozenset(s.event for s in layout.steps if s.kind == "wait_for" and s.event is not None),
    )


class _Layout:
    def __init__(self, gen, actions, prefix: str):
        self.gen = gen
        self.actions = actions
        self.prefix = prefix
        self.steps: list[Step] = []

    def fn(self, expr):
        return self.gen.function(expr, self.prefix)

    def block(self, steps, path: str) -> None:
        for i, step in enumerate(steps, 1):
            self.step(step, f"{path}/{i}" if path else str(i))

    def _nested(self, steps, path: str, jumps: list[Step]) -> int:
        """Lay out a nested block ending in a jump to be patched; return where it starts."""
        start = len(self.steps)
        self.block(steps, path)
        jump = Step("jump", f"{path}/end", Span("", 0, 0, 0, 0), "")
        self.steps.append(jump)
        jumps.append(jump)
        return start

    def _patch(self, jumps: list[Step]) -> None:
        for jump in jumps:
            jump.target = len(self.steps)

    def step(self, s, path: str) -> None:
        label = format_action(s).splitlines()[0].removesuffix(" {").removesuffix(" else")
        step = Step("", path, s.span, label)
        self.steps.append(step)
        jumps: list[Step] = []
        if isinstance(s, ast.Wait):
            step.kind, step.value = "wait", self.fn(s.duration)
        elif isinstance(s, ast.WaitUntil):
            step.kind, step.value = "until", self.fn(s.target)
            step.days = days_of(s.days)
        elif isinstance(s, ast.WaitFor):
            step.kind, step.event, step.value = "wait_for", s.event, self.fn(s.timeout)
            step.where = self.fn(s.where) if s.where is not None else None
            step.otherwise = len(self.steps)
            if s.otherwise is not None:
                self.block(s.otherwise, f"{path}/else")
            step.target = len(self.steps)
        elif isinstance(s, ast.IfAction):
            step.kind = "if"
            for i, (condition, block) in enumerate(s.branches, 1):
                step.conditions.append((self.fn(condition), self._nested(block, f"{path}/if{i}", jumps)))
            step.otherwise = self._nested(s.otherwise or (), f"{path}/else", jumps)
        elif isinstance(s, ast.Split):
            step.kind = "split"
            for i, arm in enumerate(s.arms, 1):
                step.arms.append((arm.percent, self._nested(arm.steps, f"{path}/arm{i}", jumps)))
        elif isinstance(s, ast.Branch):
            step.kind, step.value = "branch", self.fn(s.subject)
            for i, branch_arm in enumerate(s.arms, 1):
                values = [self.gen.const_value_of(v) for v in branch_arm.values]
                step.arms.append((values, self._nested(branch_arm.steps, f"{path}/arm{i}", jumps)))
            step.otherwise = self._nested(s.otherwise or (), f"{path}/else", jumps)
        elif isinstance(s, ast.Stop):
            step.kind = "stop"
        elif isinstance(s, ast.Webhook) and s.alias is not None:
            step.kind, step.run, step.alias = "webhook", self.actions.action(s, path), s.alias
            step.answer_type = self.gen.type_of(s)
        else:
            step.kind, step.run = "do", self.actions.action(s, path)
        self._patch(jumps)
