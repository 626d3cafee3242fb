"""The default store: one SQLite database file (or memory), one connection.

Transactions and batches are in sqlite_units.py, the write-behind of a
batch in batch.py and overlay.py, the outbox in sqlite_outbox.py, workflow runs in sqlite_runs.py. How
values and timestamps are encoded is in codec.py; the schema and its
migrations are in schema.py.

Speed: the engine runs each event as find_by + log_event + write_changes
(+ add_to_list) in a unit inside a batch. Every SQL string here is a
constant, so sqlite3's statement cache prepares each once; nothing inspects
the schema after open.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

from leadflow.errors import InputError
from leadflow.store.base import EventEntry, HistoryEntry, Record
from leadflow.store.batch import EVENT_ROWS, JOIN_LIST, LEAVE_LIST, LIST_ROWS
from leadflow.store.overlay import KnownKeys
from leadflow.store.codec import (
    apply_changes,
    decode_json,
    dump_value,
    email_of,
    encode_json,
    json_path,
    load_value,
    merge_changes,
    parse_utc,
    utc_text,
)
from leadflow.store.checkpointer import Checkpointer
from leadflow.store.schema import migrate
from leadflow.store.sqlite_outbox import SqliteOutbox
from leadflow.store.sqlite_runs import SqliteRuns
from leadflow.store.sqlite_units import SqliteUnits, atomic
from leadflow.values import from_json_value, to_json_value

_RECORD_COLUMNS = "id, type, props, created_at, updated_at"
_PAGE = 512  # records() reads this many rows per query
PAGE_SIZE = 2048  # of a new database file, in bytes
WAL_BYTES = 128 << 20  # checkpoint when the WAL grows past this


class SqliteStore(SqliteUnits, SqliteOutbox, SqliteRuns):
    """A `Store` on SQLite. Not thread-safe: one store per thread."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:"):
        self.path = os.fspath(path)
        # Used from a second thread only by a batch series, one thread at a time (series.py).
        self._conn = sqlite3.connect(self.path, isolation_level=None, cached_statements=256, check_same_thread=False)
        self._depth = 0
        self._batch = None
        self._known_keys = KnownKeys()
        # Only a new database takes a page size (an existing one keeps its
        # own); it must come before WAL mode. Most writes touch one small row
        # or index entry on a random page (an event's contact, the history
        # and events indexes by record), and WAL writes, and a checkpoint
        # copies back and syncs, whole pages: at 2 KiB rather than the
        # default 4 KiB the commits of the events benchmark cost about half.
        self._conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        # journal_mode must be set outside a transaction; an in-memory
        # database simply stays in "memory" mode.
        in_wal = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        # The default 2 MB page cache holds a fraction of 100k contacts and
        # their indexes; random email lookups would then read from disk.
        self._conn.execute("PRAGMA cache_size = -65536")
        # A statement that changes many rows under constraints (a batch's
        # multi-row INSERTs and UPDATE ... FROM, series.py) keeps a statement
        # journal of the pages it changes, to undo itself alone if it fails.
        # Past 64 KiB SQLite spills that journal to a temporary file, and
        # those writes were a third of the system calls of the events
        # benchmark: in memory they cost no system call, and the benchmark's
        # system time per event went from about 32 to 21 µs. Temporary
        # tables and sorts live in memory too, which at this store's sizes
        # is what one wants anyway.
        self._conn.execute("PRAGMA temp_store = MEMORY")
        # A batch of 500 events dirties ~1,500 random pages (records, and the
        # history and events indexes by record), so with the default 1,000
        # pages every commit also checkpointed, rewriting the same pages into
        # the database file batch after batch. A checkpoint writes each page
        # once however often the WAL holds it, then syncs: the larger the
        # WAL, the fewer pages per event it copies back. On the events
        # benchmark (100,000 contacts) 128 MB rather than 40 MB made a run,
        # its last checkpoint included, about 15% faster. The cost: a longer
        # replay after a crash, and the disk the WAL takes meanwhile. Batches
        # leave checkpoints to a thread beside the writer (checkpointer.py);
        # this bound is for single units, and for when the thread lags.
        page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        self._conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_BYTES // page_size}")
        self._checkpointer = Checkpointer(self.path) if in_wal else None
        migrate(self._conn)

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()  # first: the last connection to close checkpoints the rest
        self._conn.close()

    # -- records -------------------------------------------------------------

    @atomic
    def create_record(self, type: str, props: dict[str, Any], at: dt.datetime, cause: str) -> Record:
        if not isinstance(props, dict):
            raise InputError(f"record properties must be a dict, got {props!r}")
        encoded = {k: v for k, v in to_json_value(props).items() if v is not None}
        text, stamp = encode_json(encoded), utc_text(at)
        email = email_of(encoded)
        if email is not None and type == "contact":
            if self._batch is not None:  # before its rows reach SQL (batch.py)
                self._batch.check_email_free(type, email, None)
            self._writing(flush_own=True)  # a pending change may free the email in SQL too
        else:
            self._writing()
        try:
            cursor = self._conn.execute(
                "INSERT INTO records(type, props, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (type, text, email, stamp, stamp),
            )
        except sqlite3.IntegrityError as error:
            raise self._email_taken(error, email) from None
        record_id = cursor.lastrowid
        assert record_id is not None  # set by the INSERT
        self._conn.execute(
            "INSERT INTO history(record_id, at, kind, field, old, new, cause)"
            " VALUES (?, ?, 'created', NULL, 'null', ?, ?)",
            (record_id, stamp, text, cause),
        )
        if self._batch is not None:
            self._batch.created(record_id, type, encoded, stamp)
        moment = parse_utc(stamp)
        return Record(record_id, type, from_json_value(encoded), moment, moment)

    def get_record(self, id: int) -> Record | None:
        if self._batch is not None:
            return self._batch.get_record(id)
        return self._select_record(id)

    def preload_records(self, ids: list[int]) -> None:
        if self._batch is not None:  # outside a batch there is nowhere to keep them
            self._batch.preload(ids)

    def _select_record(self, id: int) -> Record | None:
        row = self._conn.execute(f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ?", (id,)).fetchone()
        return _record(row) if row else None

    def find_by(self, type: str, field: str, value: Any) -> Record | None:
        if value is None:
            raise InputError(f"cannot look up {type} by a missing {field}")
        if field == "email" and self._batch is not None and isinstance(value, (str, int, float)):
            return self._batch.find_by_email(type, value)
        self._reading()
        if isinstance(value, (str, int, float)):  # bool is an int, as in JSON's SQLite view
            if field == "email":  # the indexed copy (schema.py)
                sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE type = ? AND email = ? ORDER BY id LIMIT 1"
                row = self._conn.execute(sql, (type, value)).fetchone()
            else:
                sql = (
                    f"SELECT {_RECORD_COLUMNS} FROM records"
                    " WHERE type = ? AND json_extract(props, ?) = ? ORDER BY id LIMIT 1"
                )
                row = self._conn.execute(sql, (type, json_path(field), value)).fetchone()
            return _record(row) if row else None
        # Dates, durations, lists, dicts: JSON text comparison would depend on
        # key order and number spelling, so compare decoded values instead.
        sql = (
            f"SELECT {_RECORD_COLUMNS} FROM records"
            " WHERE type = ? AND json_type(props, ?) IN ('object', 'array') ORDER BY id"
        )
        for row in self._conn.execute(sql, (type, json_path(field))):
            record = _record(row)
            if record.props.get(field) == value:
                return record
        return None

    def prefetch(self, type: str, field: str, values: list[Any]) -> None:
        # Only email lookups go through the batch's overlay, so only they gain.
        if field == "email" and self._batch is not None:
            self._batch.prefetch_emails(type, values)

    def find_all_by(self, type: str, field: str, value: Any) -> list[Record]:
        if value is None:
            raise InputError(f"cannot look up {type} by a missing {field}")
        self._reading()
        if isinstance(value, (str, int, float)):  # an association holds the target's id
            sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE type = ? AND json_extract(props, ?) = ? ORDER BY id"
            return [_record(row) for row in self._conn.execute(sql, (type, json_path(field), value))]
        sql = (
            f"SELECT {_RECORD_COLUMNS} FROM records"
            " WHERE type = ? AND json_type(props, ?) IN ('object', 'array') ORDER BY id"
        )
        rows = self._conn.execute(sql, (type, json_path(field)))
        return [record for record in map(_record, rows) if record.props.get(field) == value]

    @atomic
    def update_record(
        self, record_id: int, changes: dict[str, Any], at: dt.datetime, cause: str
    ) -> dict[str, tuple[Any, Any]]:
        if self._batch is not None:
            return self._batch.update_record(record_id, changes, utc_text(at), cause)
        row = self._conn.execute("SELECT props FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise InputError(f"no record with id {record_id}")
        props, changed, diffs = merge_changes(json.loads(row[0]), changes)  # left encoded but the changes
        if props is None:
            return changed
        stamp = utc_text(at)
        history = [(record_id, stamp, field, old, new, cause) for field, old, new in diffs]
        text = encode_json(props)
        if "email" in changed:
            try:
                self._conn.execute(
                    "UPDATE records SET props = ?, email = ?, updated_at = ? WHERE id = ?",
                    (text, email_of(props), stamp, record_id),
                )
            except sqlite3.IntegrityError as error:
                raise self._email_taken(error, email_of(props)) from None
        else:  # leaves records_by_email alone
            self._conn.execute("UPDATE records SET props = ?, updated_at = ? WHERE id = ?", (text, stamp, record_id))
        for entry in history:  # usually one or two: cheaper than executemany
            self._conn.execute(
                "INSERT INTO history(record_id, at, kind, field, old, new, cause) VALUES (?, ?, 'set', ?, ?, ?, ?)",
                entry,
            )
        return changed

    def write_changes(self, record_id: int, changes: list[tuple[str, Any, Any, str]], at: dt.datetime) -> None:
        if self._batch is not None:  # the engine's hot path, tested before `atomic` would
            return self._batch.write_changes(record_id, changes, utc_text(at))
        self._write_changes(record_id, changes, utc_text(at))

    @atomic
    def _write_changes(self, record_id: int, changes: list[tuple[str, Any, Any, str]], stamp: str) -> None:
        row = self._conn.execute("SELECT props FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise InputError(f"no record with id {record_id}")
        encoded, rows = apply_changes(decode_json(row[0]), changes)
        if any(field == "email" for field, *_ in changes):
            sql = "UPDATE records SET props = ?, email = ?, updated_at = ? WHERE id = ?"
            params: tuple = (encode_json(encoded), email_of(encoded), stamp, record_id)
        else:
            sql = "UPDATE records SET props = ?, updated_at = ? WHERE id = ?"
            params = (encode_json(encoded), stamp, record_id)
        try:
            self._conn.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise self._email_taken(error, email_of(encoded)) from None
        self._conn.executemany(
            "INSERT INTO history(record_id, at, kind, field, old, new, cause) VALUES (?, ?, 'set', ?, ?, ?, ?)",
            [(record_id, stamp, field, old, new, cause) for field, old, new, cause in rows],
        )

    def _email_taken(self, error: sqlite3.IntegrityError, email: Any) -> Exception:
        """The InputError for a write the unique index on contacts' emails refused (schema.py)."""
        if "records.email" not in str(error):
            return error
        owner = self._conn.execute("SELECT id FROM records WHERE type = 'contact' AND email = ?", (email,)).fetchone()
        return InputError(f"the email {email} already belongs to contact {owner[0] if owner else '?'}")

    def records(self, type: str | None = None) -> Iterator[Record]:
        # Keyset pages rather than one open cursor: callers may write to the
        # store while iterating, and memory stays flat over 100k records.
        last = 0
        while True:
            self._reading()
            if type is None:
                sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE id > ? ORDER BY id LIMIT ?"
                rows = self._conn.execute(sql, (last, _PAGE)).fetchall()
            else:
                sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE type = ? AND id > ? ORDER BY id LIMIT ?"
                rows = self._conn.execute(sql, (type, last, _PAGE)).fetchall()
            for row in rows:
                yield _record(row)
            if len(rows) < _PAGE:
                return
            last = rows[-1][0]

    def count_records(self, type: str | None = None) -> int:
        if type is None:
            return self._conn.execute("SELECT count(*) FROM records").fetchone()[0]
        return self._conn.execute("SELECT count(*) FROM records WHERE type = ?", (type,)).fetchone()[0]

    # -- lists ---------------------------------------------------------------

    def lists_of(self, record_id: int) -> set[str]:
        self._reading(LIST_ROWS)
        rows = self._conn.execute("SELECT list_name FROM list_members WHERE record_id = ?", (record_id,))
        return {name for (name,) in rows}

    @atomic
    def add_to_list(self, record_id: int, list_name: str, at: dt.datetime, cause: str) -> bool:
        return self._change_list(record_id, list_name, at, cause, add=True)

    @atomic
    def remove_from_list(self, record_id: int, list_name: str, at: dt.datetime, cause: str) -> bool:
        return self._change_list(record_id, list_name, at, cause, add=False)

    def _change_list(self, record_id: int, list_name: str, at: dt.datetime, cause: str, add: bool) -> bool:
        """Join (`add`) or leave a list; False when the record was already in it, or not in it."""
        stamp = utc_text(at)
        if self._batch is not None and type(record_id) is int:  # "5": left to SQL's conversions
            return self._batch.change_list(record_id, list_name, add, stamp, cause)
        self._writing(flush_own=True)  # this record's pending history comes first
        try:
            cursor = self._conn.execute(JOIN_LIST if add else LEAVE_LIST, (list_name, record_id))
        except sqlite3.IntegrityError:  # only a join fails so: its record must exist; leaving never does
            raise InputError(f"no record with id {record_id}") from None
        if cursor.rowcount == 0:
            return False
        self._list_history(record_id, "list_add" if add else "list_remove", list_name, stamp, cause)
        return True

    def _list_history(self, record_id: int, kind: str, list_name: str, stamp: str, cause: str) -> None:
        self._conn.execute(
            "INSERT INTO history(record_id, at, kind, field, old, new, cause) VALUES (?, ?, ?, ?, 'null', 'null', ?)",
            (record_id, stamp, kind, list_name, cause),
        )

    def list_members(self, list_name: str) -> list[int]:
        self._reading(LIST_ROWS)
        rows = self._conn.execute(
            "SELECT record_id FROM list_members WHERE list_name = ? ORDER BY record_id", (list_name,)
        )
        return [record_id for (record_id,) in rows]

    def history(self, record_id: int) -> list[HistoryEntry]:
        self._reading()
        rows = self._conn.execute(
            "SELECT id, record_id, at, kind, field, old, new, cause FROM history WHERE record_id = ? ORDER BY id",
            (record_id,),
        )
        return [
            HistoryEntry(id, rid, parse_utc(at), kind, field, load_value(old), load_value(new), cause)
            for id, rid, at, kind, field, old, new, cause in rows
        ]

    # -- events --------------------------------------------------------------

    def log_event(
        self, key: str, name: str, record_id: int | None, at: dt.datetime, data: dict[str, Any] | None = None
    ) -> bool:
        if self._batch is not None:
            return self._batch.log_event(key, name, record_id, utc_text(at), data)
        params = (key, name, record_id, utc_text(at), dump_value(data if data is not None else {}))
        try:
            cursor = self._conn.execute(
                "INSERT INTO events(key, name, record_id, at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                params,
            )
        except sqlite3.IntegrityError:
            raise InputError(f"no record with id {record_id}") from None
        if cursor.rowcount != 1:
            return False
        self._known_keys.logged_outside_a_batch(key)
        return True

    def has_event(self, key: str) -> bool:
        if self._batch is not None:
            return self._batch.has_event(key)
        return self._conn.execute("SELECT 1 FROM events WHERE key = ?", (key,)).fetchone() is not None

    def events(
        self, record_id: int | None = None, name: str | None = None, since: dt.datetime | None = None
    ) -> list[EventEntry]:
        # At most eight distinct SQL strings, each cached once.
        self._reading(EVENT_ROWS)
        where, params = [], []
        for clause, value in (("record_id = ?", record_id), ("name = ?", name)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if since is not None:
            where.append("at >= ?")
            params.append(utc_text(since))
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._conn.execute(
            f"SELECT id, key, name, record_id, at, data FROM events{condition} ORDER BY at, id", params
        )
        return [
            EventEntry(id, key, event, rid, parse_utc(at), load_value(data)) for id, key, event, rid, at, data in rows
        ]

    # -- meta ----------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return load_value(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        if key == "schema_version":
            raise InputError("schema_version belongs to the migrations and cannot be set")
        encoded = dump_value(value)
        self._writing()
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, encoded),
        )


def _record(row: tuple) -> Record:
    id, type, props, created_at, updated_at = row
    return Record(id, type, load_value(props), parse_utc(created_at), parse_utc(updated_at))
