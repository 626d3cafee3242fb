"""What the engine needs from a store, independent of the database behind it.

The engine talks to a `Store` and nothing else: records with their property
history, list memberships, the log of processed events and the outbox of side
effects. Every value handed in or out is a decoded runtime value (aware
datetimes, dates, times, `Duration`, lists, dicts); how a store encodes them
is its own business.

Three guarantees shape the protocol:

* **Atomic units.** `transaction()` makes one event's worth of writes all or
  nothing, and nests, so a failing rule can be undone without undoing the
  event around it. `batch()` only groups units into fewer commits for speed.
* **Idempotent replay.** `log_event` and `enqueue_effect` are keyed; a second
  call with the same key writes nothing. Re-running an event file after a
  crash therefore neither double-applies events nor double-sends email.
* **None means absent.** Setting a property to None removes it, so "never
  set" and "cleared" read the same, as they do in the language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

import attrs

HISTORY_KINDS = frozenset({"created", "set", "list_add", "list_remove"})
EFFECT_STATUSES = frozenset({"pending", "sent", "dead"})
RUN_STATUSES = ("active", "completed", "stopped", "goal", "unenrolled", "error")


@attrs.frozen
class Record:
    """A snapshot of one stored record; `props` is a copy, editing it changes nothing."""

    id: int
    type: str
    props: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    def label(self) -> str:
        """`contact 1 (ada@example.com)`: how people are shown a record."""
        email = self.props.get("email")
        return f"{self.type} {self.id}" + (f" ({email})" if email else "")


@attrs.frozen
class HistoryEntry:
    """One change to a record.

    For "set", `field` is the property and `old`/`new` its values (None for
    absent). For "list_add"/"list_remove", `field` is the list name and
    `old`/`new` are None. For "created", `new` holds the initial properties.
    """

    id: int
    record_id: int
    at: dt.datetime
    kind: str
    field: str | None
    old: Any
    new: Any
    cause: str


@attrs.frozen
class EventEntry:
    """An event that was processed, kept for idempotency and `happened(...)` queries."""

    id: int
    key: str
    name: str
    record_id: int | None
    at: dt.datetime
    data: dict[str, Any]


@attrs.frozen
class Effect:
    """A side effect waiting in (or gone through) the outbox.

    `attempts` counts delivery attempts made so far, successful or not;
    `first_attempt_at` lets a retry policy give up after a total time.
    """

    id: int
    kind: str
    payload: dict[str, Any]
    key: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    first_attempt_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    response: Any

    def summary(self) -> str:
        """One line saying what the effect does, for people: `outbox`, the REPL."""
        p = self.payload
        if self.kind == "email":
            return f"{p.get('template')} to {p.get('to')}: {p.get('subject')}"
        if self.kind == "webhook":
            return f"{p.get('method')} {p.get('url')}"
        return f"#{p.get('channel')}: {p.get('message')}"


@attrs.frozen
class Run:
    """One record's way through one workflow (see workflows/runs.py)."""

    id: int
    workflow: str
    record_id: int
    status: str  # active, completed, stopped, goal, unenrolled, error
    position: str | None  # the path of the next step to run
    vars: dict[str, Any]
    wait: dict[str, Any] | None  # what an active run waits for besides its timer
    due: dt.datetime | None  # when it wakes; None while it waits only for an event or a webhook
    waiting_event: str | None
    enrolled_at: dt.datetime
    updated_at: dt.datetime
    error: str | None


@attrs.frozen
class RunLogEntry:
    id: int
    run_id: int
    at: dt.datetime
    step: str | None
    kind: str  # enrolled, step, waiting, branch, split, goal, unenrolled, completed, stopped, error, retried
    detail: dict[str, Any]


class Store(Protocol):
    """The storage the engine runs against. All datetimes must be timezone-aware."""

    # -- transactions --------------------------------------------------------

    def transaction(self) -> AbstractContextManager[Store]:
        """One atomic unit: committed on success, rolled back (and re-raised) on error.

        Nested inside another unit or a batch it rolls back only itself.
        """
        ...

    def batch(self) -> AbstractContextManager[Store]:
        """Group many units into one commit; each unit still rolls back alone."""
        ...

    def batch_series(self) -> AbstractContextManager[Any]:
        """Batches one after another: the yielded series' `next(on_committed, prefetch)`
        ends one batch and starts the next, and calls `on_committed` once that batch
        has committed, perhaps later (SQLite commits on a second thread: series.py).
        `prefetch`, optional, holds the arguments of a `prefetch` for the batch
        after the next, which a store may read while the next one runs.
        Its `restart()` answers `series.Interleaved`: the batch in progress is
        dropped, to be run again."""
        ...

    # -- records -------------------------------------------------------------

    def create_record(self, type: str, props: dict[str, Any], at: dt.datetime, cause: str) -> Record: ...

    def get_record(self, id: int) -> Record | None: ...

    def preload_records(self, ids: list[int]) -> None:
        """A hint: these records are about to be read one by one (a batch of due runs);
        a store may fetch them at once. Reads are correct whether or not it does."""
        ...

    def find_by(self, type: str, field: str, value: Any) -> Record | None:
        """The first record (lowest id) of `type` whose `field` equals `value`."""
        ...

    def prefetch(self, type: str, field: str, values: list[Any]) -> None:
        """A hint, inside a batch and between its units: `find_by(type, field, v)`
        follows soon for these values. A store may read them all at once, or
        ignore it; answers are the same either way."""
        ...

    def find_all_by(self, type: str, field: str, value: Any) -> list[Record]:
        """Every record of `type` whose `field` equals `value`, by id (reverse associations)."""
        ...

    def write_changes(self, record_id: int, changes: list[tuple[str, Any, Any, str]], at: dt.datetime) -> None:
        """Apply `changes`, (field, old, new, cause) in order (None removes), with one
        "set" history entry each. For a caller that already holds the record and
        knows what changed (the engine's transaction): no comparison, one write."""
        ...

    def update_record(
        self, record_id: int, changes: dict[str, Any], at: dt.datetime, cause: str
    ) -> dict[str, tuple[Any, Any]]:
        """Apply `changes`; return {field: (old, new)} for the fields that really changed."""
        ...

    def records(self, type: str | None = None) -> Iterator[Record]: ...

    def count_records(self, type: str | None = None) -> int: ...

    # -- lists ---------------------------------------------------------------

    def lists_of(self, record_id: int) -> set[str]: ...

    def add_to_list(self, record_id: int, list_name: str, at: dt.datetime, cause: str) -> bool:
        """True if the record was added, False if it was already a member."""
        ...

    def remove_from_list(self, record_id: int, list_name: str, at: dt.datetime, cause: str) -> bool:
        """True if the record was removed, False if it was not a member."""
        ...

    def list_members(self, list_name: str) -> list[int]: ...

    def history(self, record_id: int) -> list[HistoryEntry]: ...

    # -- events --------------------------------------------------------------

    def log_event(
        self, key: str, name: str, record_id: int | None, at: dt.datetime, data: dict[str, Any] | None = None
    ) -> bool:
        """Record a processed event; False, writing nothing, if `key` was seen before."""
        ...

    def has_event(self, key: str) -> bool: ...

    def events(
        self, record_id: int | None = None, name: str | None = None, since: dt.datetime | None = None
    ) -> list[EventEntry]: ...

    # -- outbox --------------------------------------------------------------

    def enqueue_effect(self, kind: str, payload: dict[str, Any], key: str, at: dt.datetime) -> int:
        """Queue an effect due at `at`; with a known `key`, return the existing id instead."""
        ...

    def queue_effect(self, kind: str, payload: dict[str, Any], key: str, at: dt.datetime) -> None:
        """`enqueue_effect` for callers that need no id (the engine): inside a batch
        the store may write the row when the batch ends."""
        ...

    def due_effects(self, now: dt.datetime, limit: int = 100) -> list[Effect]: ...

    def mark_sent(self, id: int, at: dt.datetime, response: Any = None) -> None: ...

    def mark_retry(self, id: int, next_attempt_at: dt.datetime, error: str, at: dt.datetime) -> None: ...

    def mark_dead(self, id: int, error: str, at: dt.datetime) -> None: ...

    def effects(self, status: str | None = None) -> list[Effect]: ...

    def get_effect(self, id: int) -> Effect | None: ...

    def effect_by_key(self, key: str) -> Effect | None: ...

    def replay(self, id: int, at: dt.datetime) -> None:
        """Make a dead effect pending again, due at `at`, with a fresh attempt count."""
        ...

    # -- workflow runs ---------------------------------------------------------
    def create_run(self, workflow: str, record_id: int, position: str, at: dt.datetime, vars: dict[str, Any]) -> Run:
        """A new active run at `position` (its first step), due at once."""
        ...

    def get_run(self, id: int) -> Run | None: ...

    def save_run(self, run: Run) -> None:
        """Store the run's status, position, variables, wait and due time."""
        ...

    def runs(
        self, record_id: int | None = None, workflow: str | None = None, status: str | None = None
    ) -> list[Run]: ...

    def due_runs(self, now: dt.datetime, limit: int = 500) -> list[Run]:
        """Active runs due at or before `now`, earliest first."""
        ...

    def next_due(self) -> dt.datetime | None: ...

    def wake_run(self, run_id: int, at: dt.datetime) -> None:
        """Make a run waiting for a webhook's answer due at `at` (delivery calls this)."""
        ...

    def runs_waiting_for(self, record_id: int, event: str) -> list[Run]: ...

    def log_run(self, run_id: int, at: dt.datetime, step: str | None, kind: str, detail: dict[str, Any]) -> None: ...

    def run_log(self, run_id: int) -> list[RunLogEntry]: ...

    def workflow_names(self) -> list[str]:
        """The workflows that have runs."""
        ...

    def run_counts(self, workflow: str) -> dict[str, int]:
        """How many runs of the workflow are in each status."""
        ...

    def run_errors(self, workflow: str) -> dict[str, int]:
        """How many times each step (by path) of the workflow failed."""
        ...

    def schedule_fired(self, key: str) -> dt.datetime | None: ...

    def set_schedule_fired(self, key: str, at: dt.datetime) -> None: ...

    # -- meta ----------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any: ...

    def set_meta(self, key: str, value: Any) -> None: ...

    def close(self) -> None: ...
