"""How many times each line of an event file has come before, for `leadflow run`.

A line without an "id" is keyed by its text and its ordinal among identical
lines, so a second run of the file finds every key it logged the first time.
Telling the ordinal needs every distinct line seen so far: kept in a dict that
is a few dozen bytes a line, a file of ten million lines would cost a gigabyte.
So the counts live in a private temporary SQLite database, which SQLite keeps
on disk past its small page cache: the memory stays flat whatever the file's
length, for about two microseconds a line.
"""
from __future__ import annotations

import sqlite3


class LineCounts:
    """`count(digest)`: how many times `digest` has been counted, this time included."""

    def __init__(self) -> None:
        # "": a temporary database in a file of its own, deleted when closed
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("CREATE TABLE seen(digest TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
        self._db.execute("BEGIN")  # one transaction: nothing of it needs to last

    def count(self, digest: str) -> int:
        return self._db.execute(
            "INSERT INTO seen VALUES (?, 1) ON CONFLICT(digest) DO UPDATE SET n = n + 1 RETURNING n", (digest,)
        ).fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LineCounts:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
