"""Whether a `--db` file is a Leadflow database, asked before the store opens it.

Opening a store is not a read: it turns on WAL mode and applies the schema's
migrations, so pointed at another program's SQLite file it would change that
file's journal mode and then fail half-way with SQLite's "table records
already exists". The question is asked here instead, on a read-only
connection that writes nothing, not even a journal.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from leadflow.store.schema import schema_version


def database_file(db: str) -> Path | None:
    """The file a `--db` value names (as open_store reads it); None for an in-memory store."""
    if db.startswith("sqlite:///"):
        db = db[len("sqlite:///") :]
    elif db.startswith("sqlite://"):
        return None
    return None if db in ("", ":memory:") else Path(db)


def not_leadflow(path: Path, *, empty_ok: bool) -> str | None:
    """Why the existing file at `path` is not a Leadflow database, or None if it is one.

    With `empty_ok`, a file of no bytes or an SQLite database with no tables
    (as `sqlite3 new.db` leaves one) is fine: a command that writes creates the
    schema there."""
    if path.stat().st_size == 0:
        return None if empty_ok else f"{path} is an empty file, not a Leadflow database"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return f"{path} cannot be opened: {error}"
    try:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables == 0 and empty_ok:
            return None
        if schema_version(conn) > 0:
            return None
    except sqlite3.DatabaseError:  # "file is not a database", and its kin
        return f"{path} is not a Leadflow database (not an SQLite file)"
    finally:
        conn.close()
    return f"{path} is not a Leadflow database (an SQLite file without Leadflow's tables)"
