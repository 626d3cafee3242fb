"""The default store: one SQLite database file (or memory), one connection.

Transactions are explicit. The connection runs with `isolation_level=None`
so that the sqlite3 module never opens or commits anything behind our back;
`transaction()` issues BEGIN IMMEDIATE at the outermost level and a
SAVEPOINT when nested, so undoing one failing rule never undoes the event
around it. `batch()` is only a BEGIN/COMMIT around many units: it changes
how often we pay for a commit, not what is kept. On leaving a batch by an
exception the finished units are committed (each failing unit has already
rolled itself back), exactly as if there had been no batch.

A write method that needs several statements is atomic on its own when
called outside any transaction (see `_atomic`), and checks and encodes
everything before its first write, so inside a unit it fails either
completely or not at all.

How values and timestamps are encoded is in codec.py; the schema and its
migrations are in schema.py; the outbox methods are in sqlite_outbox.py.

Speed: the engine runs each event as find_by + log_event + update_record
(+ add_to_list) in a unit inside a batch, ~10k events a second. Every SQL
string here is a constant, so sqlite3's statement cache prepares each once;
nothing inspects the schema after open.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from leadflow.errors import InputError
from leadflow.store.base import EventEntry, HistoryEntry, Record
from leadflow.store.codec import dump_value, encode_json, json_path, load_value, parse_utc, utc_text
from leadflow.store.schema import migrate
from leadflow.store.sqlite_outbox import SqliteOutbox
from leadflow.values import from_json_value, to_json_value

_RECORD_COLUMNS = "id, type, props, created_at, updated_at"
_PAGE = 512  # records() reads this many rows per query


def _atomic(method):
    """Run `method` in its own transaction unless the caller already opened one."""

    @functools.wraps(method)
    def wrapper(self: SqliteStore, *args, **kwargs):
        if self._depth:
            return method(self, *args, **kwargs)
        with self.transaction():
            return method(self, *args, **kwargs)

    return wrapper


class SqliteStore(SqliteOutbox):
    """A `Store` on SQLite. Not thread-safe: one store per thread."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:"):
        self.path = os.fspath(path)
        self._conn = sqlite3.connect(self.path, isolation_level=None, cached_statements=256)
        self._depth = 0  # open transaction() / batch() levels
        # journal_mode must be set outside a transaction; an in-memory
        # database simply stays in "memory" mode.
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        # The default 2 MB page cache holds a fraction of 100k contacts and
        # their indexes; random email lookups would then read from disk.
        self._conn.execute("PRAGMA cache_size = -65536")
        migrate(self._conn)

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    # -- transactions --------------------------------------------------------

    def transaction(self) -> _Unit:
        return _Unit(self)

    @contextmanager
    def batch(self) -> Iterator[SqliteStore]:
        if self._depth:  # already inside a transaction: it decides
            yield self
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        finally:
            self._depth = 0
            if self._conn.in_transaction:
                self._commit()

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    # -- records -------------------------------------------------------------

    @_atomic
    def create_record(self, type: str, props: dict[str, Any], at: dt.datetime, cause: str) -> Record:
        if not isinstance(props, dict):
            raise InputError(f"record properties must be a dict, got {props!r}")
        encoded = {k: v for k, v in to_json_value(props).items() if v is not None}
        text, stamp = encode_json(encoded), utc_text(at)
        cursor = self._conn.execute(
            "INSERT INTO records(type, props, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (type, text, _email_of(encoded), stamp, stamp),
        )
        record_id = cursor.lastrowid
        self._conn.execute(
            "INSERT INTO history(record_id, at, kind, field, old, new, cause)"
            " VALUES (?, ?, 'created', NULL, 'null', ?, ?)",
            (record_id, stamp, text, cause),
        )
        moment = parse_utc(stamp)
        return Record(record_id, type, from_json_value(encoded), moment, moment)

    def get_record(self, id: int) -> Record | None:
        row = self._conn.execute(f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ?", (id,)).fetchone()
        return _record(row) if row else None

    def find_by(self, type: str, field: str, value: Any) -> Record | None:
        if value is None:
            raise InputError(f"cannot look up {type} by a missing {field}")
        if isinstance(value, (str, int, float)):  # bool is an int, as in JSON's SQLite view
            if field == "email":  # the indexed copy (schema.py)
                sql = (
                    f"SELECT {_RECORD_COLUMNS} FROM records"
                    " WHERE type = ? AND email = ? ORDER BY id LIMIT 1"
                )
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

    def find_all_by(self, type: str, field: str, value: Any) -> list[Record]:
        if value is None:
            raise InputError(f"cannot look up {type} by a missing {field}")
        if isinstance(value, (str, int, float)):  # an association holds the target's id
            sql = (
                f"SELECT {_RECORD_COLUMNS} FROM records"
                " WHERE type = ? AND json_extract(props, ?) = ? ORDER BY id"
            )
            return [_record(row) for row in self._conn.execute(sql, (type, json_path(field), value))]
        sql = (
            f"SELECT {_RECORD_COLUMNS} FROM records"
            " WHERE type = ? AND json_type(props, ?) IN ('object', 'array') ORDER BY id"
        )
        rows = self._conn.execute(sql, (type, json_path(field)))
        return [record for record in map(_record, rows) if record.props.get(field) == value]

    @_atomic
    def update_record(
        self, record_id: int, changes: dict[str, Any], at: dt.datetime, cause: str
    ) -> dict[str, tuple[Any, Any]]:
        row = self._conn.execute("SELECT props FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise InputError(f"no record with id {record_id}")
        props = json.loads(row[0])  # left encoded: only changed fields are decoded
        stamp = utc_text(at)
        changed: dict[str, tuple[Any, Any]] = {}
        history = []
        for field, value in changes.items():
            new = to_json_value(value)
            old = props.get(field)
            old_value, new_value = from_json_value(old), from_json_value(new)
            # Equal as the language sees it (the same instant in another zone
            # is no change), but 1 -> true or 1 -> 1.0 is.
            if old_value == new_value and type(old_value) is type(new_value):
                continue
            if new is None:
                del props[field]
            else:
                props[field] = new
            changed[field] = (old_value, new_value)
            history.append((record_id, stamp, field, encode_json(old), encode_json(new), cause))
        if not changed:
            return changed
        text = encode_json(props)
        if "email" in changed:
            self._conn.execute(
                "UPDATE records SET props = ?, email = ?, updated_at = ? WHERE id = ?",
                (text, _email_of(props), stamp, record_id),
            )
        else:  # leaves records_by_email alone
            self._conn.execute(
                "UPDATE records SET props = ?, updated_at = ? WHERE id = ?", (text, stamp, record_id)
            )
        for entry in history:  # usually one or two: cheaper than executemany
            self._conn.execute(
                "INSERT INTO history(record_id, at, kind, field, old, new, cause)"
                " VALUES (?, ?, 'set', ?, ?, ?, ?)",
                entry,
            )
        return changed

    @_atomic
    def write_changes(
        self, record_id: int, props: dict[str, Any], changes: list[tuple[str, Any, Any, str]], at: dt.datetime
    ) -> None:
        stamp = utc_text(at)
        encoded = to_json_value({k: v for k, v in props.items() if v is not None})
        if any(field == "email" for field, *_ in changes):
            sql = "UPDATE records SET props = ?, email = ?, updated_at = ? WHERE id = ?"
            params: tuple = (encode_json(encoded), _email_of(encoded), stamp, record_id)
        else:
            sql = "UPDATE records SET props = ?, updated_at = ? WHERE id = ?"
            params = (encode_json(encoded), stamp, record_id)
        if self._conn.execute(sql, params).rowcount != 1:
            raise InputError(f"no record with id {record_id}")
        self._conn.executemany(
            "INSERT INTO history(record_id, at, kind, field, old, new, cause) VALUES (?, ?, 'set', ?, ?, ?, ?)",
            [(record_id, stamp, field, dump_value(old), dump_value(new), cause) for field, old, new, cause in changes],
        )

    def records(self, type: str | None = None) -> Iterator[Record]:
        # Keyset pages rather than one open cursor: callers may write to the
        # store while iterating, and memory stays flat over 100k records.
        last = 0
        while True:
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
        rows = self._conn.execute("SELECT list_name FROM list_members WHERE record_id = ?", (record_id,))
        return {name for (name,) in rows}

    @_atomic
    def add_to_list(self, record_id: int, list_name: str, at: dt.datetime, cause: str) -> bool:
        stamp = utc_text(at)
        try:
            cursor = self._conn.execute(
                "INSERT INTO list_members(list_name, record_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (list_name, record_id),
            )
        except sqlite3.IntegrityError:
            raise InputError(f"no record with id {record_id}") from None
        if cursor.rowcount == 0:
            return False
        self._list_history(record_id, "list_add", list_name, stamp, cause)
        return True

    @_atomic
    def remove_from_list(self, record_id: int, list_name: str, at: dt.datetime, cause: str) -> bool:
        stamp = utc_text(at)
        cursor = self._conn.execute(
            "DELETE FROM list_members WHERE list_name = ? AND record_id = ?", (list_name, record_id)
        )
        if cursor.rowcount == 0:
            return False
        self._list_history(record_id, "list_remove", list_name, stamp, cause)
        return True

    def _list_history(self, record_id: int, kind: str, list_name: str, stamp: str, cause: str) -> None:
        self._conn.execute(
            "INSERT INTO history(record_id, at, kind, field, old, new, cause)"
            " VALUES (?, ?, ?, ?, 'null', 'null', ?)",
            (record_id, stamp, kind, list_name, cause),
        )

    def list_members(self, list_name: str) -> list[int]:
        rows = self._conn.execute(
            "SELECT record_id FROM list_members WHERE list_name = ? ORDER BY record_id", (list_name,)
        )
        return [record_id for (record_id,) in rows]

    def history(self, record_id: int) -> list[HistoryEntry]:
        rows = self._conn.execute(
            "SELECT id, record_id, at, kind, field, old, new, cause FROM history"
            " WHERE record_id = ? ORDER BY id",
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
        params = (key, name, record_id, utc_text(at), dump_value(data if data is not None else {}))
        try:
            cursor = self._conn.execute(
                "INSERT INTO events(key, name, record_id, at, data) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO NOTHING",
                params,
            )
        except sqlite3.IntegrityError:
            raise InputError(f"no record with id {record_id}") from None
        return cursor.rowcount == 1

    def has_event(self, key: str) -> bool:
        return self._conn.execute("SELECT 1 FROM events WHERE key = ?", (key,)).fetchone() is not None

    def events(
        self, record_id: int | None = None, name: str | None = None, since: dt.datetime | None = None
    ) -> list[EventEntry]:
        # At most eight distinct SQL strings, each cached once.
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
            EventEntry(id, key, event, rid, parse_utc(at), load_value(data))
            for id, key, event, rid, at, data in rows
        ]

    # -- meta ----------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return load_value(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        if key == "schema_version":
            raise InputError("schema_version belongs to the migrations and cannot be set")
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, dump_value(value)),
        )


class _Unit:
    """What `transaction()` returns: BEGIN or SAVEPOINT on entry, undo on error.

    A class rather than a @contextmanager generator because the engine enters
    one per event, and this is measurably cheaper.
    """

    __slots__ = ("store", "depth")

    def __init__(self, store: SqliteStore):
        self.store = store
        self.depth = 0

    def __enter__(self) -> SqliteStore:
        store = self.store
        self.depth = depth = store._depth
        store._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT unit{depth}")
        store._depth = depth + 1
        return store

    def __exit__(self, exc_type, exc, traceback) -> None:
        store, depth = self.store, self.depth
        store._depth = depth
        conn = store._conn
        if exc_type is None:
            if depth == 0:
                store._commit()
            else:
                conn.execute(f"RELEASE unit{depth}")
        # A few SQLite errors (disk full, I/O) already rolled back the whole
        # transaction; then there is nothing left to undo.
        elif conn.in_transaction:
            if depth == 0:
                conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO unit{depth}")
                conn.execute(f"RELEASE unit{depth}")


def _email_of(props: dict[str, Any]) -> Any:
    """The value for the indexed email column: the encoded property if scalar."""
    email = props.get("email")
    return email if isinstance(email, (str, int, float)) else None


def _record(row: tuple) -> Record:
    id, type, props, created_at, updated_at = row
    return Record(id, type, load_value(props), parse_utc(created_at), parse_utc(updated_at))
