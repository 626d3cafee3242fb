"""Wiring a checked program's workflows and timed triggers into an engine.

Enrollment triggers that react to happenings (events, created, changed,
lists, matching) join the engine's rule index as rules whose action is
"enroll this record", so they fire in the same cascade, in declaration
order after the script's rules. Timed triggers, of rules and of
enrollments, go to the scheduler.
"""

from __future__ import annotations


from leadflow.check.program import RuleInfo
from leadflow.interpreter.rules import add_rule
from leadflow.interpreter.transaction import Happening
from leadflow.syntax import ast
from leadflow.workflows.program import compile_workflow
from leadflow.workflows.runs import WorkflowRuntime
from leadflow.workflows.schedules import Scheduler, TimedTrigger


def build(engine, seed: int | None) -> tuple[WorkflowRuntime, Scheduler]:
    checked, gen = engine.checked, engine.gen
    compiled = {
        name: compile_workflow(info, gen, engine.actions, engine.timezone) for name, info in checked.workflows.items()
    }
    runtime = WorkflowRuntime(engine, compiled, seed)
    timed: list[TimedTrigger] = []
    for rule in engine.rules.all:
        trigger = rule.info.rule.trigger
        if isinstance(trigger, ast.TIMED_TRIGGERS):
            timed.append(
                TimedTrigger(
                    f"rule {rule.index}",
                    trigger,
                    rule.info.subject,
                    engine.timezone,
                    rule.condition,
                    _fire_rule(rule),
                    title=rule.info.title,
                )
            )
    for name in checked.workflows:
        wf = compiled[name]
        when = wf.reenroll.trigger if wf.reenroll.mode == "when" else None
        reenroll = [(when, None, True)] if when is not None else []
        enrollments = [(e.trigger, e.condition, False) for e in wf.enrollments] + reenroll
        for number, (trigger, condition, reenrolling) in enumerate(enrollments, 1):
            verb = "reenroll" if reenrolling else "enroll"
            how = f"{verb} when {_describe(trigger)}"
            if isinstance(trigger, ast.TIMED_TRIGGERS):
                where = gen.function(trigger.where) if trigger.where is not None else None
                if_ = gen.function(condition) if condition is not None else None
                timed.append(
                    TimedTrigger(
                        f"workflow {name} {verb} {number}",
                        trigger,
                        wf.subject,
                        wf.zone,
                        where,
                        _fire_enrollment(runtime, name, how, if_, reenrolling),
                    )
                )
                continue
            rule = ast.Rule(None, trigger, condition, (), span=trigger.span)
            info_ = RuleInfo(rule, len(engine.rules.all), wf.subject, f"workflow {name}")
            add_rule(engine.rules, checked, gen, info_, _enroll(runtime, name, how, reenrolling))
    return runtime, Scheduler(engine, timed)


def _describe(trigger) -> str:
    from leadflow.syntax.printer import format_trigger

    return format_trigger(trigger)


def _enroll(runtime, name, how, reenrolling):
    return lambda tx, act: runtime.enroll(tx, name, act.record_id, how, reenrolling=reenrolling)


def _fire_enrollment(runtime, name, how, condition, reenrolling):
    def fire(tx, record_id):
        if condition is None or condition(tx.props(record_id), None, {}, tx.ctx):
            runtime.enroll(tx, name, record_id, how, reenrolling=reenrolling)

    return fire


def _fire_rule(rule):
    def fire(tx, record_id):
        object_type = tx.load(record_id)[0]
        tx.run([Happening("scheduled", record_id, object_type, rule=rule)])

    return fire
