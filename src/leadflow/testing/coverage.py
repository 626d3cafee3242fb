"""Which rules, workflow steps and branches the tests reached (`leadflow test --coverage`).

What is counted, per script file:
* a **rule** is covered when its actions ran (its trigger came and its
  condition held), whatever started it: an event, a cascade, a schedule;
* each **arm of a rule's `if`** (every `if` / `else if` block, and the
  `else`, written or not: an `if` without one can still be false);
* each **workflow step**, and each way out of a decision: the arms of `if`
  (the unwritten `else` too), `split random` and `branch on`, and both
  outcomes of `wait for` (the event arrived, the wait timed out).

How it is seen, without slowing an engine that is not measured:
* rules and their `if` arms through the engine's `probe`: the action
  compiler then makes every action block report its path (`r3`,
  `r3/0/if1`) when it starts; without a probe the compiled code is unchanged;
* workflow steps and arms from the run log, which names the step of every
  entry and the target of every branch; a `wait until` whose moment has
  passed writes no log entry, so the compiled steps of a measured engine
  also note when their code runs.

Not counted: the arms of `if ... then ... else` and `match` *expressions*
(they are values, not blocks), and enrollment triggers (a workflow nobody
enrolled in shows as steps never reached).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from leadflow.syntax import ast
from leadflow.syntax.printer import format_expr
from leadflow.values import show

REACHED = frozenset(
    {"step", "waiting", "branch", "split", "stopped", "timed out", "event arrived", "answered", "error"}
)


@attrs.frozen
class Item:
    """One thing to reach, named as the report shows it."""

    file: str
    line: int
    kind: str  # rule, step, branch
    label: str
    key: str = attrs.field(eq=False)  # how hits name it within one program


class ProgramCoverage:
    """The coverage of one program (the scripts of a test file) over every test run on it."""

    def __init__(self, checked):
        self.checked = checked
        self.items: list[Item] | None = None  # built from the first engine: workflows are compiled there
        self.hits: set[str] = set()

    def probe(self, where: str) -> None:
        self.hits.add(where)

    def instrument(self, engine) -> None:
        """Count the steps of this engine's workflows as their code runs."""
        if self.items is None:
            self.items = list(rule_items(self.checked)) + list(workflow_items(engine.workflows.workflows))
        for name, wf in engine.workflows.workflows.items():
            for step in wf.steps:
                for attribute in ("run", "value"):
                    code = getattr(step, attribute)
                    if code is not None:
                        setattr(step, attribute, self._counting(code, f"wf:{name}:{step.path}"))

    def _counting(self, code, key: str):
        hits = self.hits

        def counted(*args):
            hits.add(key)
            return code(*args)

        return counted

    def collect(self, engine) -> None:
        """Read what the runs of a finished test went through."""
        store = engine.store
        for run in store.runs():
            for entry in store.run_log(run.id):
                if entry.step is None or entry.kind not in REACHED:
                    continue
                prefix = f"wf:{run.workflow}:{entry.step}"
                self.hits.add(prefix)
                if entry.kind == "branch":
                    arm = entry.detail.get("to", "").removeprefix(entry.step + "/").split("/")[0]
                    self.hits.add(f"{prefix}/{arm}")
                elif entry.kind == "split":
                    self.hits.add(f"{prefix}/arm{entry.detail.get('arm')}")
                elif entry.kind == "timed out":
                    self.hits.add(f"{prefix}/else")
                elif entry.kind == "event arrived":
                    self.hits.add(f"{prefix}:event")

    def results(self) -> dict[Item, bool]:
        return {item: item.key in self.hits for item in self.items or ()}


# ---- what there is to reach ----------------------------------------------------------------------
def rule_items(checked) -> Iterable[Item]:
    for info in checked.rules:
        span = info.rule.span
        yield Item(span.file, span.line, "rule", info.title, f"r{info.index}")
        yield from _rule_arms(info.rule.actions, f"r{info.index}", info.title)


def _rule_arms(actions, where: str, title: str) -> Iterable[Item]:
    for i, action in enumerate(actions):
        if not isinstance(action, ast.IfAction):
            continue
        path = f"{where}/{i}"
        first = action.branches[0][0]
        for j, (condition, block) in enumerate(action.branches):
            words = "if" if j == 0 else "else if"
            span = condition.span.or_else(action.span)
            label = f"{title}: the `{words} {format_expr(condition)}` branch"
            yield Item(span.file, span.line, "branch", label, f"{path}/if{j}")
            yield from _rule_arms(block, f"{path}/if{j}", title)
        if action.otherwise:
            span = action.otherwise[0].span.or_else(action.span)
            label = f"{title}: the `else` branch of `if {format_expr(first)}`"
        else:
            span = action.span
            label = f"{title}: the unwritten `else` of `if {format_expr(first)}`"
        yield Item(span.file, span.line, "branch", label, f"{path}/else")
        yield from _rule_arms(action.otherwise or (), f"{path}/else", title)


def workflow_items(workflows: dict) -> Iterable[Item]:
    for name, wf in workflows.items():
        for step in wf.steps:
            if step.kind in ("jump", "end"):
                continue
            key = f"wf:{name}:{step.path}"
            here = f"workflow {name}, step {step.path} `{step.label}`"
            yield Item(step.span.file, step.span.line, "step", here, key)
            for arm, target, what in _arms(step):
                span = wf.steps[target].span if wf.steps[target].kind not in ("jump", "end") else step.span
                yield Item(span.file, span.line, "branch", f"{here}: {what}", f"{key}{arm}")


def _arms(step) -> Iterable[tuple[str, int, str]]:
    """(key suffix, target step, description) for each way out of a decision."""
    if step.kind == "if":
        for i, (_, target) in enumerate(step.conditions, 1):
            yield f"/if{i}", target, "the first branch" if i == 1 else f"branch {i} (`else if`)"
        yield "/else", step.otherwise, "the `else` branch (taken when no condition holds)"
    elif step.kind == "split":
        for i, (percent, target) in enumerate(step.arms, 1):
            yield f"/arm{i}", target, f"arm {i} ({percent:g}%)"
    elif step.kind == "branch":
        for i, (values, target) in enumerate(step.arms, 1):
            yield f"/arm{i}", target, f"the arm for {', '.join(show(v) for v in values)}"
        yield "/else", step.otherwise, "the `else` arm"
    elif step.kind == "wait_for":
        yield ":event", step.target, f"the branch where {step.event} arrives"
        yield "/else", step.otherwise, "the timeout branch"


# ---- the report -------------------------------------------------------------------------------------
def merge(results: Iterable[dict[Item, bool]]) -> dict[Item, bool]:
    """Several programs' results as one: an item reached by any test is reached."""
    merged: dict[Item, bool] = {}
    for result in results:
        for item, hit in result.items():
            merged[item] = merged.get(item, False) or hit
    return merged


def report(results: dict[Item, bool]) -> list[str]:
    """Per script file: how much was reached, then what was not, by line."""
    by_file: dict[str, list[tuple[Item, bool]]] = {}
    for item, hit in results.items():
        by_file.setdefault(item.file, []).append((item, hit))
    lines = []
    width = max((len(f) for f in by_file), default=0)
    for file in sorted(by_file):
        entries = by_file[file]
        counts = []
        for kind, verb in (("rule", "fired"), ("step", "reached"), ("branch", "taken")):
            of_kind = [hit for item, hit in entries if item.kind == kind]
            if of_kind:
                counts.append(f"{sum(of_kind)}/{len(of_kind)} {_plural(kind, len(of_kind))} {verb}")
        reached = sum(hit for _, hit in entries)
        lines.append(f"{file.ljust(width)}  {_percent(reached, len(entries)):>4}  {', '.join(counts)}")
        for item, hit in sorted(entries, key=lambda e: (e[0].line, e[0].label)):
            if not hit:
                never = {"rule": "never fired", "step": "never reached", "branch": "never taken"}[item.kind]
                lines.append(f"    line {item.line}: {item.label} {never}")
    total = len(results)
    if by_file:
        lines.append(f"{'total'.ljust(width)}  {_percent(sum(results.values()), total):>4}")
    return lines


def _percent(part: int, whole: int) -> str:
    return f"{100 * part // whole if whole else 100}%"


def _plural(kind: str, count: int) -> str:
    return kind if count == 1 else "branches" if kind == "branch" else kind + "s"
