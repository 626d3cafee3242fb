"""Write-behind for `SqliteStore.batch()`: the batch as a unit of work in memory.

The engine runs every event as a unit (`transaction()`) inside a batch of a
few hundred. Inside a batch the hot-path writes are kept in memory and
written when the batch ends, with a few executemany calls for all of it;
and since the engine prefetches the contacts of the whole batch with one
SELECT (`prefetch_emails`), a typical event runs no statement at all.

What a batch keeps
  * The overlay (overlay.py): the current state of every record read or
    written in the batch, the records an overlay write gave an email, and
    the keys of the events logged. For what it holds it is the truth: SQL
    rows of those records may lag until the next flush.
  * A stack of levels, one for the batch and one per open unit. Each holds
    its pending rows (record updates, workflow run updates and list
    memberships coalesced per record, run or membership, the last state
    winning; history rows, event rows, run log rows and outbox effects in
    order), the journal of its overlay changes, and whether its SAVEPOINT
    is open. A workflow step that sends an email, adds to a list or waits
    thus runs no SQL of its own either.

Units
  A unit's writes go to its own level and the overlay. When it succeeds its
  rows and journal join the level below; when it fails they are dropped and
  the journal restores the overlay, with no SQL at all unless the unit ran
  some. A record read from SQL into the overlay needs no journal entry: no
  open unit has changed it (or it would be in the overlay already), so what
  was read stays true whatever they do.

Lazy savepoints
  A unit opens its SAVEPOINT only when it must run SQL that writes (creating
  a record or a run, `enqueue_effect`, meta) or read what the overlay does
  not cover (`find_all_by`, `records()`, `history()`, `events()`, runs,
  lists, lookups by other fields) while rows of the kinds that read looks at
  are pending (`PENDING`: a read of the events table leaves pending run rows
  alone). `sync` first flushes every level below, then opens the unit's
  savepoint, so rows of completed units are never inside a savepoint that a
  failing unit rolls back; for a read, or a write that must follow the
  pending rows (an effect with a key the unit queued), it also flushes the
  unit's own rows, inside its savepoint. Hence the invariant: while a level's
  savepoint is open, no level below it has anything pending. A failing
  unit rolls back to its savepoint, if it opened one, and undoes its
  journal.

  A flush runs under its own short SAVEPOINT: a partial flush (an I/O error,
  an interrupt between two executemany calls) is undone and its rows stay
  pending, so it is all or nothing like every other store write. Rows are
  checked when they are buffered (types, encodable text, the record exists,
  the key is new), so no flush can fail for a reason that belonged to the
  unit that wrote the row.

Event keys
  `log_event` and `has_event` look at the batch's keys, then at the keys
  the connection knows (`KnownKeys`: the whole events table, read once,
  kept up to date by its own batches and re-read when another connection
  has committed), and only for a store with a very long log at SQL, with
  one indexed SELECT per key.

Guarantees kept
  A batch is one SQLite transaction (BEGIN IMMEDIATE ... COMMIT): all of it
  is committed or none, and the write lock is held throughout, so what the
  overlay checked (a key is new, a record exists) stays true until the
  flush. Leaving the batch by an exception still commits the completed
  units. The events table remains the idempotency record: an event's row
  commits together with its effects, so re-running after a crash reapplies
  exactly the events that were not committed.

Cost
  What remains is mostly SQLite's own work: on the events benchmark (500
  events a batch over 100,000 contacts) each event dirties about three
  random pages (its contact, and the history and events indexes by
  record), which the flush and the WAL commit pay for whatever the number
  of statements. Statement count was the smaller part; the write-behind
  also spares the savepoints, the per-event executes and the key SELECTs.
  `emit_many` runs its batches as a series (series.py): each hands these
  writes and its commit to a second thread and the next batch goes on.

The overlay is a cache: between units, once it holds OVERLAY_LIMIT records,
the batch flushes and forgets it, so a long batch (an import) stays small.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from leadflow.errors import InputError
from leadflow.store.base import Record
from leadflow.store.codec import (
    apply_changes,
    decode_json,
    dump_value,
    email_of,
    encode_json,
    merge_changes,
    storable,
    storable_name,
    storable_names,
)
from leadflow.store.overlay import Entry, KnownKeys, Overlay

if TYPE_CHECKING:
    from leadflow.store.sqlite import SqliteStore

OVERLAY_LIMIT = 20_000
_PRELOAD = 500  # ids per query of `preload`, well under SQLite's limit on parameters

_UPDATE = "UPDATE records SET props = ?, updated_at = ? WHERE id = ?"
_UPDATE_EMAIL = "UPDATE records SET props = ?, email = ?, updated_at = ? WHERE id = ?"
_CLEAR_EMAIL = "UPDATE records SET email = NULL WHERE id = ?"
_INSERT_HISTORY = "INSERT INTO history(record_id, at, kind, field, old, new, cause) VALUES (?, ?, ?, ?, ?, ?, ?)"
JOIN_LIST = "INSERT INTO list_members(list_name, record_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
LEAVE_LIST = "DELETE FROM list_members WHERE list_name = ? AND record_id = ?"
_IS_MEMBER = "SELECT 1 FROM list_members WHERE list_name = ? AND record_id = ?"
_INSERT_EVENT = "INSERT INTO events(key, name, record_id, at, data) VALUES (?, ?, ?, ?, ?)"
# Shared with the direct writes of sqlite_runs.py and sqlite_outbox.py.
SAVE_RUN = (
    "UPDATE runs SET status = ?, position = ?, vars = ?, wait = ?, due = ?, waiting_event = ?,"
    " updated_at = ?, error = ? WHERE id = ?"
)
LOG_RUN = "INSERT INTO run_log(run_id, at, step, kind, detail) VALUES (?, ?, ?, ?, ?)"
_RUN_EXISTS = "SELECT 1 FROM runs WHERE id = ?"
QUEUE_EFFECT = (
    "INSERT INTO outbox(kind, payload, key, status, next_attempt_at, created_at)"
    " VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT(key) DO NOTHING"
)
_BY_EMAIL = "SELECT id, type, props, created_at, updated_at FROM records WHERE type = ? AND email = ? ORDER BY id"
_BY_ID = "SELECT id, type, props, created_at, updated_at FROM records"

# The kinds of pending rows a level holds, by table; a read names those it looks at.
PENDING = ("updates", "history", "lists", "events", "runs", "run_log", "effects")
LIST_ROWS = ("lists",)
EVENT_ROWS = ("events",)
RUN_ROWS = ("runs",)
RUN_LOG_ROWS = ("run_log",)
EFFECT_ROWS = ("effects",)

# One statement for any number of emails, given as a JSON array. No ORDER BY:
# with one, SQLite's planner walks records_by_type instead of the email index.
# Its answer is one row, a JSON array of [id, email, type, props, created_at,
# updated_at]: a series reads on its writer thread (series.py), which takes the
# GIL back once per row it steps to, and each take can wait a switch interval.
_BY_EMAILS = (
    "SELECT json_group_array(json_array(id, email, type, json(props), created_at, updated_at)) FROM records"
    " WHERE type = ? AND email IN (SELECT value FROM json_each(?))"
)


def read_emails(conn: sqlite3.Connection, type: str, emails: list[str]) -> str:
    """What a prefetch reads of SQL, as `Batch.take_emails` takes it; no state of the batch."""
    return conn.execute(_BY_EMAILS, (type, encode_json(emails))).fetchone()[0]


class _Level:
    """The batch itself (depth 0) or one open unit: its pending rows and journal."""

    __slots__ = (
        "depth",
        "updates",
        "history",
        "lists",
        "events",
        "runs",
        "run_log",
        "effects",
        "journal",
        "keys",
        "run_ids",
        "savepoint",
    )

    def __init__(self, depth: int):
        self.depth = depth
        self.updates: dict[int, tuple[str, Any, str, bool]] = {}  # id -> props text, email, stamp, email changed
        self.history: list[tuple] = []
        self.lists: dict[tuple[str, int], bool] = {}  # (list, record id) -> member after this level's changes
        self.events: list[tuple] = []
        self.runs: dict[int, tuple] = {}  # run id -> the row of its UPDATE: the last state wins
        self.run_log: list[tuple] = []
        self.effects: list[tuple] = []
        self.journal: list[tuple[int, Entry | None]] | None = [] if depth else None
        self.keys: list[str] = []  # event keys logged at this level
        self.run_ids: list[int] = []  # runs this level learnt exist
        self.savepoint = False

    def pending(self, kinds: tuple[str, ...] = PENDING) -> bool:
        return any(getattr(self, kind) for kind in kinds)

    def absorb(self, child: _Level) -> None:
        """Take over the rows (and, as a unit, the journal) of a child that succeeded."""
        if child.updates:
            mine = self.updates
            for record_id, row in child.updates.items():
                if not row[3]:  # an earlier pending change of the email still has to reach SQL
                    earlier = mine.get(record_id)
                    if earlier is not None and earlier[3]:
                        row = (row[0], row[1], row[2], True)
                mine[record_id] = row
        if child.history:
            self.history += child.history
        if child.lists:
            self.lists.update(child.lists)
        if child.events:
            self.events += child.events
        if child.runs:
            self.runs.update(child.runs)
        if child.run_log:
            self.run_log += child.run_log
        if child.effects:
            self.effects += child.effects
        if self.journal is not None:
            assert child.journal is not None  # a unit's (depth > 0)
            self.journal += child.journal
            self.keys += child.keys
            self.run_ids += child.run_ids


class Batch:
    """The overlay and the pending rows of one open `SqliteStore.batch()`."""

    def __init__(self, store: SqliteStore):
        self.store = store
        self.conn: sqlite3.Connection = store._conn
        self.levels = [_Level(0)]
        self.overlay = Overlay()
        self.known: KnownKeys = store._known_keys
        self.known.refresh(self.conn)
        self.run_ids: set[int] = set()  # runs known to exist, so a log row can be checked without SQL

    # -- units and flushing ----------------------------------------------------

    def sync(self, flush_own: bool) -> None:
        """Get ready for SQL: flush the levels below, open savepoints up to this one."""
        conn, levels = self.conn, self.levels
        top = len(levels) - 1
        for level in levels:
            if level.depth and not level.savepoint:
                conn.execute(f"SAVEPOINT unit{level.depth}")
                level.savepoint = True
            if level.depth < top or flush_own:
                self.flush(level)

    def sync_for_read(self, kinds: tuple[str, ...] = PENDING) -> None:
        """Make SQL show what the batch holds of the kinds of rows a read looks at.

        A read of other tables leaves pending rows where they are: it needs no
        savepoint, since it writes nothing."""
        if any(level.pending(kinds) for level in self.levels):
            self.sync(flush_own=True)

    def flush(self, level: _Level) -> None:
        if not level.pending():
            return
        conn = self.conn
        conn.execute("SAVEPOINT flush")
        try:
            if level.updates:
                plain, with_email = [], []
                for record_id in sorted(level.updates):  # in key order: fewer B-tree page switches
                    text, email, stamp, email_changed = level.updates[record_id]
                    if email_changed:
                        with_email.append((text, email, stamp, record_id))
                    else:  # leaves records_by_email alone
                        plain.append((text, stamp, record_id))
                if plain:
                    conn.executemany(_UPDATE, plain)
                if len(with_email) > 1:  # emails may move between these records: none may meet its new one in SQL
                    conn.executemany(_CLEAR_EMAIL, [(row[3],) for row in with_email])
                if with_email:
                    conn.executemany(_UPDATE_EMAIL, with_email)
            if level.history:
                conn.executemany(_INSERT_HISTORY, level.history)
            if level.lists:
                joins = [key for key, member in level.lists.items() if member]
                leaves = [key for key, member in level.lists.items() if not member]
                if joins:
                    conn.executemany(JOIN_LIST, joins)
                if leaves:
                    conn.executemany(LEAVE_LIST, leaves)
            if level.events:
                conn.executemany(_INSERT_EVENT, level.events)
            if level.runs:
                conn.executemany(SAVE_RUN, [level.runs[run_id] for run_id in sorted(level.runs)])
            if level.run_log:
                conn.executemany(LOG_RUN, level.run_log)
            if level.effects:
                conn.executemany(QUEUE_EFFECT, level.effects)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO flush")
                conn.execute("RELEASE flush")
            raise
        conn.execute("RELEASE flush")
        level.updates, level.history, level.lists, level.events = {}, [], {}, []
        level.runs, level.run_log, level.effects = {}, [], []

    def _room(self, incoming: int = 0) -> None:
        """Between units: once the overlay is large (or would be, with `incoming`
        more records), write what is pending and forget it."""
        if len(self.overlay.records) + incoming >= OVERLAY_LIMIT and len(self.levels) == 1:
            self.flush(self.levels[0])
            self.known.add(self.overlay.keys)  # taken back by `forget` if the batch fails
            self.overlay.forget()

    def committed(self) -> None:
        self.known.add(self.overlay.keys)

    # -- records -------------------------------------------------------------

    def _entry(self, record_id: int) -> Entry | None:
        entry = self.overlay.records.get(record_id)
        if entry is None and type(record_id) is int:  # "5" would find record 5 and alias it
            row = self.conn.execute(
                "SELECT type, props, created_at, updated_at FROM records WHERE id = ?", (record_id,)
            ).fetchone()
            if row is not None:
                entry = self.overlay.remember(record_id, row)
        return entry

    def preload(self, record_ids: list[int]) -> None:
        """Read into the overlay, with one query, records the caller is about to read one by one."""
        self._room()
        records = self.overlay.records
        missing = sorted({i for i in record_ids if type(i) is int and i not in records})
        for start in range(0, len(missing), _PRELOAD):
            chunk = missing[start : start + _PRELOAD]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"{_BY_ID} WHERE id IN ({marks})", chunk):
                self.overlay.remember(row[0], row[1:])

    def created(self, record_id: int, type: str, props: dict[str, Any], stamp: str) -> None:
        """A record the store has just inserted with SQL."""
        self._room()
        self.overlay.change(record_id, (type, props, stamp, stamp, email_of(props)), self.levels[-1].journal)

    def get_record(self, id: int) -> Record | None:
        if type(id) is not int:  # left to SQL's conversions, as outside a batch
            self.sync_for_read()
            return self.store._select_record(id)
        self._room()
        entry = self._entry(id)
        return None if entry is None else self.overlay.record(id, entry)

    def prefetch_emails(self, type: str, emails: list[str]) -> None:
        """Read the records of `type` with these emails, with one query, for the
        `find_by_email` calls that follow. Between units only: what a unit reads
        may include rows it created, which its failure would take away."""
        if len(self.levels) != 1:
            return
        self._room(len(emails))  # what a prefetch reads must outlast the units that use it
        wanted = self.unread_emails(type, emails)
        if wanted:
            self.take_emails(type, wanted, read_emails(self.conn, type, wanted))

    def unread_emails(self, type: str, emails: list) -> list[str]:
        """The distinct emails among these (text only) whose lowest id in SQL the overlay does not know yet."""
        in_sql = self.overlay.in_sql
        return [e for e in dict.fromkeys(emails) if isinstance(e, str) and (type, e) not in in_sql]

    def prefetched(self, type: str, emails: list[str], generation: int, text: str | None) -> None:
        """Between units: take what `read_emails` read ahead (a series' writer, after
        its commit) while the overlay was at `generation`; or, if the overlay has
        forgotten since, or would have to for room, read again now."""
        overlay = self.overlay
        if text is not None and overlay.generation == generation and len(overlay) + len(emails) < OVERLAY_LIMIT:
            self.take_emails(type, emails, text)
        else:
            self.prefetch_emails(type, emails)

    def take_emails(self, type: str, emails: list[str], text: str) -> None:
        """Into the overlay: the records `read_emails` found for these (distinct) emails."""
        overlay = self.overlay
        records = overlay.records
        found: dict[tuple[str, Any], int | None] = dict.fromkeys(((type, e) for e in emails), None)
        for record_id, email, record_type, props, created_at, updated_at in decode_json(text):
            lowest = found[type, email]
            if lowest is None or record_id < lowest:
                found[type, email] = record_id
            if record_id not in records:  # for what the overlay holds, it is the truth
                overlay.keep(record_id, record_type, props, created_at, updated_at)
        overlay.in_sql.update(found)

    def find_by_email(self, type: str, value: Any) -> Record | None:
        self._room()
        return self._find_email(type, value)

    def check_email_free(self, type: str, email: Any, record_id: int | None) -> None:
        """Refuse to give `email` to a contact (`record_id`, or a new one) when another
        has it: checked as rows are buffered, so the unique index (schema.py) never
        fails a flush for what one unit did."""
        owner = self._find_email(type, email)
        if owner is not None and owner.id != record_id:
            raise InputError(f"the email {email} already belongs to contact {owner.id}")

    def _find_email(self, type: str, value: Any) -> Record | None:
        overlay, records = self.overlay, self.overlay.records
        best = overlay.lowest_with_email(type, value)  # the rows SQL may not show yet
        record_id = self._lowest_in_sql(type, value)
        if record_id is not None and not overlay.has_email(record_id, type, value):
            record_id = None  # stale: the email changed in the batch; a later row may still match
            for row in self.conn.execute(_BY_EMAIL, (type, value)):
                if best is not None and row[0] > best:
                    break
                if row[0] not in records:
                    overlay.remember(row[0], row[1:])
                if overlay.has_email(row[0], type, value):
                    record_id = row[0]
                    break
        if record_id is None or (best is not None and best < record_id):
            record_id = best
        return None if record_id is None else overlay.record(record_id, records[record_id])

    def _lowest_in_sql(self, type: str, value: Any) -> int | None:
        """The lowest id SQL has with this email, as prefetched or read now (and then
        remembered): its record, if any, is in the overlay."""
        overlay = self.overlay
        try:
            return overlay.in_sql[type, value]
        except KeyError:  # not prefetched
            pass
        row = self.conn.execute(_BY_EMAIL + " LIMIT 1", (type, value)).fetchone()
        if row is None:
            return None
        if row[0] not in overlay.records:
            overlay.remember(row[0], row[1:])
        return row[0]

    def write_changes(self, record_id: int, changes: list[tuple[str, Any, Any, str]], stamp: str) -> None:
        entry = self._entry(record_id)
        if entry is None:
            raise InputError(f"no record with id {record_id}")
        encoded, rows = apply_changes(entry[1], changes)
        text = storable(encode_json(encoded))
        history = []
        email_changed = False
        for field, old, new, cause in rows:
            email_changed = email_changed or field == "email"
            storable_names(field, old, new, cause)
            history.append((record_id, stamp, "set", field, old, new, cause))
        self._write(record_id, entry, encoded, text, stamp, email_changed, history)

    def update_record(
        self, record_id: int, changes: dict[str, Any], stamp: str, cause: str
    ) -> dict[str, tuple[Any, Any]]:
        entry = self._entry(record_id)
        if entry is None:
            raise InputError(f"no record with id {record_id}")
        storable_name(cause)
        new_props, changed, diffs = merge_changes(entry[1], changes)
        history = [
            (record_id, stamp, "set", storable_name(field), storable(old), storable(new), cause)
            for field, old, new in diffs
        ]
        if new_props is not None:
            text = storable(encode_json(new_props))
            self._write(record_id, entry, new_props, text, stamp, "email" in changed, history)
        return changed

    def _write(self, record_id, entry, props, text, stamp, email_changed, history) -> None:
        level = self.levels[-1]
        email = email_of(props)
        if email_changed and email is not None and entry[0] == "contact":
            self.check_email_free("contact", email, record_id)
        self.overlay.change(record_id, (entry[0], props, entry[2], stamp, email), level.journal)
        earlier = level.updates.get(record_id)
        level.updates[record_id] = (text, email, stamp, email_changed or (earlier is not None and earlier[3]))
        level.history += history

    # -- lists ---------------------------------------------------------------

    def change_list(self, record_id: int, list_name: str, add: bool, stamp: str, cause: str) -> bool:
        """add_to_list or remove_from_list: the membership and its history row wait with the rest."""
        key = (storable_name(list_name), record_id)
        storable_name(cause)
        if add and self._entry(record_id) is None:
            raise InputError(f"no record with id {record_id}")
        if self._is_member(key) is add:
            return False
        level = self.levels[-1]
        level.lists[key] = add
        level.history.append((record_id, stamp, "list_add" if add else "list_remove", list_name, "null", "null", cause))
        return True

    def _is_member(self, key: tuple[str, int]) -> bool:
        for level in reversed(self.levels):
            member = level.lists.get(key)
            if member is not None:
                return member
        return self.conn.execute(_IS_MEMBER, key).fetchone() is not None

    # -- events --------------------------------------------------------------

    def has_event(self, key: str) -> bool:
        if type(key) is not str:  # compared with SQL's conversions; logged keys are all text
            self.sync_for_read()
            return self.conn.execute("SELECT 1 FROM events WHERE key = ?", (key,)).fetchone() is not None
        return self._seen(key)

    def _seen(self, key: str) -> bool:
        if key in self.overlay.keys:
            return True
        known = self.known.knows(key)
        if known is not None:
            return known
        return self.conn.execute("SELECT 1 FROM events WHERE key = ?", (key,)).fetchone() is not None

    def log_event(self, key: str, name: str, record_id: int | None, stamp: str, data: Any) -> bool:
        text = dump_value(data if data is not None else {})
        storable_names(key, name, text)
        row = (key, name, record_id, stamp, text)
        if self._seen(key):
            return False
        if record_id is not None and (type(record_id) is not int or self._entry(record_id) is None):
            raise InputError(f"no record with id {record_id}")
        level = self.levels[-1]
        level.events.append(row)
        self.overlay.keys.add(key)
        if level.journal is not None:
            level.keys.append(key)
        return True

    # -- runs and effects ------------------------------------------------------

    def runs_exist(self, run_ids) -> None:
        """Note runs read from SQL or created in the batch (a failing unit forgets its own)."""
        self.run_ids.update(run_ids)
        level = self.levels[-1]
        if level.journal is not None:
            level.run_ids += run_ids

    def save_run(self, run_id: int, row: tuple) -> None:
        self.levels[-1].runs[run_id] = row

    def log_run(self, run_id: int, row: tuple) -> None:
        if run_id not in self.run_ids:  # the row's foreign key, checked now rather than at the flush
            exists = type(run_id) is int and self.conn.execute(_RUN_EXISTS, (run_id,)).fetchone()
            if not exists:
                raise InputError(f"no run with id {run_id}")
            self.runs_exist([run_id])
        self.levels[-1].run_log.append(row)

    def queue_effect(self, row: tuple) -> None:
        self.levels[-1].effects.append(row)


class BufferedUnit:
    """What `transaction()` returns inside a batch: a level on entry, kept or undone on exit."""

    __slots__ = ("batch", "level")

    def __init__(self, batch: Batch):
        self.batch = batch

    def __enter__(self) -> SqliteStore:
        levels = self.batch.levels
        self.level = _Level(len(levels))
        levels.append(self.level)
        return self.batch.store

    def __exit__(self, exc_type, exc, traceback) -> None:
        batch, level = self.batch, self.level
        levels = batch.levels
        del levels[level.depth :]
        conn = batch.conn
        if exc_type is None:
            if level.savepoint:
                conn.execute(f"RELEASE unit{level.depth}")
            levels[-1].absorb(level)
            if level.depth == 1:
                batch._room()
            return
        # A few SQLite errors (disk full, I/O) roll back the whole transaction;
        # then there is no savepoint left to return to.
        if level.savepoint and conn.in_transaction:
            conn.execute(f"ROLLBACK TO unit{level.depth}")
            conn.execute(f"RELEASE unit{level.depth}")
        assert level.journal is not None  # a unit's (depth > 0)
        batch.overlay.undo(level.journal, level.keys)
        batch.run_ids.difference_update(level.run_ids)
