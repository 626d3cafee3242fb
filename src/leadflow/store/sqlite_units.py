"""The transaction half of `SqliteStore`: units and batches.

Transactions are explicit. The connection runs with `isolation_level=None`
so that the sqlite3 module never opens or commits anything behind our back;
`transaction()` issues BEGIN IMMEDIATE at the outermost level and a
SAVEPOINT when nested, so undoing one failing rule never undoes the event
around it.

`batch()` is one BEGIN IMMEDIATE ... COMMIT around many units, and inside it
the hot-path writes wait in memory until it ends (batch.py explains how each
unit still stays all or nothing): it changes how often we pay for statements
and a commit, not what is kept. On leaving a batch by an exception the
finished units are committed (each failing unit has already rolled itself
back), exactly as if there had been no batch.

A write method that needs several statements is atomic on its own when
called outside any transaction (see `atomic`), and checks and encodes
everything before its first write, so inside a unit it fails either
completely or not at all. Before its SQL it calls `_writing()`, and a read
of what a batch may still hold calls `_reading()`: outside a batch both do
nothing.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from leadflow.store.batch import PENDING, Batch, BufferedUnit
from leadflow.store.checkpointer import Checkpointer
from leadflow.store.overlay import KnownKeys
from leadflow.store.series import CAN_HAND_OFF, BatchSeries, JoinedSeries

if TYPE_CHECKING:
    from leadflow.store.sqlite import SqliteStore


def atomic(method):
    """Run `method` in its own transaction unless the caller already opened one."""

    @functools.wraps(method)
    def wrapper(self: SqliteStore, *args, **kwargs):
        if self._depth:
            return method(self, *args, **kwargs)
        with self.transaction():
            return method(self, *args, **kwargs)

    return wrapper


class SqliteUnits:
    """Mixed into `SqliteStore`, which provides the connection."""

    _conn: sqlite3.Connection
    _depth: int  # open transaction() / batch() levels
    _batch: Batch | None  # the write-behind state of an open batch()
    _known_keys: KnownKeys  # the event keys, for batches (overlay.py)
    _checkpointer: Checkpointer | None  # a WAL file's (checkpointer.py)

    def transaction(self) -> _Unit | BufferedUnit:
        if TYPE_CHECKING:  # a mixin of SqliteStore
            assert isinstance(self, SqliteStore)
        batch = self._batch
        return _Unit(self) if batch is None else BufferedUnit(batch)

    @contextmanager
    def batch(self) -> Iterator[SqliteStore]:
        if TYPE_CHECKING:  # a mixin of SqliteStore
            assert isinstance(self, SqliteStore)
        if self._depth:  # already inside a transaction: it decides
            yield self
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        self._batch = batch = Batch(self)
        try:
            yield self
        finally:
            self._depth = 0
            self._batch = None
            # Not `return` from here: that would swallow the error that made SQLite give up.
            if self._conn.in_transaction:
                self._commit_batch(batch)
            else:  # SQLite gave up on it (disk full, I/O)
                self._known_keys.forget()

    def _commit_batch(self, batch: Batch) -> None:
        """Write what the batch still holds and commit: all of it, or on an error none."""
        try:
            batch.flush(batch.levels[0])
            self._commit()
        except BaseException:
            self._known_keys.forget()
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        batch.committed()
        if self._checkpointer is not None:
            self._checkpointer.batch_committed()

    @contextmanager
    def batch_series(self) -> Iterator[BatchSeries | JoinedSeries]:
        """Batches one after another, each committed on a writer thread while the
        caller goes on with the next (series.py)."""
        if TYPE_CHECKING:  # a mixin of SqliteStore
            assert isinstance(self, SqliteStore)
        if self._depth:  # already inside a transaction: it decides
            yield JoinedSeries(self)
            return
        series = BatchSeries(self, CAN_HAND_OFF)
        try:
            yield series
        except BaseException:
            series.end(by_exception=True)
            raise
        series.end(by_exception=False)

    def _writing(self, flush_own: bool = False) -> None:
        """Before SQL that writes: in a batch, flush and open savepoints as batch.py says."""
        if self._batch is not None:
            self._batch.sync(flush_own)

    def _reading(self, kinds: tuple[str, ...] = PENDING) -> None:
        """Before SQL that reads what a batch may still hold in memory (of `kinds`, batch.PENDING)."""
        if self._batch is not None:
            self._batch.sync_for_read(kinds)

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise


class _Unit:
    """What `transaction()` returns outside a batch: BEGIN or SAVEPOINT on
    entry, undo on error.

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
