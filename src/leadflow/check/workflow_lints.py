"""Lints for workflows: records that leave a branch unmarked, and steps no run reaches.

W403, a lost record. HubSpot's advice, and the design's: every way through
a workflow ends with the record in a list or with a property set, or it
cannot be found again. A branching step (`if`, `split random`, `branch
on`, `wait for ... else`) is checked arm by arm (a `stop` ends an arm too),
the missing `else` of an `if` or `branch on` counting as an empty arm: an
arm is fine if it surely marks the record, or if what surely follows the
branch does. "Surely" is conservative: a mark inside another branch counts
only if every arm of that branch marks. One warning per branching step
names its arms that lose the record, in the words of the workflow's object
type; the branches nested in such an arm are not reported again, since a
mark at the end of the arm would do for them too.

W404, unreachable. A step after a branching step whose every arm ends in
`stop`. (A step right after `stop` in the same block is error E315.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from leadflow.check.workflows import nested_blocks
from leadflow.diagnostics import Diagnostic
from leadflow.syntax import ast
from leadflow.syntax.span import Span

MARKS = (ast.ListAction, ast.SetAction, ast.ClearAction, ast.IncrementAction)
BRANCHING = (ast.IfAction, ast.Split, ast.Branch, ast.WaitFor)


def workflow_lints(program: ast.Program, warning: Callable[..., Diagnostic]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for wf in program.decls:
        if isinstance(wf, ast.Workflow):
            _lost(wf.steps, False, wf.object_type, warning, found)
            _unreachable(wf.steps, warning, found)
    return found


def _arms(step: ast.Action) -> Sequence[tuple[tuple[Any, ...], Span, str]]:
    """(steps, where the arm starts, what the arm is) for each way through a branching step."""
    if isinstance(step, ast.IfAction):
        arms = [(block, condition.span, f"the branch `if {_short(condition)}`") for condition, block in step.branches]
        otherwise = step.otherwise if step.otherwise is not None else ()
        return arms + [(otherwise, otherwise[0].span if otherwise else step.span, "the `else` (written or not)")]
    if isinstance(step, ast.Split):
        return [(arm.steps, arm.span, f"the {arm.percent:g}% arm") for arm in step.arms]
    if isinstance(step, ast.Branch):
        arms = [(arm.steps, arm.span, f"the arm `{', '.join(_short(v) for v in arm.values)}`") for arm in step.arms]
        otherwise = step.otherwise if step.otherwise is not None else ()
        return arms + [(otherwise, otherwise[0].span if otherwise else step.span, "the `else` (written or not)")]
    if isinstance(step, ast.WaitFor) and step.otherwise is not None:  # the event arrived, or it timed out
        return [
            ((), step.span, "the way on when the event arrives"),
            (step.otherwise, step.span, "the `else` when the wait times out"),
        ]
    return []


def _short(expr: ast.Expr) -> str:
    from leadflow.syntax.printer import format_expr

    text = format_expr(expr)
    return text if len(text) <= 40 else text[:37] + "..."


def surely_marks(steps: Sequence[ast.Action]) -> bool:
    for step in steps:
        if isinstance(step, MARKS):
            return True
        if isinstance(step, ast.Stop):
            return False
        arms = _arms(step)
        if arms and all(surely_marks(arm) for arm, _, _ in arms):
            return True
    return False


def always_stops(steps: Sequence[ast.Action]) -> bool:
    for step in steps:
        if isinstance(step, ast.Stop):
            return True
        arms = _arms(step)
        if arms and not isinstance(step, ast.WaitFor) and all(always_stops(arm) for arm, _, _ in arms):
            return True
    return False


def _lost(
    steps: Sequence[ast.Action],
    marked_after: bool,
    object_type: str,
    warning: Callable[..., Diagnostic],
    found: list[Diagnostic],
) -> None:
    for i, step in enumerate(steps):
        arms = _arms(step)
        if not arms:
            continue
        after = marked_after or surely_marks(steps[i + 1 :])
        lost: list[tuple[Span, str]] = []
        for arm, span, what in arms:
            arm_after = after and not always_stops(arm)
            if not surely_marks(arm) and not arm_after:
                lost.append((span, what))
            else:
                _lost(arm, arm_after, object_type, warning, found)
        if lost:
            found.append(
                warning(
                    "W403",
                    f"{_a(object_type)} can leave the workflow here without a list or a property to show for it",
                    _keyword_span(step),
                    f"{_arm_names(lost, step.span.line)} with nothing that marks the {object_type}",
                    (
                        f"end every way through a workflow with `add to LIST` or `set PROPERTY = ...`,"
                        f" so no {object_type} is lost",
                    ),
                )
            )


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _arm_names(lost: list[tuple[Span, str]], line: int) -> str:
    """`the 50% arm (line 4) ends`, `the 50% arm (line 3) and the 50% arm (line 4) end`:
    lines tell arms apart (those on the step's own line need none)."""
    names = [what if span.line == line else f"{what} (line {span.line})" for span, what in lost]
    if len(names) == 1:
        return f"{names[0]} ends"
    return ", ".join(names[:-1]) + f" and {names[-1]} end"


def _keyword_span(step: ast.Action) -> Span:
    """The keyword that opens a branching step: its whole span would cover every arm."""
    keyword = {ast.IfAction: "if", ast.Split: "split", ast.Branch: "branch", ast.WaitFor: "wait"}[type(step)]
    return Span.point(step.span.file, step.span.line, step.span.column, len(keyword))


def _unreachable(steps: Sequence[ast.Action], warning: Callable[..., Diagnostic], found: list[Diagnostic]) -> None:
    for before, after in zip(steps, steps[1:], strict=False):
        if not isinstance(before, ast.Stop) and isinstance(before, BRANCHING) and always_stops([before]):
            found.append(
                warning(
                    "W404", "no run reaches this step", after.span, "every way through the step before ends in `stop`"
                )
            )
            break
    for step in steps:
        for block in nested_blocks(step):
            _unreachable(block, warning, found)
