"""One event's work: the rules it fires and everything they cascade into.

Design (section 9 of the language design):
* The whole cascade runs inside one store transaction; any runtime error
  rolls all of it back and the event is reported as failed, never half done.
* Happenings (the event, a record created, a property changed, a list
  joined or left, a `matching` condition becoming true) go into a FIFO queue:
  cascades run breadth-first, rules in declaration order within a happening.
* A happening remembers the rule that caused it; that rule is not run again
  for it, so a rule never re-triggers itself on its own change.
* `matching` rules are evaluated around each write to a property their
  condition (trigger and `if`) reads: they fire when the condition goes from
  false to true, if it still holds when their turn in the queue comes.
* Effects (email, webhooks, notifications) are written to the outbox in the
  same transaction, keyed by event, rule and action, and delivered after
  commit: a crash neither loses nor doubles one.
* Property writes are buffered per record and written once, with their
  history, when the cascade ends (or before anything reads the store), so a
  rule that sets three properties costs one UPDATE, not three read-writes.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from leadflow import limits
from leadflow.errors import InputError, LeadflowRuntimeError
from leadflow.interpreter.actions import Activation
from leadflow.interpreter.integrity import email_owner
from leadflow.values import plain

if TYPE_CHECKING:
    from leadflow.interpreter.engine import Engine
    from leadflow.interpreter.rules import CompiledRule
    from leadflow.store.base import Record

DEFAULT_CASCADE_LIMIT = 10


class CascadeLimitExceeded(LeadflowRuntimeError):
    pass


@attrs.define
class Happening:
    kind: str  # event, created, changed, added, removed, matching
    record_id: int
    object_type: str
    source: int | None = None  # index of the rule that caused it
    depth: int = 0
    name: str = ""  # event name, property or list name
    old: object = None
    new: object = None
    rule: CompiledRule | None = None  # for "matching": the rule that now matches
    chain: tuple[str, ...] = ()


class Transaction:
    __slots__ = (
        "engine",
        "store",
        "ctx",
        "at",
        "key",
        "event_payload",
        "queue",
        "cache",
        "dirty",
        "changed",
        "fired",
        "notes",
        "current",
        "current_rule",
    )

    def __init__(self, engine: Engine, at: dt.datetime, key: str, event_payload: dict[str, Any] | None) -> None:
        self.engine = engine
        self.store = engine.store
        self.ctx = engine.ctx
        self.at = at
        self.key = key
        self.event_payload = event_payload
        self.queue: deque[Happening] = deque()
        self.cache: dict[int, tuple[str, dict[str, Any]]] = {}
        self.dirty: dict[int, list[tuple[str, object, object, str]]] = {}  # record -> buffered sets
        self.changed: set[int] = set()  # records whose properties changed: their runs' goals are checked
        self.fired: list[str] = []
        self.notes: list[str] = []
        self.current: Happening | None = None
        self.current_rule: int | None = None

    # ---- records -------------------------------------------------------------------
    def load(self, record_id: int) -> tuple[str, dict[str, Any]]:
        cached = self.cache.get(record_id)
        if cached is None:
            record = self.store.get_record(record_id)
            if record is None:
                raise LeadflowRuntimeError(f"record {record_id} does not exist")
            cached = self.seed(record)
        return cached

    def seed(self, record: Record) -> tuple[str, dict[str, Any]]:
        """Cache a record the caller already read from the store."""
        # with the defaults, so that `increment` and `changed from` start from them, not from null
        cached = self.cache[record.id] = (record.type, self.engine.state_of(record))
        return cached

    def flush(self, record_id: int | None = None) -> None:
        """Write buffered property changes (of one record, or all) to the store."""
        for rid in [record_id] if record_id is not None else list(self.dirty):
            changes = self.dirty.pop(rid, None)
            if changes:
                self.store.write_changes(rid, changes, self.at)

    def props(self, record_id: int) -> dict[str, Any]:
        return self.load(record_id)[1]

    def reverse(self, record_id: int, owner: str, field: str) -> list[int]:
        self.flush()
        return [r.id for r in self.store.find_all_by(owner, field, record_id)]

    # ---- writes, each raising the happenings it causes -------------------------------------
    def create(self, object_type: str, props: dict[str, Any], cause: str) -> int:
        full = self.engine.with_defaults(object_type, props)
        record = self.store.create_record(object_type, full, self.at, cause)
        state = dict(record.props)
        state.update(id=record.id, created_at=record.created_at, updated_at=record.updated_at)
        self.cache[record.id] = (object_type, state)
        if object_type in self.engine.rules.created:  # queue only what some rule listens to
            self._raise(Happening("created", record.id, object_type))
        for rule in self.engine.rules.matching_by_type.get(object_type, ()):
            if self._holds(rule, state):
                self._raise(Happening("matching", record.id, object_type, rule=rule))
        return record.id

    def set_prop(self, record_id: int, name: str, value: Any, cause: str) -> None:
        object_type, p = self.load(record_id)
        old = p.get(name)
        if old == value and type(old) is type(value):
            return
        if name == "email" and object_type == "contact":
            self._claim_email(record_id, value)
        rules = self.engine.rules
        watched = (object_type, name)
        watchers = rules.matching.get(watched)  # most properties have none: skip the bookkeeping
        if watchers:
            before = [self._holds(rule, p) for rule in watchers]
        self.dirty.setdefault(record_id, []).append((name, old, value, cause))
        self.changed.add(record_id)
        if value is None:
            p.pop(name, None)
        else:
            p[name] = value
        p["updated_at"] = self.at
        if watched in rules.changed:
            self._raise(Happening("changed", record_id, object_type, name=name, old=old, new=value))
        if watchers:
            for rule, held in zip(watchers, before, strict=True):
                if not held and self._holds(rule, p):
                    self._raise(Happening("matching", record_id, object_type, rule=rule))

    def _claim_email(self, record_id: int, email: object) -> None:
        """A contact's email is its own (integrity.py): refuse one another contact has,
        here, where the rule that sets it is known, rather than when the write is flushed."""
        self.flush()  # so the store sees this unit's earlier changes of emails
        owner = email_owner(self.store, email, record_id)
        if owner is not None:
            raise LeadflowRuntimeError(
                f"cannot give contact {record_id} the email {email}: contact {owner.id} already has it"
            )

    def change_list(self, record_id: int, list_name: str, add: bool, cause: str) -> None:
        self.flush(record_id)  # keeps the record's history in the order things happened
        change = self.store.add_to_list if add else self.store.remove_from_list
        listeners = self.engine.rules.added if add else self.engine.rules.removed
        if change(record_id, list_name, self.at, cause) and list_name in listeners:
            object_type = self.load(record_id)[0]
            self._raise(Happening("added" if add else "removed", record_id, object_type, name=list_name))

    def enqueue(self, kind: str, payload: dict[str, Any], key: str) -> None:
        self.store.queue_effect(kind, payload, key, self.at)

    def note(self, record_id: int, text: str, cause: str) -> None:
        self.notes.append(f"{cause}: {text}")

    @staticmethod
    def jsonable(value: Any) -> Any:
        limits.check_written_size(value)  # a webhook body may share its parts: measured before it is written
        return plain(value)

    def _holds(self, rule: CompiledRule, props: dict[str, Any]) -> bool:
        condition = rule.condition
        assert condition is not None  # a `matching` rule's
        return bool(condition(props, None, {}, self.ctx))

    def _raise(self, happening: Happening) -> None:
        parent = self.current
        if parent is not None:
            happening.depth = parent.depth + 1
            happening.chain = parent.chain
        if self.current_rule is not None:
            happening.source = self.current_rule
            happening.chain = happening.chain + (self.engine.rules.all[self.current_rule].title,)
        self.queue.append(happening)

    # ---- the cascade ------------------------------------------------------------------------
    def run(self, first: list[Happening]) -> None:
        self.queue.extend(first)
        limit = self.engine.cascade_limit
        while self.queue:
            happening = self.queue.popleft()
            if happening.depth > limit:
                raise CascadeLimitExceeded(
                    f"rules triggered each other more than {limit} levels deep: " + " -> ".join(happening.chain),
                    None,
                    happening.chain[-1] if happening.chain else None,
                )
            self.current = happening
            for rule in self._candidates(happening):
                if rule.index != happening.source:
                    self._fire(rule, happening)
        self.current = None
        if self.changed and self.engine.workflows.watch_goals:
            changed, self.changed = self.changed, set()
            self.engine.workflows.check_goals(self, changed)
        self.flush()

    def _candidates(self, h: Happening) -> Iterable[CompiledRule]:
        rules = self.engine.rules
        if h.kind == "event":
            return rules.events.get(h.name, ())
        if h.kind == "created":
            return rules.created.get(h.object_type, ())
        if h.kind == "changed":
            return [r for r in rules.changed.get((h.object_type, h.name), ()) if self._transition_matches(r, h)]
        if h.kind == "added":
            return rules.added.get(h.name, ())
        if h.kind == "removed":
            return rules.removed.get(h.name, ())
        assert h.rule is not None  # matching: the condition became true when the happening was raised
        return (h.rule,)

    def _transition_matches(self, rule: CompiledRule, h: Happening) -> bool:
        p = self.props(h.record_id)
        if rule.from_value is not None and rule.from_value(p, None, {}, self.ctx) != h.old:
            return False
        return rule.to_value is None or rule.to_value(p, None, {}, self.ctx) == h.new

    def _fire(self, rule: CompiledRule, h: Happening) -> None:
        object_type, p = self.load(h.record_id)
        if object_type != rule.info.subject:
            return
        ev = self.event_payload if h.kind == "event" else None
        ctx = self.ctx
        ctx.start(rule.title)
        try:
            # a `matching` rule is checked again: a rule that ran earlier in the cascade may
            # have made it false since it became true, and then it must not run
            if rule.condition is not None and not rule.condition(p, ev, {}, ctx):
                return
            self.current_rule = rule.index
            act = Activation(h.record_id, object_type, p, ev, rule.title, (self.key, len(self.fired), rule.index))
            rule.run(self, act)
        except LeadflowRuntimeError as error:
            error.where = error.where or rule.title
            error.span = error.span or rule.info.rule.span  # failed in the rule's condition
            raise
        except InputError as error:  # the store refused a write (a contact's email another has)
            raise LeadflowRuntimeError(error.message, rule.info.rule.span, rule.title) from None
        except RecursionError:
            raise LeadflowRuntimeError("expression nested too deeply", rule.info.rule.span, rule.title) from None
        except Exception as error:  # a bug in generated code or a builtin: report it, do not crash
            problem = limits.locate(error, rule.info.rule.span)
            problem.where = getattr(problem, "where", None) or rule.title
            raise problem from error
        finally:
            self.current_rule = None
        self.fired.append(rule.title)
