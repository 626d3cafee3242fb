"""How many times each line of an event file has come before, for `leadflow run`.

A line without an "id" is keyed by its text and its ordinal among identical
lines, so a second run of the file finds every key it logged the first time.
Telling the ordinal needs every distinct line seen so far, and in a dict that
is about a hundred bytes a line: ten million lines would take a gigabyte. So
past IN_MEMORY distinct lines the counts move to a private temporary SQLite
database, which SQLite keeps on disk past its small page cache: the memory
stays bounded whatever the file's length. A dict lookup costs a fraction of a
microsecond and the SQL upsert about twenty times more, a few percent of an
event's time, so a file of ordinary length never pays it.
"""

from __future__ import annotations

import sqlite3

IN_MEMORY = 50_000  # distinct lines counted in a dict, about 6 MB, before the counts go to SQLite


class LineCounts:
    """`count(digest)`: how many times `digest` has been counted, this time included."""

    def __init__(self, in_memory: int = IN_MEMORY) -> None:
        self._in_memory = in_memory
        self._counts: dict[str, int] | None = {}
        self._db: sqlite3.Connection | None = None

    def count(self, digest: str) -> int:
        counts = self._counts
        if counts is not None:
            n = counts[digest] = counts.get(digest, 0) + 1
            if len(counts) >= self._in_memory:
                self._spill(counts)
            return n
        assert self._db is not None  # spilled: the counts live in the database now
        return self._db.execute(
            "INSERT INTO seen VALUES (?, 1) ON CONFLICT(digest) DO UPDATE SET n = n + 1 RETURNING n", (digest,)
        ).fetchone()[0]

    def _spill(self, counts: dict[str, int]) -> None:
        # "": a temporary database in a file of its own, deleted when closed
        self._db = db = sqlite3.connect("", isolation_level=None)
        db.execute("CREATE TABLE seen(digest TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
        db.execute("BEGIN")  # one transaction: nothing of it needs to last
        db.executemany("INSERT INTO seen VALUES (?, ?)", counts.items())
        self._counts = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def __enter__(self) -> LineCounts:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
