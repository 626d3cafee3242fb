"""Explain: for one record, why each rule did or did not fire.

    ✗ rule "MQL to SQL"   lifecycle.flow:48:1
      when matching lifecycle == mql and score > 90 and last_activity > now() - 6 weeks
      does not match now; it fires when it starts to match
      ✗ matching lifecycle == mql and score > 90 and last_activity > now() - 6 weeks
        ✓ lifecycle == mql   (lifecycle = mql)
        ✗ score > 90   (score = 70)
        ✓ last_activity > now() - 6 weeks   (last_activity = ..., now() - 6 weeks = ...)

Design. The rule's compiled condition answers only yes or no. To say why,
this module evaluates the checked AST again, separately from the fast path:
`and`, `or` and `not` are walked here, and every other sub-expression (a
comparison, `in`, `is known`, a call, and the operands shown beside it) is
compiled by the engine's Codegen, so it computes exactly what the rule does,
enum order, null rules and all. Nothing of the compiled rules changes.

Logic is three-valued. A part that reads `event.x` cannot be judged without
an event, and a part that fails (a host function not bound) cannot be judged
at all: both are "unknown" (?), and `and`/`or`/`not` combine unknowns the
way SQL does, so a false part still decides an `and`.

Targets. What can be explained is a list of `Target`s, each a name and a
function from (Explainer, record) to an Explanation: today the rules
(`rule_targets`). A target kind explains its trigger with `explain_trigger`,
which knows every trigger kind; workflows enroll on the same triggers, so
their enrollment explanation is another target kind built on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from leadflow.check import types as T
from leadflow.check.program import RuleInfo
from leadflow.diagnostics import did_you_mean
from leadflow.errors import InputError, LeadflowError
from leadflow.interpreter.expression import run_compiled
from leadflow.syntax import ast
from leadflow.syntax.walk import walk
from leadflow.syntax.printer import format_expr, format_trigger
from leadflow.values import show

if TYPE_CHECKING:
    from leadflow.check.workflows import WorkflowInfo
    from leadflow.interpreter.engine import Engine

MARKS = {True: "✓", False: "✗", None: "?"}
LITERALS = (ast.NumberLit, ast.BoolLit, ast.NullLit, ast.DateLit, ast.DateTimeLit, ast.TimeLit, ast.DurationLit)


@attrs.frozen
class Check:
    """A condition or one of its parts, with its truth for the record."""

    text: str
    verdict: bool | None  # None: unknown (needs the event, or could not be evaluated)
    values: tuple[str, ...] = ()  # "score = 42": the operands that decided it
    note: str = ""
    parts: tuple[Check, ...] = ()  # the operands of and/or/not

    def lines(self, indent: str, label: str = "") -> list[str]:
        details = "; ".join(filter(None, [", ".join(self.values), self.note]))
        head = f"{indent}{MARKS[self.verdict]} {label}{self.text}" + (f"   ({details})" if details else "")
        return [head] + [line for part in self.parts for line in part.lines(indent + "  ")]


@attrs.frozen
class Explanation:
    title: str  # rule "MQL to SQL"
    location: str  # lifecycle.flow:48:1
    when: str  # the trigger as written: "when matching ..."
    verdict: bool | None  # would it fire (event triggers), does it hold now (the others)
    summary: str  # the verdict in words
    checks: tuple[tuple[str, Check], ...] = ()  # (label, condition): ("if ", ...), ("where ", ...)
    history: str = ""

    def render(self) -> str:
        lines = [f"{MARKS[self.verdict]} {self.title}   {self.location}", f"  {self.when}", f"  {self.summary}"]
        for label, check in self.checks:
            lines += check.lines("  ", label)
        if self.history:
            lines.append(f"  {self.history}")
        return "\n".join(lines)


class Explainer:
    """Evaluates conditions part by part against one stored record."""

    def __init__(self, engine: Engine, record_id: int) -> None:
        self.engine = engine
        self.checked = engine.checked
        record = engine.store.get_record(record_id)
        if record is None:
            raise InputError(f"no record {record_id}")
        self.record = record
        self.props = engine.properties(record_id)

    # ---- conditions ----------------------------------------------------------------
    def check(self, expr: ast.Expr) -> Check:
        text = self.text(expr)
        if isinstance(expr, ast.Binary) and expr.op in ("and", "or"):
            parts = tuple(self.check(part) for part in _chain(expr, expr.op))
            return Check(text, (all3 if expr.op == "and" else any3)(p.verdict for p in parts), parts=parts)
        if isinstance(expr, ast.Unary) and expr.op == "not":
            part = self.check(expr.operand)
            return Check(text, None if part.verdict is None else not part.verdict, parts=(part,))
        if self.needs_event(expr):
            return Check(text, None, note="needs the event")
        try:
            verdict = bool(self.value(expr))
        except LeadflowError as error:
            return Check(text, None, note=f"cannot be evaluated: {error.message}")
        return Check(text, verdict, tuple(self._operand_values(expr)))

    def _operand_values(self, expr: ast.Expr) -> Iterable[str]:
        for operand in _operands(expr):
            if self.is_literal(operand) or self.needs_event(operand):
                continue
            try:
                yield f"{self.text(operand)} = {show(self.value(operand), self.type_of(operand))}"
            except LeadflowError as error:
                yield f"{self.text(operand)}: {error.message}"

    def value(self, expr: ast.Expr) -> Any:
        """The value of a checked sub-expression, computed by the code the rule runs."""
        return run_compiled(self.engine, self.engine.gen.function(expr, "explain"), self.props, None, "explain")

    # ---- what an expression is --------------------------------------------------------
    def needs_event(self, expr: ast.Expr) -> bool:
        return any(self._resolution(node) == "event" for node in walk(expr))

    def is_literal(self, expr: ast.Expr) -> bool:
        if isinstance(expr, LITERALS):
            return True
        if isinstance(expr, ast.TextLit):
            return all(isinstance(part, str) for part in expr.parts)
        if isinstance(expr, ast.ListLit):
            return all(self.is_literal(item) for item in expr.items)
        return isinstance(expr, ast.Name) and self._resolution(expr) == "enum"

    def _resolution(self, node: object) -> str | None:
        resolution = self.checked.names.get(id(node)) if isinstance(node, ast.Name) else None
        return resolution.kind if resolution else None

    def type_of(self, expr: ast.Expr) -> T.Type:
        return self.checked.types.get(id(expr), T.ANY)

    def text(self, expr: ast.Expr) -> str:
        """The expression as written when it fits on its line, else in canonical form."""
        span = expr.span
        source = self.checked.sources.get(span.file)
        if source is not None and span.line and span.line == span.end_line:
            return source.splitlines()[span.line - 1][span.column - 1 : span.end_column - 1]
        try:
            return format_expr(expr)
        except (ValueError, TypeError):
            return "(expression)"


def all3(verdicts: Iterable[bool | None]) -> bool | None:
    verdicts = list(verdicts)
    return False if False in verdicts else (None if None in verdicts else True)


def any3(verdicts: Iterable[bool | None]) -> bool | None:
    verdicts = list(verdicts)
    return True if True in verdicts else (None if None in verdicts else False)


def _chain(expr: ast.Expr, op: str) -> list[ast.Expr]:
    """`a and b and c` as [a, b, c]: one level of the tree, as a reader sees it.
    Without recursion: a generated rule may chain a thousand conditions."""
    parts, pending = [], [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Binary) and node.op == op:
            pending += (node.right, node.left)
        else:
            parts.append(node)
    return parts


def _operands(expr: ast.Expr) -> tuple[ast.Expr, ...]:
    if isinstance(expr, ast.Binary):
        return (expr.left, expr.right)
    if isinstance(expr, ast.In):
        return (expr.item, expr.container)
    if isinstance(expr, ast.IsKnown):
        return (expr.operand,)
    if isinstance(expr, ast.Call):
        return expr.args
    return ()


# ---- triggers ----------------------------------------------------------------------------
@attrs.frozen
class TriggerReport:
    conditions: tuple[tuple[str, ast.Expr], ...]  # the trigger's own: ("where ", e), ("matching ", e)
    summaries: dict[Any, str]  # verdict of all conditions -> the sentence that says what it means
    fact: str = ""  # the record's state the trigger is about: "lifecycle = mql now"


def explain_trigger(x: Explainer, trigger: ast.Trigger, subject: str) -> TriggerReport:
    """What a trigger waits for, for rules and (later) workflow enrollment alike."""
    if isinstance(trigger, ast.EventTrigger):
        event = f"`{trigger.event}` event"
        return TriggerReport(
            (("where ", trigger.where),) if trigger.where is not None else (),
            {
                True: f"fires on the next {event} for this {subject}",
                False: f"would not fire on a {event} now: a condition is false",
                None: f"on the next {event}, fires if the parts that need the event hold",
            },
        )
    if isinstance(trigger, ast.MatchingTrigger):
        return TriggerReport(
            (("matching ", trigger.condition),),
            {
                True: "matches now: it fired when the record started to match, and fires again only after "
                "it stops matching",
                False: "does not match now; it fires when it starts to match",
                None: "cannot tell whether it matches now",
            },
        )
    if isinstance(trigger, ast.CreatedTrigger):
        return _state_trigger(f"fires when a {trigger.object_type} is created")
    if isinstance(trigger, ast.ChangedTrigger):
        name = trigger.path[-1]
        change = "".join(
            f" {word} {x.text(value)}"
            for word, value in (("from", trigger.from_value), ("to", trigger.to_value))
            if value is not None
        )
        current = show(x.props.get(name), x.checked.objects[subject].properties[name].type)
        return _state_trigger(f"fires when `{name}` changes{change}", f"{name} = {current} now")
    if isinstance(trigger, ast.ListTrigger):
        member = trigger.list_name in x.engine.store.lists_of(x.record.id)
        verb = "added to" if trigger.added else "removed from"
        return _state_trigger(
            f"fires when this {subject} is {verb} {trigger.list_name}",
            f"{'a member' if member else 'not a member'} of {trigger.list_name} now",
        )
    if isinstance(trigger, ast.TIMED_TRIGGERS):
        return _timed_trigger(x, trigger, subject)
    raise TypeError(f"no explanation for a {type(trigger).__name__}")  # a new trigger kind needs one here


def _timed_trigger(
    x: Explainer, trigger: ast.ScheduleTrigger | ast.FixedDateTrigger | ast.DateTrigger, subject: str
) -> TriggerReport:
    """A schedule, fixed date or date property: when it fires next, and whether the record matches."""
    timed = next((t for t in x.engine.scheduler.triggers if t.trigger is trigger), None)
    upcoming = x.engine.scheduler.next_of(timed) if timed is not None else None
    when = f"next firing {show(upcoming)}" if upcoming else "it will not fire again"
    fact = when
    if isinstance(trigger, ast.DateTrigger):
        prop = x.checked.objects[subject].properties.get(trigger.prop)
        value = show(x.props.get(trigger.prop), prop.type if prop else T.ANY)
        fact = f"{trigger.prop} = {value} now; {when}"
    conditions = (("where ", trigger.where),) if trigger.where is not None else ()
    return TriggerReport(
        conditions,
        {
            True: "fires for this record at its next firing if it still matches then",
            False: "would not fire for this record now: a condition is false",
            None: "cannot tell whether it would fire for this record",
        },
        fact,
    )


def _state_trigger(what: str, fact: str = "") -> TriggerReport:
    """A trigger on a change of state: whether it fires depends on that change; the
    explanation says whether its conditions hold now."""
    return TriggerReport(
        (),
        {
            True: f"{what}; its condition holds now",
            False: f"{what}; its condition is false now",
            None: f"{what}; cannot tell whether its condition holds",
        },
        fact,
    )


# ---- targets ---------------------------------------------------------------------------
@attrs.frozen
class Target:
    name: str  # what the user types: the rule's name
    explain: Callable[[Explainer], Explanation]


def rule_targets(engine: Engine) -> list[Target]:
    return [Target(info.rule.name or info.title, partial(explain_rule, info=info)) for info in engine.checked.rules]


def workflow_targets(engine: Engine) -> list[Target]:
    return [Target(name, partial(explain_enrollment, info=info)) for name, info in engine.checked.workflows.items()]


# Every kind of thing explain knows.
TARGET_KINDS: list[Callable[[Engine], list[Target]]] = [rule_targets, workflow_targets]


def explain_rule(x: Explainer, info: RuleInfo) -> Explanation:
    rule = info.rule
    when = f"when {format_trigger(rule.trigger)}" + (f" if {format_expr(rule.condition)}" if rule.condition else "")
    location = str(rule.span)
    if x.record.type != info.subject:
        return Explanation(
            info.title,
            location,
            when,
            False,
            f"does not apply: it acts on a {info.subject}, and this is a {x.record.type}",
        )
    report = explain_trigger(x, rule.trigger, info.subject)
    conditions = report.conditions + ((("if ", rule.condition),) if rule.condition is not None else ())
    checks = tuple((label, x.check(expr)) for label, expr in conditions)
    verdict = all3(check.verdict for _, check in checks)
    summary = report.summaries[verdict] + (f" ({report.fact})" if report.fact else "")
    return Explanation(info.title, location, when, verdict, summary, checks, _history(x, info.title))


def explain_enrollment(x: Explainer, info: WorkflowInfo) -> Explanation:
    """Would the record be enrolled in a workflow: each trigger, its `if`, then what can refuse it."""
    wf = info.workflow
    enrollments = wf.clauses_of(ast.Enrollment)
    when = (
        "; ".join(
            f"enroll when {format_trigger(e.trigger)}" + (f" if {format_expr(e.condition)}" if e.condition else "")
            for e in enrollments
        )
        or "enrolled only by `enroll in`"
    )
    location = str(wf.span)
    if x.record.type != info.subject:
        return Explanation(
            info.title,
            location,
            when,
            False,
            f"does not apply: it enrolls {info.subject}s, and this is a {x.record.type}",
        )
    checks, verdicts, facts = [], [], []
    for number, enrollment in enumerate(enrollments, 1):
        report = explain_trigger(x, enrollment.trigger, info.subject)
        facts += [f"trigger {number}: {report.fact}"] if report.fact else []
        conditions = report.conditions + ((("if ", enrollment.condition),) if enrollment.condition is not None else ())
        parts = [(f"trigger {number} {label}", x.check(expr)) for label, expr in conditions]
        checks += parts
        verdicts.append(all3(check.verdict for _, check in parts))
    runs = x.engine.store.runs(record_id=x.record.id, workflow=wf.name)
    blockers = _enrollment_blockers(x, info, runs)
    if blockers:
        verdict, summary = False, "would not enroll now: " + "; ".join(blockers)
    elif not enrollments:
        verdict, summary = None, "enrolls only when a rule or step says `enroll in " + wf.name + "`"
    else:
        verdict = any3(verdicts)
        summary = {
            True: "would enroll when a trigger fires",
            False: "would not enroll now: every trigger's condition is false",
            None: "would enroll if the parts that need the event hold",
        }[verdict]
    summary += f" ({'; '.join(facts)})" if facts else ""
    goal = next(iter(wf.clauses_of(ast.Goal)), None)
    if goal is not None:
        checks.append(("goal ", x.check(goal.condition)))
    history = (
        "; ".join(f"run {r.id}: {r.status}" + (f" at step {r.position}" if r.status == "active" else "") for r in runs)
        or "history: never enrolled"
    )
    return Explanation(info.title, location, when, verdict, summary, tuple(checks), history)


def _enrollment_blockers(x: Explainer, info: WorkflowInfo, runs: list[Any]) -> list[str]:
    wf = info.workflow
    found = []
    if any(r.status in ("active", "error") for r in runs):
        found.append("it is in the workflow already")
    elif runs:
        reenroll = next(iter(wf.clauses_of(ast.Reenroll)), None)
        if reenroll is None or reenroll.mode == "never":
            found.append("it was enrolled before and the workflow does not re-enroll")
    members = x.engine.store.lists_of(x.record.id)
    found += [
        f"it is in the suppressed list {s.list_name}" for s in wf.clauses_of(ast.Suppress) if s.list_name in members
    ]
    goal = next(iter(wf.clauses_of(ast.Goal)), None)
    if goal is not None and x.check(goal.condition).verdict:
        found.append("it already meets the goal")
    return found


def _history(x: Explainer, cause: str) -> str:
    """What the record's history says the rule did to it: proof that it fired."""
    changes = [h for h in x.engine.store.history(x.record.id) if h.cause == cause]
    if not changes:
        return "history: it never changed this record"
    count = f"{len(changes)} change" + ("s" if len(changes) > 1 else "")
    return f"history: {count} to this record by this rule, the last at {show(changes[-1].at)}"


def explain(engine: Engine, record_id: int, name: str | None = None) -> list[Explanation]:
    """Explain every target (rule...) for a record, or the one called `name`."""
    x = Explainer(engine, record_id)
    targets = [t for kind in TARGET_KINDS for t in kind(engine)]
    if name is not None:
        chosen = [t for t in targets if t.name == name]
        if not chosen:
            names = [t.name for t in targets]
            guess = did_you_mean(name, names)
            hint = f"; did you mean `{guess}`?" if guess else (f"; there are: {', '.join(names)}" if names else "")
            raise InputError(f"no rule or workflow named `{name}`{hint}")
        targets = chosen
    return [t.explain(x) for t in targets]


def render(engine: Engine, record_id: int, explanations: list[Explanation]) -> str:
    record = engine.store.get_record(record_id)
    label = record.label() if record is not None else f"record {record_id}"  # explain() refused a missing one
    head = f"{label}, at {show(engine.ctx.now())}"
    if not explanations:
        return head + "\nthe script has no rules"
    return head + "\n\n" + "\n\n".join(e.render() for e in explanations)
