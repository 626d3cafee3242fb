"""Running the tests of a test file, each in a world of its own.

Every test gets a fresh engine on an in-memory store, with a simulated clock
at the test's `start`, a fixed seed, and its stubs bound. The given records
and list members are written straight to the store (no rule fires for
them: they are the state before the test). Then the steps run in order.

After every step the test *settles*, as a production deployment would
between two moments: effects due are delivered through the test's stub
senders, and the workflow steps and schedules due run, in time order, so a
workflow waiting for a webhook's answer resumes at the moment the answer
came. `advance` and `until` move the clock through every due moment the
same way. With `auto_deliver = false` nothing is delivered but by a
`deliver = true` step, so a test can look at the outbox before it is sent.

What goes wrong is reported, never silently passed over: a rejected event
(unless the step says `rejected`), a scheduled trigger that failed, a run
parked in error (unless an expectation says so). Those are failures; a
stub asked something the test does not answer is an error in the test.
"""

from __future__ import annotations

import json
import time

import attrs

from leadflow.clock import SimulatedClock
from leadflow.csv_rows import csv_rows
from leadflow.errors import LeadflowError
from leadflow.interpreter.engine import Engine
from leadflow.testing.match import Mismatch, matches
from leadflow.testing.reader import Ref, to_datetime, to_engine
from leadflow.testing.spec import ClockStep, DeliverStep, EventStep, ExpectStep, FileStep, TestCase, TestFile
from leadflow.testing.stubs import AcceptingEmails, FunctionStubs, StubProblem, StubWebhooks
from leadflow.workflows import calendar

MAX_ROUNDS = 100_000  # due moments one step may go through before the test is said not to settle


@attrs.frozen
class TestResult:
    __test__ = False

    file: str
    name: str
    outcome: str  # passed, failed, error
    seconds: float
    where: str | None = None  # the step (or `expect`) where it stopped
    message: str | None = None
    mismatches: tuple[Mismatch, ...] = ()


class Stop(Exception):
    """Ends a test early: `outcome` is failed or error."""

    def __init__(self, outcome: str, where: str, message: str, mismatches: tuple[Mismatch, ...] = ()):
        super().__init__(message)
        self.outcome, self.where, self.message, self.mismatches = outcome, where, message, mismatches


class Session:
    """One test's world: its engine, its stubs and the records it named."""

    def __init__(self, test_file: TestFile, case: TestCase, coverage=None, hosts=None):
        self.case = case
        assert test_file.checked is not None  # tests of a script that checks
        self.engine = Engine(
            test_file.checked,
            store=":memory:",
            clock=SimulatedClock(case.start),
            timezone=test_file.timezone,
            seed=case.seed,
            probe=coverage.probe if coverage is not None else None,
        )
        if coverage is not None:
            coverage.instrument(self.engine)
        self.aliases: dict[str, int] = {}
        self.functions = FunctionStubs(case.stubs, self.resolve)
        self.functions.bind(self.engine, hosts)
        self.webhooks = StubWebhooks(case.webhooks, self.engine.store)
        self.emails = AcceptingEmails()
        self.where = "given"
        self._failures_seen = 0

    @property
    def calls(self) -> dict[str, list[list]]:
        return self.functions.calls

    def resolve(self, ref: Ref) -> int | None:
        if ref.text in self.aliases:
            return self.aliases[ref.text]
        label = ref.label()
        if label is not None:
            record = self.engine.store.get_record(label[1])
            return record.id if record is not None and record.type == label[0] else None
        return self.engine.find(ref.text) if ref.is_email else None

    # ---- running ---------------------------------------------------------------------------
    def run(self) -> None:
        self.give()
        for step in self.case.steps:
            self.where = step.where
            self.do(step)
            self.check_health()
        self.where = "expect"
        self.check_runs()

    def give(self) -> None:
        engine, store, at = self.engine, self.engine.store, self.case.start
        with store.transaction():
            for given in self.case.records:
                # runtime values go to the store as they are; only record references are resolved
                values = {k: self._record_id(v) if isinstance(v, Ref) else v for k, v in given.values.items()}
                record = store.create_record(
                    given.object_type, engine.with_defaults(given.object_type, values), at, "test: given"
                )
                if given.alias:
                    self.aliases[given.alias] = record.id
            for list_name, refs in self.case.lists.items():
                for ref in refs:
                    store.add_to_list(self._record_id(ref), list_name, at, "test: given")

    def _record_id(self, ref: Ref) -> int:
        record_id = self.resolve(ref)
        if record_id is None:
            raise Stop("error", self.where, f"there is no record {ref.text} at this point")
        return record_id

    def do(self, step) -> None:
        if isinstance(step, EventStep):
            self.event(step)
        elif isinstance(step, ClockStep):
            now = self.engine.clock.now()
            target = step.to
            if target is None:
                assert step.by is not None  # a clock step has `until` or `by`
                target = calendar.add(now, step.by, self.engine.timezone)
            if target < now:
                raise Stop("error", step.where, f"`until` goes back in time: the clock is at {now.isoformat()}")
            self.advance_to(target)
        elif isinstance(step, DeliverStep):
            self.deliver(always=True)
            self.engine.run_due()
        elif isinstance(step, FileStep):
            rejected = self.import_rows(step) if step.kind == "import" else self.event_file(step)
            self.compare_rejections(step, rejected)
        elif isinstance(step, ExpectStep):
            mismatches = step.expect.check(self)
            if mismatches:
                raise Stop("failed", step.where, "expectations not met", tuple(mismatches))

    def event(self, step: EventStep) -> None:
        if step.at is not None and step.at > self.engine.clock.now():
            self.advance_to(step.at)
        target: Ref | dict[str, int] | str | None = step.target
        if isinstance(target, Ref) and not target.is_email:
            target = {"id": self._record_id(target)}
        elif isinstance(target, Ref):
            target = target.text
        try:
            data = to_engine(step.data, self._record_id)
            # a step without `id` is keyed by its position, as an event file's line by its number:
            # two identical steps at one moment are two events, not a duplicate
            result = self.engine.emit(step.event, target, data, at=step.at, key=step.key or f"test:{step.where}")
        except LeadflowError as error:
            self.check_health()
            if step.rejected is not None and matches(step.rejected, str(error)):
                return self.settle()
            why = f"; expected a rejection matching {step.rejected!r}" if step.rejected is not None else ""
            raise Stop("failed", step.where, f"event {step.event} was rejected: {error}{why}") from None
        if step.rejected is not None:
            raise Stop(
                "failed",
                step.where,
                f"event {step.event} was applied; expected it to be rejected with a message matching {step.rejected!r}",
            )
        if step.fired is not None:
            expected = [name if name.startswith(("rule ", "workflow ")) else f'rule "{name}"' for name in step.fired]
            if expected != list(result.fired):
                raise Stop(
                    "failed",
                    step.where,
                    f"event {step.event} fired other rules",
                    (
                        Mismatch(
                            f"{step.where}.fired", "the rules that fired differ", expected, list(result.fired), True
                        ),
                    ),
                )
        self.settle()

    def import_rows(self, step: FileStep) -> dict[int, str]:
        text = step.path.read_text("utf-8-sig")
        rows = list(csv_rows(text))  # (line, row or why it cannot be read): numbered as `leadflow import` does
        rejected = {}
        for (line, _), outcome in zip(
            rows, self.engine.import_rows([row for _, row in rows], source=str(step.path)), strict=True
        ):
            if isinstance(outcome, LeadflowError):
                rejected[line] = str(outcome)
        self.settle()
        return rejected

    def event_file(self, step: FileStep) -> dict[int, str]:
        rejected = {}
        for number, line in enumerate(step.path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("an event must be a JSON object")
                item.setdefault("id", f"{step.path.name}:{number}")
                at = item.get("at")
                if isinstance(at, str):
                    moment = to_datetime(at, "at", self.engine.timezone)
                    if moment > self.engine.clock.now():
                        self.advance_to(moment)
                self.engine.emit_record(item)
            except (LeadflowError, ValueError) as error:
                rejected[number] = str(error)
            self.check_health()
            self.settle()
        return rejected

    def compare_rejections(self, step: FileStep, rejected: dict[int, str]) -> None:
        what = "row" if step.kind == "import" else "line"
        problems = []
        for number, reason in sorted(rejected.items()):
            if number not in step.rejected:
                problems.append(f"{what} {number} was rejected: {reason}")
            elif not matches(step.rejected[number], reason):
                problems.append(f"{what} {number} was rejected, but not for {step.rejected[number]!r}: {reason}")
        for number in sorted(set(step.rejected) - set(rejected)):
            problems.append(f"{what} {number} was not rejected")
        if problems:
            raise Stop("failed", step.where, "; ".join(problems))

    # ---- time and delivery --------------------------------------------------------------------
    def settle(self) -> None:
        self.advance_to(self.engine.clock.now())

    def advance_to(self, target) -> None:
        """Move the clock to `target` through every moment something is due, delivering as it goes."""
        engine = self.engine
        for _ in range(MAX_ROUNDS):
            due = self.next_due()
            if due is None or due > target:
                break
            engine.advance(max(due, engine.clock.now()))
            self.deliver()
            self.check_health()
        else:
            raise Stop(
                "error", self.where, f"the test did not settle: work kept falling due before {target.isoformat()}"
            )
        engine.advance(target)
        self.check_health()

    def next_due(self):
        times = [self.engine.next_wake()]
        if self.case.auto_deliver:
            times += [e.next_attempt_at for e in self.engine.store.effects("pending")]
        return min((t for t in times if t is not None), default=None)

    def deliver(self, always: bool = False) -> None:
        if self.case.auto_deliver or always:
            self.engine.deliver(email_sender=self.emails, webhook_sender=self.webhooks)

    # ---- what must not pass unnoticed ------------------------------------------------------------
    def check_health(self) -> None:
        problems = self.functions.problems + self.webhooks.problems
        if problems:
            raise Stop("error", self.where, problems[0])
        failures = self.engine.failures[self._failures_seen :]
        if failures:
            self._failures_seen = len(self.engine.failures)
            raise Stop("failed", self.where, f"a scheduled trigger failed: {failures[0]}")

    def check_runs(self) -> None:
        """A run parked in error fails the test unless an expectation says it should be."""
        allowed = set()
        for step in self.case.steps:
            if isinstance(step, ExpectStep):
                for record in step.expect.records:
                    for workflow, wanted in record.enrolled.items():
                        if wanted.status == "error":
                            allowed.add((self.resolve(record.ref), workflow))
        for run in self.engine.store.runs(status="error"):
            if (run.record_id, run.workflow) not in allowed:
                stored = self.engine.store.get_record(run.record_id)
                label = stored.label() if stored is not None else f"record {run.record_id}"
                raise Stop(
                    "failed",
                    "expect",
                    f"workflow {run.workflow} stopped with an error for {label} at step {run.position}: {run.error}",
                )


def run_test(test_file: TestFile, case: TestCase, coverage=None, hosts=None) -> TestResult:
    started = time.perf_counter()
    session = None
    try:
        session = Session(test_file, case, coverage, hosts)
        session.run()
        outcome = TestResult(test_file.path, case.name, "passed", 0.0)
    except Stop as stop:
        outcome = TestResult(test_file.path, case.name, stop.outcome, 0.0, stop.where, stop.message, stop.mismatches)
    except StubProblem as problem:
        outcome = TestResult(
            test_file.path, case.name, "error", 0.0, session.where if session else None, problem.message
        )
    except LeadflowError as error:  # the engine refused something the test did
        outcome = TestResult(test_file.path, case.name, "failed", 0.0, session.where if session else None, str(error))
    except Exception as error:  # a bug in Leadflow: say so in one line, keep running the other tests
        outcome = TestResult(
            test_file.path,
            case.name,
            "error",
            0.0,
            session.where if session else None,
            f"internal error: {type(error).__name__}: {error}",
        )
    finally:
        if session is not None:
            if coverage is not None:
                coverage.collect(session.engine)
            session.engine.store.close()
    return attrs.evolve(outcome, seconds=time.perf_counter() - started)
