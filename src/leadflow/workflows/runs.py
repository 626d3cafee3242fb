"""Durable runs: enrolling records, moving them through steps, waking them.

Design
* A run is a row in the store (see store/sqlite_runs.py). `advance` moves
  one run from its stored position to its next wait or its end inside one
  store unit: the run's new position, its log rows, the record changes and
  the outbox effects of those steps commit together. A crash before the
  commit leaves the run where it was, so the steps run again from there,
  and their effects carry the same idempotency keys (`run:ID:ATTEMPT:PATH`),
  so nothing is sent twice; a crash after it loses nothing.
* Waiting is a due time (`wait`, `wait until`, the bound of `wait for`, an
  execution window) or an event or webhook answer to come. Delivery only
  wakes a run whose webhook was answered or given up (`wake_effect_run`, in
  the unit that records the outcome, so `leadflow deliver` needs no script);
  the run reads the answer from the outbox and checks its type when it
  resumes. `run_due`
  reads due runs in time order from an index on the due time, so a tick
  costs what is due, not what is waiting.
* The goal and `unenroll when` are checked before every step, and when a
  property of a record with active runs changes (at the end of the
  transaction's cascade, `check_goals`), so a waiting run leaves as soon as
  its record meets the goal, with status `goal`.
* A step that fails rolls its unit back; the run is then parked in status
  `error` at the failing step (the steps before it, replayed in a fresh
  unit, are kept), with the reason. `retry` resumes it from there.
* Random splits draw from a generator seeded by (engine seed, run, step),
  so a seeded engine makes the same choices whatever the order of work;
  the draw is logged.
* Steps, goals and `unenroll when` run in the workflow's time zone (its
  window's `timezone`, else the engine's): `today()`, `hour(...)` and
  `format_date` read it as the waits and the window do. The rules a step's
  changes trigger run in the engine's zone, as all rules do.
"""

from __future__ import annotations

import datetime as dt
import random
from contextlib import contextmanager

import attrs

from leadflow.check import types as T
from leadflow import limits
from leadflow.errors import InputError, LeadflowError, LeadflowRuntimeError
from leadflow.interpreter.actions import Activation
from leadflow.interpreter.coerce import coerce
from leadflow.store.base import Run
from leadflow.workflows import calendar
from leadflow.workflows.program import CompiledWorkflow

BATCH = 500


class WorkflowRuntime:
    def __init__(self, engine, workflows: dict[str, CompiledWorkflow], seed: int | None):
        self.engine = engine
        self.store = engine.store
        self.workflows = workflows
        self.seed = seed if seed is not None else random.randrange(2**32)  # noqa: S311 (splits; no secret)
        self.wait_events = frozenset().union(*(wf.wait_events for wf in workflows.values()))
        # object types whose runs leave as soon as a goal or `unenroll when` holds
        self.watch_goals = frozenset(wf.subject for wf in workflows.values() if wf.goal or wf.unenroll_when)
        self.advancing: int | None = None  # the run being advanced checks its own goal before each step
        self.left: set[int] = set()  # runs that left (goal, unenroll) while their batch was under way
        self.woke: dt.datetime | None = None  # the earliest due time set since run_due_batch began

    def _wake(self, at: dt.datetime) -> None:
        if self.woke is None or at < self.woke:
            self.woke = at
        self.engine.wake(at)

    # ---- enrollment ------------------------------------------------------------------
    def enroll(
        self, tx, name: str, record_id: int, how: str, *, reenrolling: bool = False, manual: bool = False
    ) -> Run | None:
        """Enroll a record unless the workflow's rules say no; None when not enrolled."""
        wf = self.workflows[name]
        ctx = self.engine.ctx
        previous = self.store.runs(record_id=record_id, workflow=name)
        if any(r.status in ("active", "error") for r in previous):
            return None  # a record already in the workflow is not enrolled twice
        if previous and not manual:
            mode = wf.reenroll.mode
            if mode == "never" or (mode == "when") != reenrolling:
                return None
            if mode == "after":
                assert wf.reenroll_after is not None  # compiled for `reenroll after`
                delay = wf.reenroll_after(tx.props(record_id), None, {}, ctx)
                if tx.at < calendar.add(previous[-1].enrolled_at, delay, wf.zone):
                    return None
        elif reenrolling:
            return None  # `reenroll when` brings back records that were enrolled before
        if wf.suppress and self.store.lists_of(record_id) & set(wf.suppress):
            return None
        p = tx.props(record_id)
        if wf.goal is not None and _in_zone(ctx, wf.zone, wf.goal, p, None, {"enrolled_at": tx.at}):
            tx.note(record_id, f"not enrolled in {name}: it already meets the goal", f"workflow {name}")
            return None
        run = self.store.create_run(name, record_id, wf.steps[0].path, tx.at, {"enrolled_at": tx.at})
        self.store.log_run(run.id, tx.at, None, "enrolled", {"by": how})
        self._wake(tx.at)
        return run

    def unenroll(self, tx, name: str, record_id: int, why: str) -> None:
        for run in self.store.runs(record_id=record_id, workflow=name, status="active"):
            self._finish(run, "unenrolled", tx.at, None, {"by": why})
            self.left.add(run.id)

    def check_goals(self, tx, record_ids) -> None:
        """Runs of records whose properties just changed leave if they now meet their
        workflow's goal or `unenroll when`, without waiting for their next step."""
        ctx = self.engine.ctx
        for record_id in record_ids:
            object_type, p = tx.load(record_id)
            if object_type not in self.watch_goals:
                continue
            for run in self.store.runs(record_id=record_id, status="active"):
                wf = self.workflows.get(run.workflow)
                if wf is None or run.id == self.advancing:
                    continue
                with zone(ctx, wf.zone):
                    if wf.goal is not None and wf.goal(p, None, run.vars, ctx):
                        self._finish(run, "goal", tx.at, run.position, {"while": "waiting"})
                        self.left.add(run.id)
                    elif any(c(p, None, run.vars, ctx) for c in wf.unenroll_when):
                        self._finish(run, "unenrolled", tx.at, run.position, {"by": "unenroll when"})
                        self.left.add(run.id)

    # ---- running ---------------------------------------------------------------------
    def advance(self, tx, run: Run, park: tuple[str | None, str] | None = None) -> None:
        """Run steps from the run's position to its next wait or end (see the module notes)."""
        wf = self.workflows.get(run.workflow)
        if run.wait and "webhook" in run.wait and wf is not None:
            answered = self._answer(tx, run)
            if answered is None:
                return
            run = answered
        pc = wf.index.get(run.position) if wf and run.position is not None else None
        if wf is None or pc is None:
            what = f"workflow {run.workflow}" if wf is None else f"step {run.position} of workflow {run.workflow}"
            self._park(run, tx.at, run.position, f"{what} no longer exists in the script")
            return
        self.advancing = run.id
        try:
            with zone(self.engine.ctx, wf.zone):
                self._run_steps(tx, run, wf, pc, park)
        finally:
            self.advancing = None

    def _run_steps(self, tx, run: Run, wf: CompiledWorkflow, pc: int, park) -> None:
        ctx = self.engine.ctx
        p = tx.props(run.record_id)
        loc = dict(run.vars)
        attempt = loc.get("_attempt", 0)
        act = Activation(run.record_id, wf.subject, p, None, f"workflow {wf.name}", f"run:{run.id}:{attempt}", loc)
        now = tx.at
        resuming_wait = run.waiting_event
        while True:
            step = wf.steps[pc]
            if park is not None and step.path == park[0]:
                return self._park(run, now, step.path, park[1], loc)
            ctx.start(f"workflow {wf.name}, step {step.path}")
            try:
                if step.kind == "end":
                    return self._finish(run, "completed", now, None, {}, loc)
                if wf.goal is not None and wf.goal(p, None, loc, ctx):
                    return self._finish(run, "goal", now, step.path, {}, loc)
                if any(c(p, None, loc, ctx) for c in wf.unenroll_when):
                    return self._finish(run, "unenrolled", now, step.path, {"by": "unenroll when"}, loc)
                kind = step.kind
                if kind in ("do", "webhook") and wf.window is not None:
                    opening = calendar.window_opening(now, *wf.window, wf.zone)
                    if opening > now:
                        return self._wait(run, step, step.path, opening, loc, now, {"window": opening})
                if kind == "do":
                    assert step.run is not None
                    step.run(tx, act)
                    with zone(ctx, self.engine.timezone):
                        tx.run([])  # what the step's changes trigger: rules, other enrollments
                    self._log(run, now, step, "step", {})
                    pc += 1
                elif kind == "webhook":
                    assert step.run is not None
                    step.run(tx, act)
                    key = f"{act.key}:{step.path}:{run.record_id}"
                    self._log(run, now, step, "step", {"waiting for": "webhook answer"})
                    wait = {"webhook": key, "step": step.path}
                    return self._save(run, wf.steps[pc + 1].path, None, loc, now, wait=wait)
                elif kind == "wait":
                    assert step.value is not None
                    due = calendar.add(now, step.value(p, None, loc, ctx), wf.zone)
                    return self._wait(run, step, wf.steps[pc + 1].path, due, loc, now, {"until": due})
                elif kind == "until":
                    assert step.value is not None
                    target = step.value(p, None, loc, ctx)
                    if isinstance(target, dt.time):
                        assert step.days is not None
                        target = calendar.next_at(now, target, step.days, wf.zone)
                    if target is not None and target > now:
                        return self._wait(run, step, wf.steps[pc + 1].path, target, loc, now, {"until": target})
                    pc += 1
                elif kind == "wait_for":
                    if resuming_wait == step.event and run.position == step.path:
                        resuming_wait = None
                        self._log(run, now, step, "timed out", {})
                        assert step.otherwise is not None  # the timeout's target
                        pc = step.otherwise
                        continue
                    assert step.value is not None
                    due = calendar.add(now, step.value(p, None, loc, ctx), wf.zone)
                    self._log(run, now, step, "waiting", {"event": step.event, "until": due})
                    return self._save(run, step.path, due, loc, now, waiting_event=step.event)
                elif kind == "if":
                    assert step.otherwise is not None  # the else target, written or not
                    pc = next((t for c, t in step.conditions if c(p, None, loc, ctx)), step.otherwise)
                    self._log(run, now, step, "branch", {"to": wf.steps[pc].path})
                elif kind == "jump":
                    assert step.target is not None
                    pc = step.target
                elif kind == "split":
                    pc = self._split(run, step, loc, now)
                elif kind == "branch":
                    assert step.value is not None and step.otherwise is not None
                    value = step.value(p, None, loc, ctx)
                    pc = next((t for values, t in step.arms if value in values), step.otherwise)
                    self._log(run, now, step, "branch", {"value": value, "to": wf.steps[pc].path})
                elif kind == "stop":
                    return self._finish(run, "stopped", now, step.path, {}, loc)
            except LeadflowRuntimeError as error:
                error.where = error.where or f"workflow {wf.name}, step {step.path}"
                error.span = error.span or step.span
                error.step = step.path
                raise
            except (ArithmeticError, ValueError) as error:  # a timer past the calendar: said in our words
                problem = limits.locate(error, step.span)
                problem.where, problem.step = f"workflow {wf.name}, step {step.path}", step.path
                raise problem from error

    def _split(self, run: Run, step, loc: dict, now) -> int:
        draw = random.Random(f"{self.seed}:{run.id}:{step.path}").random() * 100  # noqa: S311 (a split; no secret)
        total = 0.0
        for i, (percent, target) in enumerate(step.arms, 1):
            total += percent
            if draw < total or i == len(step.arms):
                self._log(run, now, step, "split", {"arm": i, "share": percent, "draw": round(draw, 4)})
                return target
        raise AssertionError("a split has arms")

    # ---- run state ----------------------------------------------------------------------
    def _log(self, run: Run, at, step, kind: str, detail: dict) -> None:
        if step is not None:
            detail = {"step": step.label, **detail}
        self.store.log_run(run.id, at, step.path if step is not None else None, kind, detail)

    def _save(
        self, run: Run, position, due, loc, now, *, wait=None, waiting_event=None, status="active", error=None
    ) -> None:
        self.store.save_run(
            Run(  # built whole: attrs.evolve costs more
                run.id,
                run.workflow,
                run.record_id,
                status,
                position,
                loc,
                wait,
                due,
                waiting_event,
                run.enrolled_at,
                now,
                error,
            )
        )
        if due is not None:
            self._wake(due)

    def _wait(self, run: Run, step, position, due, loc, now, detail) -> None:
        self._log(run, now, step, "waiting", detail)
        self._save(run, position, due, loc, now)

    def _finish(self, run: Run, status: str, now, path, detail: dict, loc=None) -> None:
        self.store.log_run(run.id, now, path, status, detail)
        self._save(run, None, None, run.vars if loc is None else loc, now, status=status)

    def _park(self, run: Run, now, path, reason: str, loc=None) -> None:
        self.store.log_run(run.id, now, path, "error", {"error": reason})
        self._save(run, path, None, run.vars if loc is None else loc, now, status="error", error=reason, wait=run.wait)

    # ---- due work ------------------------------------------------------------------------
    def run_due_batch(self, until: dt.datetime) -> tuple[int, bool]:
        """Advance up to BATCH runs due by `until`, in due order. Returns how many, and
        whether more may be due by `until`: the batch was full, or it made a run due
        again that soon (so a tick with less than a batch to do reads the runs once)."""
        self.woke = None
        self.left.clear()
        with self.store.batch():
            # read under the batch's write lock: another process cannot take the same runs
            runs = self.store.due_runs(until, limit=BATCH)
            self.store.preload_records([run.record_id for run in runs])
            for run in runs:
                if run.id not in self.left:  # read before an earlier unit of the batch ended it
                    self.advance_in_unit(run)
        return len(runs), len(runs) == BATCH or (self.woke is not None and self.woke <= until)

    def advance_in_unit(self, run: Run) -> None:
        # A simulated clock runs each step at its due time, so what a run does does not
        # depend on when it was processed; a real clock stamps the real time.
        at = run.due
        if self.engine.is_simulated:
            self.engine.clock.reach(at)
        else:
            at = max(at, self.engine.clock.now())
        try:
            with self.engine.unit(at, f"run:{run.id}") as tx:
                self.advance(tx, run)
        except LeadflowError as error:
            step: str | None = getattr(error, "step", run.position)
            reason = str(error)
            try:  # replay the steps before the failing one, and park the run there
                with self.engine.unit(at, f"run:{run.id}") as tx:
                    self.advance(tx, run, park=(step, reason))
            except LeadflowError:  # the replay went another way: park where the run was
                with self.engine.unit(at, f"run:{run.id}"):
                    self._park(run, at, run.position, reason)

    # ---- events and webhook answers ----------------------------------------------------------
    def on_event(self, tx, record_id: int, name: str, payload: dict) -> None:
        """Runs waiting for this event on this record continue (if its `where` holds)."""
        for run in self.store.runs_waiting_for(record_id, name):
            wf = self.workflows.get(run.workflow)
            step = wf.steps[wf.index[run.position]] if wf and run.position in wf.index else None
            if wf is None or step is None or step.kind != "wait_for":
                continue
            assert step.target is not None  # where an arrived event continues
            if step.where is not None and not _in_zone(
                self.engine.ctx, wf.zone, step.where, tx.props(record_id), payload, run.vars
            ):
                continue
            self.store.log_run(run.id, tx.at, step.path, "event arrived", {"event": name})
            self._save(run, wf.steps[step.target].path, tx.at, run.vars, tx.at)

    def _answer(self, tx, run: Run) -> Run | None:
        """A run woken by delivery takes its webhook's answer; None if it stays parked or waiting."""
        assert run.wait is not None  # woken by delivery: it waits for a webhook's answer
        effect = self.store.effect_by_key(run.wait["webhook"])
        wf = self.workflows[run.workflow]
        step = wf.steps[wf.index[run.wait["step"]]] if run.wait["step"] in wf.index else None
        if step is None or effect is None:
            self._park(run, tx.at, run.wait["step"], "the webhook step no longer exists in the script")
            return None
        if effect.status == "pending":
            self._save(run, run.position, None, run.vars, tx.at, wait=run.wait)  # woken too early: wait on
            return None
        if effect.status == "dead":
            self._park(run, tx.at, step.path, f"webhook failed: {effect.last_error}")
            return None
        assert step.alias is not None and step.answer_type is not None  # a webhook step with `as NAME`
        try:
            answer = coerce(
                effect.response,
                T.nullable(step.answer_type),
                f"the answer `{step.alias}`",
                timezone=self.engine.timezone,
            )
        except LeadflowError as problem:
            self._park(run, tx.at, step.path, f"the webhook's answer does not match its type: {problem}")
            return None
        self.store.log_run(run.id, tx.at, step.path, "answered", {"answer": effect.response})
        return attrs.evolve(run, vars={**run.vars, step.alias: answer}, wait=None)

    def retry(self, run_id: int, now: dt.datetime) -> Run:
        run = self.store.get_run(run_id)
        if run is None or run.status != "error":
            raise InputError(f"run {run_id} is not in error" if run else f"no run {run_id}")
        vars = {**run.vars, "_attempt": run.vars.get("_attempt", 0) + 1}
        with self.store.transaction():
            self.store.log_run(run.id, now, run.position, "retried", {})
            self._save(run, run.position, now, vars, now)
        return self.store.get_run(run_id)


def wake_effect_run(store, effect, status: str, response, error: str | None, now: dt.datetime, *, clock=None) -> None:
    """Delivery's callback: a run waiting for this webhook's answer becomes due, at `now`, or
    at `clock`'s time if that is earlier: delivery runs at the wall clock's time when a
    database's clock is replaying the past, and the run goes on in the replay's time."""
    if effect.key.startswith("run:"):
        store.wake_run(int(effect.key.split(":")[1]), min(now, clock.now()) if clock is not None else now)


@contextmanager
def zone(ctx, timezone):
    """Run compiled code with the date builtins in `timezone`."""
    outer, ctx.timezone = ctx.timezone, timezone
    try:
        yield
    finally:
        ctx.timezone = outer


def _in_zone(ctx, timezone, condition, p, ev, loc):
    with zone(ctx, timezone):
        return condition(p, ev, loc, ctx)
