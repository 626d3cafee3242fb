"""A series of batches whose commits run on a second thread (`SqliteStore.batch_series()`).

`Engine.emit_many` runs its events in batches of a few hundred. Within a
batch the hot-path writes wait in memory (batch.py); at its end they are
written and committed, and that SQL work (record updates, history and event
rows, the commit's page writes) was about a third of an event's time. In a
series, the batch hands those rows to a writer thread and the caller goes on
with the next batch meanwhile: SQLite releases the GIL while it runs a
statement, so the two overlap on the machine's two cores.

How it stays correct
  * One Batch, one overlay, for the whole series: the overlay is the truth
    for what it holds (batch.py), so the next batch reads its records there
    while their rows are still on their way to SQL. Hand-offs are
    flushes that also commit.
  * One connection, used by one thread at a time: while the writer runs, the
    store's connection is a `GuardedConnection`, and any SQL the caller runs
    (a record the overlay lacks, a new contact, a savepoint) first waits for
    the writer. So SQL always shows every batch handed off before.
  * The writer thread needs the GIL only between statements, and with the
    caller busy every take of it can wait a whole switch interval. So each
    table's rows go in one statement (`executemany` would take the GIL back
    for every row; a statement per chunk of a few fixed sizes left the writer
    waiting for the GIL a third of its time, and the caller for the writer).
    The rarer tables (lists, runs, effects, email changes) are written by the
    caller before the hand-off. During a series the switch interval is
    SWITCH_INTERVAL, so the writer gets the GIL back quickly between its
    statements.
  * Reading ahead: after its commit the writer also reads the contacts of
    the batch after the next (`next`'s `prefetch`: one statement whose
    answer is one JSON text, so one take of the GIL), while the caller runs
    the next batch; the `next` that ends that one hands them to the overlay.
    What it read is SQL after its commit, which from then on changes only
    through the overlay, and the overlay wins over it: it holds, as a
    prefetch by the caller would, as long as the overlay remembers. If the
    overlay forgot in between (its `generation` moved), or would have to for
    room, the caller reads them again.
  * After committing, the writer begins the next transaction at once, so
    the write lock is held from batch to batch as a single batch holds it.
    Another connection may commit in the instant between: `PRAGMA
    data_version` tells, and then the batch in progress was computed from a
    state that may be stale. The caller's next SQL raises `Interleaved`, and
    `Engine.emit_many` runs that batch again from what is committed
    (`restart`). Nothing of it reached SQL or was reported.
  * The caller learns that a batch committed when it next waits for the
    writer, at the end of the following batch or of the series; only then
    does `next`'s callback run (emit_many reports results from it). A batch
    whose commit fails is rolled back, and its error is raised to the
    caller: nothing after it is committed.

The cyclic garbage collector
  A series keeps many objects alive from batch to batch (the overlay's
  records, the pending rows), and the automatic collector, which runs every
  700 allocations, traversed them again and again: 8.4 µs of an event's
  time on the events benchmark, a full collection of the heap included. So
  during a series automatic collection is paused, and `next` collects the
  young generation once per batch, while the writer runs: 1.8 µs per event.
  The engine makes almost no cyclic garbage (30,000 events left 19,000
  objects to the collector, all of them the series' own state at its end),
  and a cycle a host function makes is freed by the next batch's young
  collection. The older generations are collected after the series, as
  the collector resumes.

One statement per table took the writer's time from about 80 to 53 µs an
event, and the caller's wait for it from about 10 to 4 µs; reading ahead took
the contacts' SELECT, about 10 µs an event, off the caller (figures in
benchmarks/README.md).

What the writer thread gains is bounded by the machine: on the project's
2-core machine two busy threads each run at about two thirds of their speed
alone (a Python loop: 2.1 s alone, 3.3 s each side by side), so moving a
third of the work to the writer gained about 13%, not a third. In four alternating
runs of benchmarks/events.py: 6,048-6,799 events/s before, 7,368-7,829
after (figures in benchmarks/README.md).
"""

from __future__ import annotations

import functools
import gc
import itertools
import sqlite3
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from leadflow.store.batch import Batch, _Level, read_emails

if TYPE_CHECKING:
    from leadflow.store.sqlite import SqliteStore

# Seconds. Python's default, 0.005, left the writer waiting for the GIL; with its few
# statements a batch, 0.1 ms gave 3-23% more events/s than 0.5 ms in seven pairs.
SWITCH_INTERVAL = 0.0001

# UPDATE ... FROM needs SQLite 3.33; with an older one the series commits each batch itself.
CAN_HAND_OFF = sqlite3.sqlite_version_info >= (3, 33, 0)

# Each table's rows go in few statements of many rows each: `... FROM (VALUES (...), (...))`,
# and for records an UPDATE from such a VALUES list (the columns of batch.py's statements).
# Every statement costs the writer a wait for the GIL (up to a switch interval), so
# a batch's rows of a table go in one statement: its rows are padded with rows of
# PADDING, which the statement skips, up to a size of a few fixed ones, whose texts
# stay cached.
SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)  # rows; 1024 * 7 parameters is well under SQLite's 32,766
# Not None: the sqlite3 module binds None through its adapter lookup, which
# formats and drops an AttributeError for each one (about 3% of an event's
# instructions, on the writer thread and holding the GIL). A padding row is
# told by its `at`, which in a real row is a timestamp; in an UPDATE its id
# of '' is equal to no record's.
PADDING = ""
UPDATE_ROWS = (
    "UPDATE records SET props = v.column1, updated_at = v.column2 FROM (VALUES {}) AS v WHERE records.id = v.column3",
    3,
)
HISTORY_ROWS = (
    "INSERT INTO history(record_id, at, kind, field, old, new, cause)"
    " SELECT * FROM (VALUES {}) WHERE column2 IS NOT ''",
    7,
)
EVENT_ROWS = (
    "INSERT INTO events(key, name, record_id, at, data) SELECT * FROM (VALUES {}) WHERE column4 IS NOT ''",
    5,
)


@functools.lru_cache(maxsize=64)
def _statement(template: str, columns: int, rows: int) -> str:
    row = "(" + ", ".join("?" * columns) + ")"
    return template.format(", ".join([row] * rows))


def statements(table: tuple[str, int], rows: list[tuple]) -> list[tuple[str, list]]:
    """`rows` as a few (SQL, flat parameters) pairs, in order: one, unless there are
    more than the largest size."""
    template, columns = table
    out, largest = [], SIZES[-1]
    for start in range(0, len(rows), largest):
        chunk = rows[start : start + largest]
        size = next(size for size in SIZES if size >= len(chunk))
        params = list(itertools.chain.from_iterable(chunk))
        params += [PADDING] * ((size - len(chunk)) * columns)
        out.append((_statement(template, columns, size), params))
    return out


STALE = "another connection wrote to the database during the batch"


class Interleaved(Exception):
    """Another connection committed between two batches of a series: the batch in
    progress may have read what it changed, and must run again (`BatchSeries.restart`)."""


class BatchSeries:
    """What `SqliteStore.batch_series()` yields: one batch open at a time, each
    ended by `next`, which commits it (on the writer thread) and opens the next."""

    def __init__(self, store: SqliteStore, hand_off: bool):
        self.store = store
        self.conn = conn = store._conn
        self.hand_off = hand_off
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None  # the writer's
        self.interleaved = False  # found by the writer, not yet raised
        self.stale = False  # raised, not yet restarted
        self.committing: Callable[[], None] | None = None  # the callback of the batch on its way
        self.committed = False  # whether the writer committed it
        self.reports: list[Callable[[], None]] = []  # callbacks of committed batches, run by next and end
        self.read_ahead: tuple | None = None  # what the writer read for the batch after its own, for `next`
        conn.execute("BEGIN IMMEDIATE")
        self.version = self._data_version()
        self.switch_interval = sys.getswitchinterval()
        self.collecting = gc.isenabled()
        if hand_off:
            # A stand-in for the connection: it has the methods the store calls on one.
            store._conn = cast(sqlite3.Connection, GuardedConnection(conn, self))
            sys.setswitchinterval(min(self.switch_interval, SWITCH_INTERVAL))
        gc.disable()  # see "The cyclic garbage collector" above
        store._depth = 1
        try:
            self.batch = store._batch = Batch(store)
        except BaseException:
            self._restore()
            conn.execute("ROLLBACK")
            raise

    def end(self, by_exception: bool) -> None:
        """Leave the series. The batch in progress is committed if it is sound, even when
        leaving by an exception (as `batch()` commits the units that completed)."""
        self.settle(quietly=True)
        try:
            self._report()
        except BaseException:  # a callback failed: the series still ends as by an exception
            self._close(by_exception=True)
            raise
        self._close(by_exception)

    def _close(self, by_exception: bool) -> None:
        sound = self.error is None and not self.stale
        if sound and self.interleaved:
            # The batch in progress ran no SQL since (that would have raised): only what it
            # holds in memory was computed from a state another connection has changed.
            sound = not by_exception and not self.batch.levels[0].pending()
            self.interleaved = False
        self._restore()
        if not sound:
            self.store._known_keys.forget()
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if not by_exception:
                raise self.error or Interleaved(STALE)
            return
        try:
            self.store._commit_batch(self.batch)
        except BaseException:
            if not by_exception:  # else the exception on its way out says more
                raise

    def _restore(self) -> None:
        """The store as it was before the series: its own connection, no batch."""
        store = self.store
        store._conn, store._depth, store._batch = self.conn, 0, None
        sys.setswitchinterval(self.switch_interval)
        if self.collecting:
            gc.enable()

    # -- the caller's side ---------------------------------------------------

    def next(self, on_committed: Callable[[], None], prefetch: tuple[str, str, list] | None = None) -> None:
        """End the batch: commit it, and call `on_committed` once it is (perhaps
        later, at a following `next` or the end of the series).

        `prefetch`, the arguments of a `Store.prefetch`, is for the batch after
        the next: the writer reads it after this batch commits, while the next
        one runs, and the next `next` hands it to the overlay."""
        self.settle()
        self._report()
        if self.stale:  # Interleaved was raised and swallowed (a rule's `except`): still stale
            raise Interleaved(STALE)
        batch = self.batch
        if self.read_ahead is not None:  # for the batch about to start
            read_ahead, self.read_ahead = self.read_ahead, None
            batch.prefetched(*read_ahead)
        request = None
        if prefetch is not None and prefetch[1] == "email":  # as SqliteStore.prefetch, only emails gain
            emails = batch.unread_emails(prefetch[0], prefetch[2])
            if emails:
                request = (prefetch[0], emails, batch.overlay.generation)
        level = batch.levels[0]
        if not self.hand_off:
            batch.flush(level)
            self.conn.execute("COMMIT")
            self._committed(on_committed)
            self._report()
            self._begin_next()
            if request is not None:  # now, for the batch after the next: valid as long as the overlay remembers
                batch.prefetch_emails(request[0], request[1])
            self._collect_young()
            return
        statements = self._take_hot_rows(level)
        batch.flush(level)  # what is left: the rarer tables, here and now
        self.committing, self.committed = on_committed, False
        self.thread = threading.Thread(
            target=self._write, args=(statements, request), name="leadflow-writer", daemon=True
        )
        self.thread.start()
        self._collect_young()

    def _collect_young(self) -> None:
        if self.collecting:
            gc.collect(0)

    def restart(self) -> None:
        """After Interleaved: drop the batch in progress and start it again from what is committed."""
        self.settle(quietly=True)
        self.stale = self.interleaved = False
        self.read_ahead = None  # read for the batch being dropped
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.execute("BEGIN IMMEDIATE")
        self.version = self._data_version()
        self.store._known_keys.forget()
        self.batch = self.store._batch = Batch(self.store)  # a new overlay, read from what is committed

    def settle(self, quietly: bool = False) -> None:
        """Wait for the writer; raise its error, or Interleaved once, unless `quietly`."""
        thread = self.thread
        if thread is not None:
            thread.join()
            self.thread = None
        if self.committing is not None and self.committed:
            self._committed(self.committing)  # reported by the next `next` or `end`, not in mid-batch
        self.committing = None
        if quietly:
            return
        if self.error is not None:
            raise self.error
        if self.interleaved:
            self.interleaved, self.stale = False, True
            raise Interleaved(STALE)

    def _committed(self, on_committed: Callable[[], None]) -> None:
        # The overlay's keys go to KnownKeys when it is forgotten or the series ends:
        # it also holds the keys of the batch in progress, which may yet be rolled back.
        if self.store._checkpointer is not None:
            self.store._checkpointer.batch_committed()
        self.reports.append(on_committed)

    def _report(self) -> None:
        reports, self.reports = self.reports, []
        for report in reports:
            report()

    def _take_hot_rows(self, level: _Level) -> list[tuple[str, list]]:
        """The level's plain record updates, history and event rows, as statements for the writer."""
        out = []
        plain = [
            (text, stamp, record_id)
            for record_id, (text, _, stamp, email_changed) in sorted(level.updates.items())
            if not email_changed
        ]
        if plain:
            out += statements(UPDATE_ROWS, plain)
            level.updates = {record_id: row for record_id, row in level.updates.items() if row[3]}
        if level.history:
            out += statements(HISTORY_ROWS, level.history)
            level.history = []
        if level.events:
            out += statements(EVENT_ROWS, level.events)
            level.events = []
        return out

    # -- the writer's side ---------------------------------------------------

    def _write(self, statements: list[tuple[str, list]], request: tuple | None) -> None:
        conn = self.conn
        try:
            for sql, params in statements:
                conn.execute(sql, params)
            conn.execute("COMMIT")
            self.committed = True
        except BaseException as error:  # all of the batch or nothing
            self.error = error
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return
        try:
            self._begin_next()
        except BaseException as error:  # the batch is committed; the series cannot go on
            self.error = error
            return
        if request is not None and not self.interleaved:  # else the batch in progress runs again
            type, emails, generation = request
            try:
                text = read_emails(conn, type, emails)
            except sqlite3.Error:  # only a hint: `next` reads again, and SQL's error is raised there
                text = None
            self.read_ahead = (type, emails, generation, text)

    def _begin_next(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self._check_version()

    def _check_version(self) -> None:
        version = self._data_version()
        if version != self.version:  # committed by another connection since our last BEGIN
            self.version = version
            self.interleaved = True

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]


class GuardedConnection:
    """The store's connection during a series: every use waits for the writer first."""

    __slots__ = ("_conn", "_series")

    def __init__(self, conn: sqlite3.Connection, series: BatchSeries):
        self._conn, self._series = conn, series

    def execute(self, *args):
        self._series.settle()
        return self._conn.execute(*args)

    def executemany(self, *args):
        self._series.settle()
        return self._conn.executemany(*args)

    def __getattr__(self, name: str):
        self._series.settle()
        return getattr(self._conn, name)


class JoinedSeries:
    """A series inside an open transaction or batch: that one commits; `next` only
    reports, and prefetches at once."""

    def __init__(self, store: SqliteStore):
        self.store = store

    def next(self, on_committed: Callable[[], None], prefetch: tuple[str, str, list] | None = None) -> None:
        on_committed()
        if prefetch is not None:
            self.store.prefetch(*prefetch)
