"""The checkpoint thread: batches' pages reach the database file without the writer's help."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from leadflow.store import SqliteStore, checkpointer
from store_support import at


def write_batches(store: SqliteStore, batches: int, start: int = 0) -> None:
    for b in range(start, start + batches):
        with store.batch():
            for i in range(50):
                store.create_record("contact", {"email": f"c{b}-{i}@x.io", "score": i}, at(1), "test")


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "leadflow-checkpoint"]


def test_every_few_batches_the_thread_copies_the_log_into_the_database_file(tmp_path):
    path = tmp_path / "leads.db"
    store = SqliteStore(path)
    write_batches(store, checkpointer.EVERY - 1)
    assert store._checkpointer._thread is None  # not yet: a few batches are not worth a checkpoint
    size_before = os.path.getsize(path)
    write_batches(store, 1, start=checkpointer.EVERY)
    assert wait_for(lambda: os.path.getsize(path) > size_before), "no checkpoint reached the database file"
    assert store.count_records("contact") == 50 * checkpointer.EVERY
    store.close()


def test_close_stops_the_thread_and_leaves_everything_in_the_database_file(tmp_path):
    path = tmp_path / "leads.db"
    threads_before = len(checkpoint_threads())
    store = SqliteStore(path)
    write_batches(store, 2 * checkpointer.EVERY + 3)
    store.close()
    assert len(checkpoint_threads()) == threads_before
    assert not os.path.exists(f"{path}-wal")  # the writer's close checkpointed the rest
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 50 * (2 * checkpointer.EVERY + 3)


def test_a_store_in_memory_has_no_checkpointer():
    store = SqliteStore(":memory:")
    write_batches(store, checkpointer.EVERY)
    assert store._checkpointer is None
    store.close()
