"""The outbox half of `SqliteStore`: side effects waiting to be delivered.

Rules never send email or call webhooks directly; they enqueue an effect in
the same transaction as the record changes that caused it, keyed so that a
re-run enqueues nothing new. A dispatcher later asks for `due_effects` and
reports back with `mark_sent`, `mark_retry` or `mark_dead`.

`queue_effect` is `enqueue_effect` without the id, so inside a batch it can
wait in the unit's level with the other buffered rows (batch.py); the
insert ignores a known key when it is written, as at once.

Every transition is a single UPDATE guarded by the status it requires, so
two dispatchers racing on one effect cannot both move it; the loser gets an
InputError naming the status it found.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Any

from leadflow.errors import InputError
from leadflow.store.base import Effect
from leadflow.store.batch import EFFECT_ROWS, QUEUE_EFFECT, Batch
from leadflow.store.codec import dump_value, load_value, parse_utc, storable, storable_name, utc_text

_EFFECT_COLUMNS = (
    "id, kind, payload, key, status, attempts, next_attempt_at, first_attempt_at,"
    " last_error, created_at, sent_at, response"
)


class SqliteOutbox:
    """Mixed into `SqliteStore`, which provides the connection and `_writing`."""

    _conn: sqlite3.Connection
    _writing: Callable[..., None]  # before each write, and _reading before each read: see sqlite_units.py
    _reading: Callable[..., None]
    _batch: Batch | None

    def enqueue_effect(self, kind: str, payload: dict[str, Any], key: str, at: dt.datetime) -> int:
        stamp, encoded = utc_text(at), dump_value(payload)
        self._writing(flush_own=True)  # effects this unit queued with the same key come first
        cursor = self._conn.execute(QUEUE_EFFECT, (kind, encoded, key, stamp, stamp))
        if cursor.rowcount == 1 and cursor.lastrowid is not None:
            return cursor.lastrowid
        return self._conn.execute("SELECT id FROM outbox WHERE key = ?", (key,)).fetchone()[0]

    def queue_effect(self, kind: str, payload: dict[str, Any], key: str, at: dt.datetime) -> None:
        stamp = utc_text(at)
        row = (kind, dump_value(payload), key, stamp, stamp)
        if self._batch is None:
            self._conn.execute(QUEUE_EFFECT, row)
            return
        storable_name(kind)  # checked now: the batch binds the row when it flushes
        storable_name(key)
        storable(row[1])
        self._batch.queue_effect(row)

    def due_effects(self, now: dt.datetime, limit: int = 100) -> list[Effect]:
        self._reading(EFFECT_ROWS)
        rows = self._conn.execute(
            f"SELECT {_EFFECT_COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT ?",
            (utc_text(now), limit),
        )
        return [_effect(row) for row in rows]

    def mark_sent(self, id: int, at: dt.datetime, response: Any = None) -> None:
        stamp = utc_text(at)
        self._transition(
            id,
            "UPDATE outbox SET status = 'sent', sent_at = ?, response = ?, attempts = attempts + 1,"
            " first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ? AND status = 'pending'",
            (stamp, dump_value(response), stamp, id),
            "pending",
        )

    def mark_retry(self, id: int, next_attempt_at: dt.datetime, error: str, at: dt.datetime) -> None:
        stamp = utc_text(at)
        self._transition(
            id,
            "UPDATE outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + 1,"
            " first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ? AND status = 'pending'",
            (utc_text(next_attempt_at), error, stamp, id),
            "pending",
        )

    def mark_dead(self, id: int, error: str, at: dt.datetime) -> None:
        stamp = utc_text(at)
        self._transition(
            id,
            "UPDATE outbox SET status = 'dead', last_error = ?, attempts = attempts + 1,"
            " first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ? AND status = 'pending'",
            (error, stamp, id),
            "pending",
        )

    def replay(self, id: int, at: dt.datetime) -> None:
        self._transition(
            id,
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0,"
            " first_attempt_at = NULL WHERE id = ? AND status = 'dead'",
            (utc_text(at), id),
            "dead",
        )

    def _transition(self, id: int, sql: str, params: tuple, required: str) -> None:
        """Run a status-guarded UPDATE; explain why if it matched nothing."""
        self._writing()
        if self._conn.execute(sql, params).rowcount == 1:
            return
        row = self._conn.execute("SELECT status FROM outbox WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise InputError(f"no effect with id {id}")
        raise InputError(f"effect {id} is {row[0]}, not {required}")

    def effects(self, status: str | None = None) -> list[Effect]:
        self._reading(EFFECT_ROWS)
        if status is None:
            rows = self._conn.execute(f"SELECT {_EFFECT_COLUMNS} FROM outbox ORDER BY id")
        else:
            rows = self._conn.execute(f"SELECT {_EFFECT_COLUMNS} FROM outbox WHERE status = ? ORDER BY id", (status,))
        return [_effect(row) for row in rows]

    def get_effect(self, id: int) -> Effect | None:
        self._reading(EFFECT_ROWS)
        row = self._conn.execute(f"SELECT {_EFFECT_COLUMNS} FROM outbox WHERE id = ?", (id,)).fetchone()
        return _effect(row) if row else None

    def effect_by_key(self, key: str) -> Effect | None:
        self._reading()
        row = self._conn.execute(f"SELECT {_EFFECT_COLUMNS} FROM outbox WHERE key = ?", (key,)).fetchone()
        return _effect(row) if row else None


def _effect(row: tuple) -> Effect:
    id, kind, payload, key, status, attempts, next_at, first_at, error, created_at, sent_at, response = row
    return Effect(
        id,
        kind,
        load_value(payload),
        key,
        status,
        attempts,
        parse_utc(next_at),
        parse_utc(first_at),
        error,
        parse_utc(created_at),
        parse_utc(sent_at),
        load_value(response),
    )
