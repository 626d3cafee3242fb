"""The engine: a checked, compiled script bound to a store, a clock and a host.

    engine = Engine.from_source(text, store="crm.db", clock=SimulatedClock())
    engine.bind("team_availability", my_function)
    engine.emit("form_submitted", contact="ada@example.com", data={"form": "demo"})
    engine.deliver()

`emit` processes one event in one store transaction (see transaction.py);
`emit_many` groups many such units into few commits. Effects wait in the
outbox until `deliver` sends them. Workflow runs and timed triggers
(workflows/) wake at their due times: `run_due` does the work due by a
moment, and `emit` does it first for anything due before its event, so an
event file with times plays out in order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import attrs

from leadflow.check import types as T
from leadflow.check.checker import Checker
from leadflow.check.load import load_program
from leadflow.check.program import CheckedProgram, EventSchema
from leadflow.check.scope import Scope
from leadflow.clock import SimulatedClock, SystemClock, in_range
from leadflow.errors import HostError, InputError, LeadflowError, LeadflowRuntimeError, ScriptError
from leadflow.interpreter import arguments
from leadflow.interpreter.actions import ActionCompiler
from leadflow.interpreter.coerce import coerce, coercer
from leadflow.interpreter.compile import Codegen
from leadflow.interpreter.expression import CheckedExpression, Expression, reads_record
from leadflow.interpreter.hosts import host_mismatch
from leadflow.interpreter.integrity import check_references, email_owner, reference_fields
from leadflow.interpreter.rules import compile_rules
from leadflow.interpreter.runtime import DEFAULT_STEP_BUDGET, DEFAULT_TIME_LIMIT, RunContext
from leadflow.interpreter.transaction import DEFAULT_CASCADE_LIMIT, Happening, Transaction
from leadflow.interpreter.validate import NotAnEmail, normal_email
from leadflow.store import Store, open_store
from leadflow.store.series import Interleaved
from leadflow.syntax import ast
from leadflow.syntax.walk import walk
from leadflow.syntax.parser import parse_expr
from leadflow.workflows.runs import wake_effect_run

if TYPE_CHECKING:
    from leadflow.effects.outbox import DeliveryReport, EmailSenderLike, WebhookSenderLike
    from leadflow.store.base import HistoryEntry, Record, Run, RunLogEntry


@attrs.frozen
class EmitResult:
    key: str
    record_id: int | None
    duplicate: bool = False
    fired: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@attrs.frozen
class RecordView:
    id: int
    type: str
    properties: dict[str, Any]
    lists: list[str]
    history: list[HistoryEntry]
    runs: list[tuple[Run, list[RunLogEntry]]] = attrs.field(factory=list)  # per workflow enrollment


class Engine:
    def __init__(
        self,
        checked: CheckedProgram,
        store: Store | str = ":memory:",
        clock: SimulatedClock | SystemClock | None = None,
        *,
        timezone: str = "UTC",
        secrets: Mapping[str, str] | None = None,
        email: str | None = None,
        sender: str = "Leadflow <leadflow@localhost>",
        allow_private_webhooks: bool = False,
        notify: Callable[[str, str, dict[str, Any]], None] | None = None,
        seed: int | None = None,
        step_budget: int = DEFAULT_STEP_BUDGET,
        time_limit: float = DEFAULT_TIME_LIMIT,
        cascade_limit: int = DEFAULT_CASCADE_LIMIT,
        probe: Callable[[str], None] | None = None,
    ) -> None:
        self.checked = checked
        # a value that cannot go in a header is refused before anything is opened
        self.secrets = secret_values(checked, secrets)
        self.store = open_store(store) if isinstance(store, str) else store
        self._owns_store = isinstance(store, str)  # a Store passed in is the caller's to close
        self.clock = clock or SystemClock()
        self.timezone = ZoneInfo(timezone)
        self.email = email or "leadflow-outbox"
        self.sender = sender
        from leadflow.effects import email_sender_from_url

        email_sender_from_url(self.email)  # a bad URL is an error now, not after the events committed
        self.allow_private_webhooks = allow_private_webhooks
        self.notify = notify
        self.cascade_limit = cascade_limit
        self.gen = Codegen(checked, self.timezone)
        self.ctx = RunContext(
            self.clock, self.timezone, self.gen.sites, seed=seed, step_budget=step_budget, time_limit=time_limit
        )
        self.gen.namespace["_ctx"] = self.ctx
        self._committed_readers = (self.properties, self._committed_reverse)  # bound once: set after every event
        self._read_committed()
        self.gen.namespace["_clock_now"] = self.ctx.now
        self.ctx.events_of = self._event_payloads
        self.gen.compile_functions()
        self.actions = ActionCompiler(checked, self.gen, probe)  # probe: test coverage, see ActionCompiler
        self.rules = compile_rules(checked, self.gen, self.actions)
        self._defaults = {
            name: {
                p.name: self.gen.const_value_of(p.default) for p in schema.properties.values() if p.default is not None
            }
            for name, schema in checked.objects.items()
        }
        self._checker: Checker | None = None
        # Converters for what every event brings, made once (coerce.coercer).
        self._event_fields = {
            name: {field: coercer(t, f"{name}.{field}", timezone=self.timezone) for field, t in schema.fields.items()}
            for name, schema in checked.events.items()
        }
        self._upsert_fields = {
            prop.name: coercer(prop.type, f"upsert.{prop.name}", timezone=self.timezone)
            for prop in checked.objects["contact"].properties.values()
        }
        # The fields that name records, checked against the store in each event (integrity.py).
        self._reference_fields = {name: reference_fields(schema.fields) for name, schema in checked.events.items()}
        self._reference_fields["upsert"] = reference_fields(
            {prop.name: prop.type for prop in checked.objects["contact"].properties.values()}
        )
        # Memoized: emit_many reads each event's contact twice (prefetch, then the event).
        self._contact_email = lru_cache(maxsize=2048)(coercer(T.EMAIL, "contact"))
        self.failures: list[LeadflowError] = []  # timed-trigger firings that failed for one record
        self._next_wake: dt.datetime | None = None
        self.runs_advanced = 0  # over the engine's life: what `leadflow run` reports
        from leadflow.workflows.build import build

        self.workflows, self.scheduler = build(self, seed)
        self.has_timers = bool(checked.workflows or self.scheduler.triggers)
        if self.has_timers:
            self._next_wake = self._earliest_wake()

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def from_source(cls, text: str, filename: str = "<script>", **options: Any) -> Engine:
        return cls(load_program({filename: text}), **options)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], **options: Any) -> Engine:
        sources = {str(p): Path(p).read_text("utf-8") for p in paths}
        return cls(load_program(sources), **options)

    def close(self) -> None:
        """Close the store the engine opened (a path or URL; a `Store` passed in is left open)."""
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- host functions --------------------------------------------------------------------
    def bind(self, name: str, function: Callable[..., Any]) -> None:
        """Provide the Python function behind `extern fn NAME`."""
        arguments.name(name, "the extern function's name")
        if not callable(function):
            raise HostError(
                f"the host function for `extern fn {name}` must be callable, got {arguments.describe(function)}"
            )
        signature = self.checked.externs.get(name)
        if signature is None:
            raise HostError(
                f"the script declares no `extern fn {name}`; declared: {', '.join(self.checked.externs) or 'none'}"
            )
        problem = host_mismatch(function, signature)
        if problem:
            raise HostError(f"host function for `extern fn {name}` does not match the script: {problem}")
        declared = signature.result
        tz = self.timezone

        def checked_call(*args: object) -> object:
            result = function(*args)
            if declared == T.VOID:
                return result
            try:
                return coerce(result, declared, f"the result of `{name}`", timezone=tz)
            except InputError as error:
                raise LeadflowRuntimeError(f"{error.message} (declared {declared})") from None

        self.ctx.hosts[name] = checked_call

    def unbound_externs(self) -> list[str]:
        return [name for name in self.checked.externs if name not in self.ctx.hosts]

    # ---- events -------------------------------------------------------------------------------
    def emit(
        self,
        event: str,
        contact: str | Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        *,
        at: dt.datetime | None = None,
        key: str | None = None,
    ) -> EmitResult:
        """Process one event in one transaction; raise InputError or LeadflowRuntimeError if it fails."""
        return self._emit(
            arguments.name(event, "the event name"),
            contact,
            arguments.event_data(data),
            arguments.moment(at, "`at`"),
            arguments.event_key(key),
        )

    def emit_many(
        self,
        events: Iterable[Mapping[str, Any] | LeadflowError],
        *,
        batch_size: int = 500,
        on_result: Callable[[int, EmitResult | LeadflowError], None] | None = None,
        keep_results: bool = True,
    ) -> list[EmitResult | LeadflowError]:
        """Process events (dicts as in an event file) with few commits; a failing event
        is rolled back alone. Returns, per event, an EmitResult or the error; `on_result`
        hears of each once its batch has committed.

        `events` is read lazily, a batch at a time, so a stream of any length costs the
        memory of a few batches; with `keep_results=False` (and `on_result` to hear of
        them) the results are not kept either. An item that is already a LeadflowError
        (an input line its reader found bad) is reported in its place, as it is."""
        arguments.iterable(events, "events", "event objects")
        arguments.count(batch_size, "batch_size")
        arguments.callback(on_result, "on_result")
        results: list[EmitResult | LeadflowError] = []
        reported = 0

        def report(outcomes: list[EmitResult | LeadflowError]) -> None:
            nonlocal reported
            for outcome in outcomes:
                if keep_results:
                    results.append(outcome)
                if on_result:
                    on_result(reported, outcome)
                reported += 1

        pending = iter(events)

        def take() -> list[Mapping[str, Any] | LeadflowError]:
            return list(itertools.islice(pending, batch_size))

        chunk, upcoming = take(), take()
        # Each batch commits on a writer thread while the next one runs, and then reads
        # the contacts of the batch after that (store/series.py).
        with self.store.batch_series() as series:
            self._prefetch_contacts(chunk + upcoming)
            while chunk:
                after = take()
                while True:
                    try:
                        outcomes = [self._outcome_of(item) for item in chunk]
                        series.next(partial(report, outcomes), ("contact", "email", self._contact_emails(after)))
                        break
                    except Interleaved:
                        # Another process committed between two batches: this one read a state it
                        # may have changed. Nothing of it was stored or reported; run it again.
                        series.restart()
                        self._prefetch_contacts(chunk + upcoming)  # into the new overlay
                chunk, upcoming = upcoming, after
        return results

    def _outcome_of(self, item: Mapping[str, Any] | LeadflowError) -> EmitResult | LeadflowError:
        if isinstance(item, LeadflowError):
            return item
        try:
            return self.emit_record(item)
        except LeadflowError as error:
            return error
        except VALUE_FAILURES as error:
            # A value no check foresaw (an int SQLite cannot bind, a date past year 9999, a
            # structure too deep to walk): the event's unit was rolled back, so it is this
            # event's failure alone, not its batch's. (sqlite3 errors and Interleaved are
            # the batch's, and pass.)
            return InputError(f"the event cannot be processed: {error}")

    def _prefetch_contacts(self, items: list[Mapping[str, Any] | LeadflowError]) -> None:
        """Let the store read the contacts of a batch's events with one query, not one each."""
        self.store.prefetch("contact", "email", self._contact_emails(items))

    def _contact_emails(self, items: list[Mapping[str, Any] | LeadflowError]) -> list[str]:
        """The emails that name the contacts of these events (emit_record says what is wrong with the rest)."""
        emails: list[str] = []
        for item in items:
            ref = item.get("record", item.get("contact")) if isinstance(item, MAPPING) else None
            if isinstance(ref, str):  # only a contact is named by its email
                try:  # noqa: SIM105 (a loop over a batch: try costs nothing, suppress() a call per item)
                    emails.append(self._contact_email(ref))
                except InputError:
                    pass
        return emails

    def emit_record(self, item: Mapping[str, Any]) -> EmitResult:
        """Process one event given as an event-file object: {"event", "contact", "at", "data", "id"}."""
        if not isinstance(item, MAPPING):
            raise InputError("an event must be a JSON object")
        if not item.keys() <= EVENT_KEYS:
            unknown = sorted(map(str, set(item) - EVENT_KEYS))
            raise InputError(
                f"unknown key(s) {', '.join(unknown)}; an event has event, contact (or record), at, data and id"
            )
        name = item.get("event")
        if not isinstance(name, str):
            raise InputError('the event has no "event" name')
        at = item.get("at")
        if at is not None:
            at = coerce(at, T.DATETIME, "at", timezone=self.timezone)
        data = arguments.event_data(item.get("data"))
        key = item.get("id")
        if key is not None and (not isinstance(key, (str, int)) or isinstance(key, bool)):
            raise InputError(f'"id" must be text or a whole number, got {_shown(key)}')
        target = item.get("record", item.get("contact"))  # `record` reads better for events on deals, tickets...
        return self._emit(name, target, data, at, arguments.event_key(str(key)) if key is not None else None)

    def _emit(
        self,
        name: str,
        contact: object,
        data: dict[str, Any],
        at: dt.datetime | None,
        key: str | None,
        payload: dict[str, Any] | None = None,
    ) -> EmitResult:
        schema = self.checked.events.get(name)
        if schema is None:
            from leadflow.diagnostics import did_you_mean

            guess = did_you_mean(name, self.checked.events)
            raise InputError(f"unknown event `{name}`" + (f"; did you mean `{guess}`?" if guess else ""))
        if at is not None:
            if at.tzinfo is None:
                at = at.replace(tzinfo=self.timezone)  # a naive time is in the engine's time zone
            in_range(at, "at")
        if self._next_wake is not None and self._next_wake <= (at or self.clock.now()):
            self.run_due(at)  # what was due before this event happens first
        if at is not None and isinstance(self.clock, SimulatedClock):
            self.clock.advance_to(at)
        at = at or self.clock.now()
        if payload is None:
            payload = self._payload(schema, data)
        key = key or event_key(name, contact, at, data)
        self.ctx.moment = at
        try:
            with _EngineUnit(self, at, key, payload) as tx:
                self.ctx.start(f"event {name}")  # `matching` conditions run before any rule starts its own budget
                first: list[Happening] = []
                record_id = self._resolve_record(schema.object_type, contact, tx, first)
                references = self._reference_fields[name]
                if references:
                    check_references(self.store, payload, references, name)
                # Logged first: a second run of the same event stops here, and the
                # rollback undoes even the contact it may have just created.
                if not self.store.log_event(key, name, record_id, at, data):
                    raise _AlreadyProcessed
                self._apply(name, schema, record_id, payload, tx, first)
        except _AlreadyProcessed:
            return EmitResult(key, None, duplicate=True)
        if self._next_wake is not None and self._next_wake <= at:
            self.run_due(at)  # the first steps of the runs it enrolled
        return EmitResult(key, record_id, fired=tuple(tx.fired), notes=tuple(tx.notes))

    def unit(self, at: dt.datetime, key: str, payload: dict[str, Any] | None = None) -> _EngineUnit:
        """One store unit at moment `at`: compiled code reads the unit's records and `now()` is `at`."""
        return _EngineUnit(self, at, key, payload)

    # ---- workflows and timed triggers -----------------------------------------------------------
    @property
    def is_simulated(self) -> bool:
        return isinstance(self.clock, SimulatedClock)

    def wake(self, at: dt.datetime) -> None:
        """Note that work is due at `at` (a run's timer, a schedule)."""
        if self._next_wake is None or at < self._next_wake:
            self._next_wake = at

    def next_wake(self) -> dt.datetime | None:
        """When workflow or schedule work is next due (None: nothing is waiting for a time)."""
        return self._earliest_wake()

    def _earliest_wake(self) -> dt.datetime | None:
        times = [t for t in (self.store.next_due(), self.scheduler.next_time()) if t is not None]
        return min(times, default=None)

    def run_due(self, until: dt.datetime | None = None) -> int:
        """Do the workflow steps and timed triggers due by `until` (default: now), in time
        order; with a simulated clock, the clock moves to each due time. Returns how many
        runs were advanced."""
        until = until or self.clock.now()
        advanced = 0
        self.scheduler.catch_up(until)
        while True:
            scheduled = self.scheduler.next_time()
            count, more = self.workflows.run_due_batch(min(until, scheduled) if scheduled else until)
            advanced += count
            if more:
                continue
            if scheduled is not None and scheduled <= until:
                self.scheduler.fire(scheduled)
                continue
            break
        self._next_wake = self._earliest_wake()
        self.runs_advanced += advanced
        return advanced

    def advance(self, to: dt.datetime | dt.timedelta) -> int:
        """Drive a simulated clock to `to` (a moment, or how far), doing all that falls due."""
        if not isinstance(self.clock, SimulatedClock):
            raise InputError("only a simulated clock can be advanced: this engine runs on the system clock")
        if not isinstance(to, (dt.datetime, dt.timedelta)):
            raise InputError(f"advance takes a datetime or a timedelta, got {arguments.describe(to)}")
        try:
            target = self.clock.now() + to if isinstance(to, dt.timedelta) else to
        except OverflowError:  # past Python's year 9999, so past the clock's range too
            raise InputError(f"the clock cannot move {to} on from {self.clock.now().isoformat()}") from None
        if target.tzinfo is None:
            target = target.replace(tzinfo=self.timezone)
        in_range(target, "the clock's target")
        advanced = self.run_due(target)
        self.clock.advance_to(target)
        return advanced

    def retry_run(self, run_id: int) -> Run:
        """Resume a run parked in error from its failed step."""
        arguments.record_id(run_id, "a run id")
        run = self.workflows.retry(run_id, self.clock.now())
        assert run.due is not None  # due again at its failed step
        self.wake(run.due)
        return run

    def stats(self, workflow: str) -> dict[str, Any]:
        """Per-workflow figures: enrolled, active, completed, goal conversion, errors by step."""
        from leadflow.workflows.stats import workflow_stats

        if arguments.name(workflow, "the workflow name") not in self.workflows.workflows:
            raise InputError(f"unknown workflow `{workflow}`")
        return workflow_stats(self.store, workflow)

    def _event_payloads(self, record_id: int, name: str, since: dt.datetime | None) -> list[dict[str, Any]]:
        schema = self.checked.events[name]
        payloads = []
        for entry in self.store.events(record_id=record_id, name=name, since=since):
            try:
                payloads.append(self._payload(schema, entry.data) if name != "upsert" else dict(entry.data))
            except LeadflowError:
                continue  # logged under an older version of the event's fields
        return payloads

    def _leave_unit(self) -> None:
        self.ctx.moment = None
        self._read_committed()

    def _read_committed(self) -> None:
        """Outside an event, compiled code (conditions) reads records from the store,
        not from the cache of the last event's transaction."""
        self.ctx.records, self.ctx.reverse_lookup = self._committed_readers

    def properties(self, record_id: int) -> dict[str, Any]:
        """A stored record's properties as compiled code reads them: defaults filled
        in, and `id`, `created_at`, `updated_at`."""
        record = self.store.get_record(record_id)
        if record is None:
            raise LeadflowRuntimeError(f"record {record_id} does not exist")
        return self.state_of(record)

    def _committed_reverse(self, record_id: int, owner: str, field: str) -> list[int]:
        return [r.id for r in self.store.find_all_by(owner, field, record_id)]

    def _apply(
        self,
        name: str,
        schema: EventSchema,
        record_id: int,
        payload: dict[str, Any],
        tx: Transaction,
        first: list[Happening],
    ) -> None:
        if name == "upsert":
            owner = email_owner(self.store, payload.get("email"), record_id)
            if owner is not None:
                raise InputError(f"upsert.email: {payload['email']} already belongs to contact {owner.id}")
            for prop, value in payload.items():
                tx.set_prop(record_id, prop, value, "event upsert")
            first.extend(tx.queue)
            tx.queue.clear()
        first.append(Happening("event", record_id, schema.object_type, name=name))
        tx.run(first)
        if name in self.workflows.wait_events:
            self.workflows.on_event(tx, record_id, name, payload)

    def _payload(self, schema: EventSchema, data: Mapping[str, Any]) -> dict[str, Any]:
        if schema.name == "upsert":
            return self._upsert_payload(data)
        fields = self._event_fields[schema.name]
        if not data.keys() <= fields.keys():
            unknown = ", ".join(sorted(data.keys() - fields.keys()))
            raise InputError(
                f"event `{schema.name}` has no field {unknown} (it has {', '.join(fields) or 'no fields'})"
            )
        return {field: convert(data.get(field)) for field, convert in fields.items()}

    def _upsert_payload(self, data: Mapping[str, Any], from_text: bool = False) -> dict[str, Any]:
        properties = self.checked.objects["contact"].properties
        payload = {}
        for prop, value in data.items():
            target = properties.get(prop)
            if target is None or target.readonly:
                why = "is read-only" if target else "does not exist"
                raise InputError(f"contact property `{prop}` {why}")
            if from_text:
                payload[prop] = coerce(
                    value, T.nullable(target.type), f"upsert.{prop}", timezone=self.timezone, from_text=True
                )
            else:
                payload[prop] = self._upsert_fields[prop](value)
        return payload

    def _resolve_record(self, object_type: str, ref: object, tx: Transaction, first: list[Happening]) -> int:
        if object_type == "contact" and isinstance(ref, str):  # the usual case, tested first
            email = self._contact_email(ref)
            record = self.store.find_by("contact", "email", email)
            if record is not None:
                tx.seed(record)
                return record.id
            record_id = tx.create("contact", {"email": email}, "event " + tx.key)
            first.extend(tx.queue)
            tx.queue.clear()
            return record_id
        if (
            isinstance(ref, MAPPING)
            and set(ref) == {"id"}
            and isinstance(ref["id"], int)
            and not isinstance(ref["id"], bool)
        ):
            # an id past SQLite's 64-bit integers names no record (and cannot even be asked for)
            record = self.store.get_record(ref["id"]) if 0 < ref["id"] < 2**63 else None
            if record is None or record.type != object_type:
                raise InputError(f"no {object_type} with id {ref['id']}")
            tx.seed(record)
            return record.id
        wanted = 'an email or {"id": N}' if object_type == "contact" else '{"id": N}'
        raise InputError(f'"contact" must be {wanted}, got {arguments.describe(ref)}')

    def state_of(self, record: Record) -> dict[str, Any]:
        """A stored record as compiled code reads it: its properties over the defaults
        (a record stored before a property got its default reads the default), and
        id, created_at and updated_at. A store's props hold no None: None is absence."""
        return {
            **self._defaults.get(record.type, {}),
            **record.props,
            "id": record.id,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }

    def with_defaults(self, object_type: str, props: dict[str, Any]) -> dict[str, Any]:
        full = dict(self._defaults.get(object_type, {}))
        full.update({k: v for k, v in props.items() if v is not None})
        return full

    # ---- import -----------------------------------------------------------------------------
    def import_rows(
        self,
        rows: Iterable[Mapping[str, str] | LeadflowError],
        *,
        source: str = "import",
        on_result: Callable[[int, EmitResult | LeadflowError], None] | None = None,
    ) -> list[EmitResult | LeadflowError]:
        """Import CSV-like rows (text cells) as upserts; each row is one idempotent event.
        A row that is a LeadflowError (its reader could not read it) is reported in its place."""
        arguments.iterable(rows, "rows", "mappings of column names to cells")
        arguments.name(source, "the import's source")
        arguments.callback(on_result, "on_result")
        results: list[EmitResult | LeadflowError] = []
        with self.store.batch():
            for number, row in enumerate(rows, 1):
                if isinstance(row, LeadflowError):
                    results.append(row)
                    if on_result:
                        on_result(number, row)
                    continue
                try:
                    email, cells = _row_cells(row)
                    if not email:
                        raise InputError("the row has no email")
                    payload = self._upsert_payload(cells, from_text=True)
                    digest = hashlib.sha256(json.dumps([source, number, email, cells], sort_keys=True).encode())
                    outcome: EmitResult | LeadflowError = self._emit(
                        "upsert", email, cells, None, "import:" + digest.hexdigest()[:32], payload
                    )
                except LeadflowError as error:
                    outcome = error
                except VALUE_FAILURES as error:  # the row's alone, as in emit_many (see _outcome_of)
                    outcome = InputError(f"the row cannot be processed: {error}")
                results.append(outcome)
                if on_result:
                    on_result(number, outcome)
        return results

    # ---- effects ----------------------------------------------------------------------------
    def deliver(
        self,
        now: dt.datetime | None = None,
        *,
        limit: int | None = None,
        email_sender: EmailSenderLike | None = None,
        webhook_sender: WebhookSenderLike | None = None,
    ) -> DeliveryReport:
        """Send due effects from the outbox; returns a DeliveryReport. `email_sender` and
        `webhook_sender` replace the configured senders (the test runner answers from the test)."""
        from leadflow.effects import Deliverer, WebhookSender, email_sender_from_url

        now = arguments.moment(now, "`now`")
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=self.timezone)
        arguments.count(limit, "limit", optional=True)

        deliverer = Deliverer(
            self.store,
            email_sender or email_sender_from_url(self.email),
            webhook_sender or WebhookSender(self.secrets, allow_private=self.allow_private_webhooks),
            notify=self.notify,
            on_settled=partial(wake_effect_run, self.store, clock=self.clock) if self.workflows.workflows else None,
        )
        report = deliverer.deliver(now or self.clock.now(), limit=limit)
        if self.has_timers:
            self._next_wake = self._earliest_wake()  # webhook answers make their runs due
        return report

    # ---- reading --------------------------------------------------------------------------
    def find(self, ref: int | str) -> int | None:
        """The id of the record `ref` names (a record id, or a contact's email), or None."""
        if isinstance(ref, int) and not isinstance(ref, bool):
            return ref if self.store.get_record(ref) else None
        if not isinstance(ref, str):
            raise InputError(
                f"a record is named by its id (a whole number) or a contact's email, got {arguments.describe(ref)}"
            )
        try:
            email = normal_email(ref)
        except NotAnEmail:
            return None  # no contact can have it
        record = self.store.find_by("contact", "email", email)
        return record.id if record else None

    def record(self, ref: int | str) -> RecordView:
        record_id = self.find(ref)
        record = self.store.get_record(record_id) if record_id is not None else None
        if record is None:
            raise InputError(f"no record {ref!r}")
        runs = [(run, self.store.run_log(run.id)) for run in self.store.runs(record_id=record.id)]
        return RecordView(
            record.id,
            record.type,
            self.state_of(record),
            sorted(self.store.lists_of(record.id)),
            self.store.history(record.id),
            runs,
        )

    # ---- expressions given at run time ----------------------------------------------------
    def check_expression(
        self,
        text: str,
        *,
        object_type: str | None = "contact",
        bindings: Mapping[str, T.Type] | None = None,
        condition: bool = False,
        source_name: str = "<expr>",
    ) -> CheckedExpression:
        """Parse and type-check one expression in the program's context: its objects,
        enums, constants and functions, the properties of `object_type` as bare
        names, and `bindings` (name -> type) as `let`s. Raises ScriptError."""
        arguments.name(text, "the expression")
        if object_type is not None and object_type not in self.checked.objects:
            raise InputError(
                f"unknown object type {arguments.describe(object_type)}; "
                f"the script declares {', '.join(self.checked.objects)}"
            )
        if bindings is not None and not (
            isinstance(bindings, Mapping)
            and all(isinstance(k, str) and isinstance(v, T.Type) for k, v in bindings.items())
        ):
            raise InputError("bindings must map names (text) to Leadflow types")
        expr = parse_expr(text, source_name)
        checker = self._shared_checker()
        checker.diagnostics.clear()
        scope = Scope(object_type, locals=dict(bindings or {}), where=source_name)
        if condition:
            checker.exprs.expect_condition(expr, scope)
        else:
            checker.exprs.check(expr, scope)
        errors = [d for d in checker.diagnostics if d.severity == "error"]
        if errors:
            self._forget(expr)
            raise ScriptError(errors)
        # The compiler reads types and names from these tables, keyed by node identity.
        self.gen.checked.types.update(checker.types)
        self.gen.checked.names.update(checker.names)
        return CheckedExpression(
            expr, checker.types[id(expr)], text, tuple(checker.diagnostics), reads_record(expr, checker.names)
        )

    def expression(
        self,
        text: str,
        *,
        object_type: str | None = "contact",
        bindings: Mapping[str, T.Type] | None = None,
        condition: bool = False,
        source_name: str = "<expr>",
    ) -> Expression:
        """A checked, compiled expression to evaluate against stored records (the REPL's);
        the options are those of `check_expression`."""
        checked = self.check_expression(
            text, object_type=object_type, bindings=bindings, condition=condition, source_name=source_name
        )
        try:
            return Expression(checked, self.gen.function(checked.expr, "value"), self)
        finally:
            self._forget(checked.expr)

    def condition(self, text: str, object_type: str = "contact") -> Callable[[Mapping[str, Any]], bool]:
        """A compiled, type-checked predicate over a plain mapping of properties."""
        arguments.name(object_type, "the object type")
        expr = self.check_expression(text, object_type=object_type, condition=True, source_name="<condition>").expr
        start = ""
        if calls_code(self.checked, expr):  # `fn` and host calls tick: each evaluation gets a fresh budget
            start = f"    ctx.start({f'condition `{text}`'!r})\n"
        # A plain mapping may lack `id` or hold None for a property with a default: say so
        # instead of leaking a KeyError or TypeError (the try costs nothing until it catches).
        try:
            compiled = self.gen.define(
                f"def _condition(p, ev=None, loc=None, ctx=_ctx):\n{start}"
                f"    try:\n        return {self.gen.expr(expr)}\n"
                f"    except (KeyError, TypeError) as error:\n        raise _record_problem(error, {text!r}) from None\n"
                f"    except Exception as error:\n        raise _locate(error, None)\n",
                "_condition",
            )
        finally:
            self._forget(expr)
        compiled.text = text
        return cast("Callable[[Mapping[str, Any]], bool]", compiled)  # generated: `define` cannot know its type

    def _forget(self, expr: ast.Expr) -> None:
        """Drop what the checker noted of a run-time expression once it is compiled. The
        notes are keyed by id(node): once the expression is garbage a later one may get
        the same ids, and must not find them (a string literal would read as an enum member)."""
        tables = (
            self._shared_checker().types,
            self._shared_checker().names,
            self.gen.checked.types,
            self.gen.checked.names,
        )
        for node in walk(expr):
            for notes in tables:
                notes.pop(id(node), None)

    def _shared_checker(self) -> Checker:
        if self._checker is None:
            self._checker = Checker(self.checked.program, self.checked.sources)
            self._checker.run()
        return self._checker


EVENT_KEYS = frozenset({"event", "contact", "record", "at", "data", "id"})


class _EngineUnit:
    """What `Engine.unit` returns: a store unit with the engine's context pointed at it.

    A class rather than a @contextmanager generator: the engine enters one per
    event, and this is measurably cheaper."""

    __slots__ = ("engine", "tx", "store_unit")

    def __init__(self, engine: Engine, at: dt.datetime, key: str, payload: dict[str, Any] | None) -> None:
        self.engine = engine
        self.tx = Transaction(engine, at, key, payload)

    def __enter__(self) -> Transaction:
        engine, tx = self.engine, self.tx
        ctx = engine.ctx
        ctx.moment = tx.at
        self.store_unit = unit = engine.store.transaction()
        try:
            unit.__enter__()
        except BaseException:
            engine._leave_unit()
            raise
        ctx.records = tx.props
        ctx.reverse_lookup = tx.reverse
        return tx

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            self.store_unit.__exit__(exc_type, exc, traceback)
        finally:
            self.engine._leave_unit()


# Python's errors for a value it cannot handle, as an event's own failure (see _outcome_of).
VALUE_FAILURES = (ArithmeticError, ValueError, RecursionError)


def _shown(value: object, limit: int = 80) -> str:
    """A JSON value for an error message: at most `limit` characters, and never an error itself."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # ints past 4300 digits, nesting past the recursion limit
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


MAPPING = (dict, Mapping)  # for isinstance: a dict is told apart at once, the ABC's check costs more


class _AlreadyProcessed(Exception):
    """Raised inside the transaction to roll back a duplicate event."""


def secret_values(checked: CheckedProgram, given: Mapping[str, str] | None) -> dict[str, str]:
    """The values of the script's secrets: the host's, else LEADFLOW_SECRET_<NAME>'s;
    SecretValueError, naming the secret, for one that cannot go in an HTTP header."""
    from leadflow.effects.secrets import check_values

    values = {
        name: os.environ[f"LEADFLOW_SECRET_{name}"]
        for name in checked.secrets
        if f"LEADFLOW_SECRET_{name}" in os.environ
    }
    values.update(given or {})
    return check_values(values)


def calls_code(checked: CheckedProgram, node: ast.Expr) -> bool:
    """Whether an expression calls a `fn` or a host function, which run under the step budget."""
    return any(
        isinstance(n, ast.Call) and (n.func in checked.functions or n.func in checked.externs) for n in walk(node)
    )


def event_key(name: str, contact: object, at: dt.datetime, data: Mapping[str, Any]) -> str:
    """A stable key for an event without an id: the same event twice is one event."""
    try:
        blob = json.dumps([name, contact, at.isoformat(), data], sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):  # a key that is not text, a cycle
        raise InputError("the event's contact and data must be JSON-like values (text keys, no cycles)") from None
    return "ev:" + hashlib.sha256(blob.encode()).hexdigest()[:32]


def _row_cells(row: object) -> tuple[str, dict[str, str | int | float]]:
    """An import row's email and its other non-empty cells (CSV text, or values as text)."""
    if not isinstance(row, MAPPING):
        raise InputError(f"a row must be a mapping of column names to cells, got {arguments.describe(row)}")
    email = row.get("email")
    if email is not None and not isinstance(email, str):
        raise InputError(f"the email cell must be text, got {arguments.describe(email)}")
    cells: dict[str, str | int | float] = {}
    for column, cell in row.items():
        if column is None or column == "email" or cell is None:  # None: csv's key for cells past the header
            continue
        if not isinstance(column, str):
            raise InputError(f"column names must be text, got {arguments.describe(column)}")
        if not isinstance(cell, (str, int, float)):
            raise InputError(f"column {column}: a cell must be text or a number, got {arguments.describe(cell)}")
        if column and str(cell).strip():
            cells[column] = cell
    return (email or "").strip(), cells
