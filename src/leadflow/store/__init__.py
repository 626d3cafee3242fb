"""Where the engine keeps records, history, processed events and the outbox.

`Store` (in base.py) is the protocol the engine codes against; `SqliteStore`
is the default implementation. `open_store` turns a user-facing location
(command-line flag, config value) into a store.
"""

from __future__ import annotations

import os

from leadflow.errors import InputError
from leadflow.store.base import Effect, EventEntry, HistoryEntry, Record, Store
from leadflow.store.sqlite import SqliteStore

__all__ = ["Effect", "EventEntry", "HistoryEntry", "Record", "SqliteStore", "Store", "open_store"]


def open_store(url: str | os.PathLike[str]) -> Store:
    """Open the store at `url`.

    Accepts ":memory:", a plain file path, or SQLAlchemy-style URLs:
    "sqlite://:memory:" (or bare "sqlite://") and "sqlite:///path", where the
    path after the third slash is taken as written, so "sqlite:///app.db" is
    relative and "sqlite:////var/app.db" absolute.
    """
    location = os.fspath(url)
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///") :]
    elif location.startswith("sqlite://"):
        rest = location[len("sqlite://") :]
        if rest not in ("", ":memory:"):
            raise InputError(f"unsupported store URL {url!r}: use sqlite:///path or sqlite://:memory:")
        location = ":memory:"
    elif "://" in location:
        raise InputError(f"unsupported store URL {url!r}: only SQLite stores exist so far")
    if not location:
        raise InputError(f"store URL {url!r} names no file")
    return SqliteStore(location)
