"""A batch SQLite gave up on (disk full, I/O error) lets the error through."""

from __future__ import annotations

import sqlite3

import pytest

from store_support import at


def test_the_error_that_made_sqlite_roll_back_a_batch_reaches_the_caller(store):
    """`batch()` used to `return` from its `finally` when SQLite had rolled the
    transaction back, which swallowed the very error that caused it: the caller
    went on as if the batch had committed."""
    with pytest.raises(sqlite3.OperationalError, match="disk is full"), store.batch():
        store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
        store._conn.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL or SQLITE_IOERR
        raise sqlite3.OperationalError("database or disk is full")
    assert store.find_by("contact", "email", "ann@x.io") is None
    with store.batch():  # the store is usable again
        store.create_record("contact", {"email": "bob@x.io"}, at(1), "import")
    assert store.find_by("contact", "email", "bob@x.io") is not None
