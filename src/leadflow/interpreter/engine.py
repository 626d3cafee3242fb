"""The engine: a checked, compiled script bound to a store, a clock and a host.

    engine = Engine.from_source(text, store="crm.db", clock=SimulatedClock())
    engine.bind("team_availability", my_function)
    engine.emit("form_submitted", contact="ada@example.com", data={"form": "demo"})
    engine.deliver()

`emit` processes one event in one store transaction (see transaction.py);
`emit_many` groups many such units into few commits. Effects wait in the
outbox until `deliver` sends them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from leadflow.check import types as T
from leadflow.check.checker import Checker, check
from leadflow.check.program import CheckedProgram
from leadflow.check.scope import Scope
from leadflow.clock import SimulatedClock, SystemClock
from leadflow.errors import HostError, InputError, LeadflowError, LeadflowRuntimeError, ScriptError
from leadflow.interpreter.actions import ActionCompiler
from leadflow.interpreter.coerce import coerce, coercer
from leadflow.interpreter.compile import Codegen
from leadflow.interpreter.hosts import host_mismatch
from leadflow.interpreter.rules import compile_rules
from leadflow.interpreter.runtime import DEFAULT_STEP_BUDGET, RunContext
from leadflow.interpreter.transaction import DEFAULT_CASCADE_LIMIT, Happening, Transaction
from leadflow.interpreter.validate import normal_email
from leadflow.store import Store, open_store
from leadflow.syntax import ast
from leadflow.syntax.parser import parse, parse_expr


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
    properties: dict
    lists: list[str]
    history: list


def load_program(sources: Mapping[str, str]) -> CheckedProgram:
    """Parse and check several files as one program; ScriptError lists every problem."""
    decls: list = []
    syntax_errors: list = []
    for name, text in sources.items():
        try:
            decls.extend(parse(text, name).decls)
        except ScriptError as error:  # keep going: every file's syntax errors are reported at once
            syntax_errors.extend(error.diagnostics)
    if syntax_errors:
        raise ScriptError(syntax_errors)
    return check(ast.Program(tuple(decls)), dict(sources))


class Engine:
    def __init__(
        self,
        checked: CheckedProgram,
        store: Store | str = ":memory:",
        clock=None,
        *,
        timezone: str = "UTC",
        secrets: Mapping[str, str] | None = None,
        email: str | None = None,
        sender: str = "Leadflow <leadflow@localhost>",
        allow_private_webhooks: bool = False,
        notify: Callable[[str, str, dict], None] | None = None,
        seed: int | None = None,
        step_budget: int = DEFAULT_STEP_BUDGET,
        cascade_limit: int = DEFAULT_CASCADE_LIMIT,
    ):
        self.checked = checked
        self.store = open_store(store) if isinstance(store, str) else store
        self.clock = clock or SystemClock()
        self.timezone = ZoneInfo(timezone)
        # A declared secret's value comes from the host, else from LEADFLOW_SECRET_<NAME>.
        self.secrets = {
            name: os.environ[f"LEADFLOW_SECRET_{name}"]
            for name in checked.secrets if f"LEADFLOW_SECRET_{name}" in os.environ
        }
        self.secrets.update(secrets or {})
        self.email = email or "leadflow-outbox"
        self.sender = sender
        from leadflow.effects import email_sender_from_url

        email_sender_from_url(self.email)  # a bad URL is an error now, not after the events committed
        self.allow_private_webhooks = allow_private_webhooks
        self.notify = notify
        self.cascade_limit = cascade_limit
        self.gen = Codegen(checked, self.timezone)
        self.ctx = RunContext(self.clock, self.timezone, self.gen.sites, seed=seed, step_budget=step_budget)
        self.gen.namespace["_ctx"] = self.ctx
        self._read_committed()
        self.gen.namespace["_clock_now"] = self.ctx.now
        self.gen.compile_functions()
        self.actions = ActionCompiler(checked, self.gen)
        self.rules = compile_rules(checked, self.gen, self.actions)
        self._defaults = {
            name: {p.name: self.gen.const_value_of(p.default) for p in schema.properties.values() if p.default is not None}
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
        self._contact_email = coercer(T.EMAIL, "contact")

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def from_source(cls, text: str, filename: str = "<script>", **options) -> Engine:
        return cls(load_program({filename: text}), **options)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], **options) -> Engine:
        sources = {str(p): Path(p).read_text("utf-8") for p in paths}
        return cls(load_program(sources), **options)

    # ---- host functions --------------------------------------------------------------------
    def bind(self, name: str, function: Callable) -> None:
        """Provide the Python function behind `extern fn NAME`."""
        signature = self.checked.externs.get(name)
        if signature is None:
            raise HostError(f"the script declares no `extern fn {name}`; declared: {', '.join(self.checked.externs) or 'none'}")
        problem = host_mismatch(function, signature)
        if problem:
            raise HostError(f"host function for `extern fn {name}` does not match the script: {problem}")
        declared = signature.result
        tz = self.timezone

        def checked_call(*args):
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
    def emit(self, event: str, contact=None, data: Mapping | None = None, *, at: dt.datetime | None = None,
             key: str | None = None) -> EmitResult:
        """Process one event in one transaction; raise InputError or LeadflowRuntimeError if it fails."""
        return self._emit(event, contact, dict(data or {}), at, key)

    def emit_many(self, events: Iterable[dict], *, batch_size: int = 500,
                  on_result: Callable[[int, EmitResult | LeadflowError], None] | None = None) -> list:
        """Process events (dicts as in an event file) with few commits; a failing event
        is rolled back alone. Returns, per event, an EmitResult or the error."""
        results: list = []
        pending = iter(events)
        while chunk := list(itertools.islice(pending, batch_size)):
            with self.store.batch():
                self._prefetch_contacts(chunk)
                for item in chunk:
                    try:
                        outcome = self.emit_record(item)
                    except LeadflowError as error:
                        outcome = error
                    results.append(outcome)
                    if on_result:
                        on_result(len(results) - 1, outcome)
        return results

    def _prefetch_contacts(self, items: list) -> None:
        """Let the store read the contacts of a batch's events with one query, not one each."""
        emails = []
        for item in items:  # what is wrong with an item, emit_record says
            ref = item.get("record", item.get("contact")) if isinstance(item, MAPPING) else None
            if isinstance(ref, str):  # only a contact is named by its email
                emails.append(normal_email(ref))
        if emails:
            self.store.prefetch("contact", "email", emails)

    def emit_record(self, item: Mapping) -> EmitResult:
        """Process one event given as an event-file object: {"event", "contact", "at", "data", "id"}."""
        if not isinstance(item, MAPPING):
            raise InputError("an event must be a JSON object")
        if not item.keys() <= EVENT_KEYS:
            unknown = set(item) - EVENT_KEYS
            raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}; an event has event, contact (or record), at, data and id")
        name = item.get("event")
        if not isinstance(name, str):
            raise InputError("the event has no \"event\" name")
        at = item.get("at")
        if at is not None:
            at = coerce(at, T.DATETIME, "at", timezone=self.timezone)
        data = item.get("data") or {}
        if not isinstance(data, MAPPING):
            raise InputError("\"data\" must be a JSON object")
        key = item.get("id")
        if key is not None and not isinstance(key, (str, int)):
            raise InputError("\"id\" must be text or a number")
        target = item.get("record", item.get("contact"))  # `record` reads better for events on deals, tickets...
        return self._emit(name, target, dict(data), at, str(key) if key is not None else None)

    def _emit(self, name: str, contact, data: dict, at, key, payload: dict | None = None) -> EmitResult:
        schema = self.checked.events.get(name)
        if schema is None:
            from leadflow.diagnostics import did_you_mean

            guess = did_you_mean(name, self.checked.events)
            raise InputError(f"unknown event `{name}`" + (f"; did you mean `{guess}`?" if guess else ""))
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=self.timezone)  # a naive time is in the engine's time zone
        if at is not None and isinstance(self.clock, SimulatedClock):
            self.clock.advance_to(at)
        at = at or self.clock.now()
        if payload is None:
            payload = self._payload(schema, data)
        key = key or event_key(name, contact, at, data)
        self.ctx.moment = at
        try:
            with self.store.transaction():
                tx = Transaction(self, at, key, payload)
                self.ctx.records = tx.props
                self.ctx.reverse_lookup = tx.reverse
                self.ctx.start(f"event {name}")  # `matching` conditions run before any rule starts its own budget
                first: list[Happening] = []
                record_id = self._resolve_record(schema.object_type, contact, tx, first)
                # Logged first: a second run of the same event stops here, and the
                # rollback undoes even the contact it may have just created.
                if not self.store.log_event(key, name, record_id, at, data):
                    raise _AlreadyProcessed
                self._apply(name, schema, record_id, payload, tx, first)
        except _AlreadyProcessed:
            return EmitResult(key, None, duplicate=True)
        finally:
            self.ctx.moment = None
            self._read_committed()
        return EmitResult(key, record_id, fired=tuple(tx.fired), notes=tuple(tx.notes))

    def _read_committed(self) -> None:
        """Outside an event, compiled code (conditions) reads records from the store,
        not from the cache of the last event's transaction."""
        self.ctx.records = self._committed_props
        self.ctx.reverse_lookup = self._committed_reverse

    def _committed_props(self, record_id: int) -> dict:
        record = self.store.get_record(record_id)
        if record is None:
            raise LeadflowRuntimeError(f"record {record_id} does not exist")
        return self.state_of(record)

    def _committed_reverse(self, record_id: int, owner: str, field: str) -> list[int]:
        return [r.id for r in self.store.find_all_by(owner, field, record_id)]

    def _apply(self, name, schema, record_id, payload, tx, first) -> None:
        if name == "upsert":
            for prop, value in payload.items():
                tx.set_prop(record_id, prop, value, "event upsert")
            first.extend(tx.queue)
            tx.queue.clear()
        first.append(Happening("event", record_id, schema.object_type, name=name))
        tx.run(first)

    def _payload(self, schema, data: dict) -> dict:
        if schema.name == "upsert":
            return self._upsert_payload(data)
        fields = self._event_fields[schema.name]
        if not data.keys() <= fields.keys():
            unknown = ", ".join(sorted(data.keys() - fields.keys()))
            raise InputError(f"event `{schema.name}` has no field {unknown} (it has {', '.join(fields) or 'no fields'})")
        return {field: convert(data.get(field)) for field, convert in fields.items()}

    def _upsert_payload(self, data: dict, from_text: bool = False) -> dict:
        properties = self.checked.objects["contact"].properties
        payload = {}
        for prop, value in data.items():
            target = properties.get(prop)
            if target is None or target.readonly:
                why = "is read-only" if target else "does not exist"
                raise InputError(f"contact property `{prop}` {why}")
            if from_text:
                payload[prop] = coerce(value, T.nullable(target.type), f"upsert.{prop}",
                                       timezone=self.timezone, from_text=True)
            else:
                payload[prop] = self._upsert_fields[prop](value)
        return payload

    def _resolve_record(self, object_type: str, ref, tx: Transaction, first: list) -> int:
        if isinstance(ref, MAPPING) and set(ref) == {"id"} and isinstance(ref["id"], int) and not isinstance(ref["id"], bool):
            record = self.store.get_record(ref["id"])
            if record is None or record.type != object_type:
                raise InputError(f"no {object_type} with id {ref['id']}")
            tx.seed(record)
            return record.id
        if object_type == "contact" and isinstance(ref, str):
            email = self._contact_email(ref)
            record = self.store.find_by("contact", "email", email)
            if record is not None:
                tx.seed(record)
                return record.id
            record_id = tx.create("contact", {"email": email}, "event " + tx.key)
            first.extend(tx.queue)
            tx.queue.clear()
            return record_id
        wanted = "an email or {\"id\": N}" if object_type == "contact" else "{\"id\": N}"
        raise InputError(f"\"contact\" must be {wanted}, got {json.dumps(ref)}")

    def state_of(self, record) -> dict:
        """A stored record as compiled code reads it: its properties over the defaults
        (a record stored before a property got its default reads the default), and
        id, created_at and updated_at. A store's props hold no None: None is absence."""
        return {**self._defaults.get(record.type, {}), **record.props,
                "id": record.id, "created_at": record.created_at, "updated_at": record.updated_at}

    def with_defaults(self, object_type: str, props: dict) -> dict:
        full = dict(self._defaults.get(object_type, {}))
        full.update({k: v for k, v in props.items() if v is not None})
        return full

    # ---- import -----------------------------------------------------------------------------
    def import_rows(self, rows: Iterable[Mapping[str, str]], *, source: str = "import", on_result=None) -> list:
        """Import CSV-like rows (text cells) as upserts; each row is one idempotent event."""

        results = []
        with self.store.batch():
            for number, row in enumerate(rows, 1):
                email = (row.get("email") or "").strip()
                cells = {k: v for k, v in row.items() if k and k != "email" and v is not None and str(v).strip()}
                try:
                    if not email:
                        raise InputError("the row has no email")
                    payload = self._upsert_payload(cells, from_text=True)
                    digest = hashlib.sha256(json.dumps([source, number, email, cells], sort_keys=True).encode())
                    outcome = self._emit("upsert", email, cells, None, "import:" + digest.hexdigest()[:32], payload)
                except LeadflowError as error:
                    outcome = error
                results.append(outcome)
                if on_result:
                    on_result(number, outcome)
        return results

    # ---- effects ----------------------------------------------------------------------------
    def deliver(self, now: dt.datetime | None = None, *, limit: int | None = None):
        """Send due effects from the outbox; returns a DeliveryReport."""
        from leadflow.effects import Deliverer, WebhookSender, email_sender_from_url

        deliverer = Deliverer(
            self.store,
            email_sender_from_url(self.email),
            WebhookSender(self.secrets, allow_private=self.allow_private_webhooks),
            notify=self.notify,
        )
        return deliverer.deliver(now or self.clock.now(), limit=limit)

    # ---- reading --------------------------------------------------------------------------
    def find(self, ref) -> int | None:
        if isinstance(ref, int):
            return ref if self.store.get_record(ref) else None
        record = self.store.find_by("contact", "email", normal_email(ref))
        return record.id if record else None

    def record(self, ref) -> RecordView:
        record_id = self.find(ref)
        record = self.store.get_record(record_id) if record_id is not None else None
        if record is None:
            raise InputError(f"no record {ref!r}")
        return RecordView(record.id, record.type, self.state_of(record), sorted(self.store.lists_of(record.id)),
                          self.store.history(record.id))

    # ---- conditions --------------------------------------------------------------------------
    def condition(self, text: str, object_type: str = "contact") -> Callable[[Mapping], bool]:
        """A compiled, type-checked predicate over a plain mapping of properties."""
        source_name = "<condition>"
        expr = parse_expr(text, source_name)
        checker = self._shared_checker()
        checker.diagnostics.clear()
        try:
            checker.exprs.expect_condition(expr, Scope(object_type, where="condition"))
            errors = [d for d in checker.diagnostics if d.severity == "error"]
            if errors:
                raise ScriptError(errors)
            self.gen.checked.types.update(checker.types)
            self.gen.checked.names.update(checker.names)
            start = ""
            if calls_code(self.checked, expr):  # `fn` and host calls tick: each evaluation gets a fresh budget
                start = f"    ctx.start({f'condition `{text}`'!r})\n"
            # A plain mapping may lack `id` or hold None for a property with a default: say so
            # instead of leaking a KeyError or TypeError (the try costs nothing until it catches).
            compiled = self.gen.define(
                f"def _condition(p, ev=None, loc=None, ctx=_ctx):\n{start}"
                f"    try:\n        return {self.gen.expr(expr)}\n"
                f"    except (KeyError, TypeError) as error:\n        raise _record_problem(error, {text!r}) from None\n",
                "_condition")
        finally:
            # What the checker noted of this expression is keyed by id(node). Once the
            # expression is garbage a later one may get the same ids, and must not find
            # these notes: a string literal would read as an enum member, say.
            for node_id in node_ids(expr):
                for notes in (checker.types, checker.names, self.gen.checked.types, self.gen.checked.names):
                    notes.pop(node_id, None)
        compiled.text = text
        return compiled

    def _shared_checker(self) -> Checker:
        if self._checker is None:
            self._checker = Checker(self.checked.program, self.checked.sources)
            self._checker.run()
        return self._checker


EVENT_KEYS = frozenset({"event", "contact", "record", "at", "data", "id"})
MAPPING = (dict, Mapping)  # for isinstance: a dict is told apart at once, the ABC's check costs more


class _AlreadyProcessed(Exception):
    """Raised inside the transaction to roll back a duplicate event."""


def calls_code(checked: CheckedProgram, node) -> bool:
    """Whether an expression calls a `fn` or a host function, which run under the step budget."""
    if isinstance(node, tuple):
        return any(calls_code(checked, child) for child in node)
    if isinstance(node, ast.Call) and (node.func in checked.functions or node.func in checked.externs):
        return True
    return attrs.has(type(node)) and any(calls_code(checked, getattr(node, f.name)) for f in attrs.fields(type(node)))


def node_ids(node) -> list[int]:
    """id() of every syntax node in an expression."""
    if isinstance(node, tuple):
        return [i for child in node for i in node_ids(child)]
    if not attrs.has(type(node)):
        return []
    return [id(node)] + [i for f in attrs.fields(type(node)) for i in node_ids(getattr(node, f.name))]


def event_key(name: str, contact, at: dt.datetime, data: dict) -> str:
    """A stable key for an event without an id: the same event twice is one event."""
    blob = json.dumps([name, contact, at.isoformat(), data], sort_keys=True, default=str)
    return "ev:" + hashlib.sha256(blob.encode()).hexdigest()[:32]
