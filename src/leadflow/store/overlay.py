"""What a batch knows better than SQL: the records it read or wrote, and its events.

Part of the write-behind of `SqliteStore.batch()` (the design is in
batch.py). The overlay holds, for each record read or written in the batch,
its current state as an `Entry`, and the keys of the events logged. For
what it holds it is the truth: the SQL rows of those records may lag until
the next flush.

Every change a unit makes goes through `change`, which notes the state it
replaces in the unit's journal; `undo` puts the states back in reverse
order. Records read from SQL are cached with `remember`, unjournaled (why
that is safe is in batch.py).

Email lookups combine SQL's index with `emails`, which lists the records an
overlay write gave an email, by (type, email): the only ones whose row in
SQL may not show it. The list may hold more (an email changed again, a
change undone): every hit is checked against the current entry, so
`emails` never needs to forget anything before the overlay does.

`in_sql` holds what a prefetch (`Batch.prefetch_emails`) read of SQL's side
of such lookups: the lowest id with an email, or None. It stays true for as
long as the overlay remembers: a record the batch creates or gives an email
is in `emails`, and one whose email the batch changed away fails the check
against its entry, so SQL's answer could only change in ways the lookup
already looks past. It is forgotten with the rest.

`generation` counts the times the overlay forgot: what was read of SQL
while it remembered holds only for as long as it still does (a series reads
a batch's contacts ahead, on its writer thread: series.py).

`KnownKeys` outlives the batches: it is what a connection knows of the
events table, so that a batch can tell a new event key without a SELECT.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from leadflow.store.base import Record
from leadflow.store.codec import JSON_SCALARS, decode_json, email_of
from leadflow.values import from_json_value

# (type, props as JSON values, created_at text, updated_at text, email or
# None): the email as the indexed column holds it (codec.email_of). Entries
# are never changed in place, so a journal can keep the one it replaced.
Entry = tuple[str, dict[str, Any], str, str, Any]
Journal = list[tuple[int, Entry | None]]

KEY_CACHE_LIMIT = 200_000
_from_iso = dt.datetime.fromisoformat  # codec.parse_utc, for text known not to be None


class Overlay:
    """The records, emails and event keys of one batch."""

    __slots__ = ("records", "emails", "keys", "in_sql", "generation")

    def __init__(self):
        self.records: dict[int, Entry] = {}
        self.emails: dict[tuple[str, Any], set[int]] = {}  # 1, 1.0 and True meet here as in SQL
        self.keys: set[str] = set()
        self.in_sql: dict[tuple[str, str], int | None] = {}  # (type, email) -> lowest id in SQL
        self.generation = 0

    def __len__(self) -> int:
        return len(self.records)

    def remember(self, record_id: int, row: tuple) -> Entry:
        """Cache a record read from SQL as (type, props, created_at, updated_at)."""
        type, text, created_at, updated_at = row
        return self.keep(record_id, type, decode_json(text), created_at, updated_at)

    def keep(self, record_id: int, type: str, props: dict[str, Any], created_at: str, updated_at: str) -> Entry:
        """`remember`, for props already decoded."""
        entry = self.records[record_id] = (type, props, created_at, updated_at, email_of(props))
        return entry

    def change(self, record_id: int, entry: Entry, journal: Journal | None) -> None:
        old = self.records.get(record_id)
        if journal is not None:
            journal.append((record_id, old))
        self.records[record_id] = entry
        email = entry[4]
        if email is not None and (old is None or old[4] != email):
            self.emails.setdefault((entry[0], email), set()).add(record_id)

    def undo(self, journal: Journal, keys: list[str]) -> None:
        records = self.records
        for record_id, entry in reversed(journal):
            if entry is None:
                del records[record_id]
            else:
                records[record_id] = entry
        self.keys.difference_update(keys)

    def forget(self) -> None:
        self.records.clear()
        self.emails.clear()
        self.keys.clear()
        self.in_sql.clear()
        self.generation += 1

    def has_email(self, record_id: int, type: str, email: Any) -> bool:
        entry = self.records.get(record_id)
        return entry is not None and entry[0] == type and entry[4] is not None and entry[4] == email

    def lowest_with_email(self, type: str, email: Any) -> int | None:
        """The lowest id among the records an overlay write gave this email, if they still have it."""
        ids = self.emails.get((type, email))
        if not ids:
            return None
        return min((i for i in ids if self.has_email(i, type, email)), default=None)

    def record(self, record_id: int, entry: Entry) -> Record:
        """A `Record` of an entry; decoding builds fresh props, so the caller may edit them."""
        record_type, props, created_at, updated_at, _ = entry
        if len(props) == 1:  # from_json_value reads {"$date": ...} as a date, even here
            decoded = from_json_value(props)
        else:  # from_json_value of the dict, without a call per scalar
            decoded = {k: v if type(v) in JSON_SCALARS else from_json_value(v) for k, v in props.items()}
        return Record(record_id, record_type, decoded, _from_iso(created_at), _from_iso(updated_at))


class KnownKeys:
    """The keys in the events table, as one connection knows them between batches.

    `keys` is every key there, read once and kept up to date by this
    connection's batches, which add theirs when they commit. It stays valid
    while no other connection commits (`PRAGMA data_version` tells; then the
    next batch reads the keys again). A key logged outside a batch may yet
    be rolled back with its transaction, so it goes to `unsure`, for SQL to
    answer. A store whose log outgrows KEY_CACHE_LIMIT is asked key by key.
    """

    __slots__ = ("keys", "unsure", "version")

    def __init__(self):
        self.keys: set[str] | None = None
        self.unsure: set[str] = set()
        self.version = None

    def refresh(self, conn: sqlite3.Connection) -> None:
        """At the start of a batch, under its write lock."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if self.keys is not None and version == self.version:
            return
        self.version, self.keys = version, None
        self.unsure.clear()
        if (conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0) <= KEY_CACHE_LIMIT:
            self.keys = {key for (key,) in conn.execute("SELECT key FROM events")}

    def knows(self, key: str) -> bool | None:
        """Whether the events table has `key`; None if only SQL can tell."""
        if self.keys is None or key in self.unsure:
            return None
        return key in self.keys

    def add(self, keys: set[str]) -> None:
        if self.keys is not None:
            self.keys |= keys
            if len(self.keys) > KEY_CACHE_LIMIT:
                self.forget()

    def logged_outside_a_batch(self, key: str) -> None:
        if type(key) is not str:  # SQL stored it as text, in its own spelling
            self.forget()
        elif self.keys is not None:
            self.unsure.add(key)
            if len(self.unsure) > KEY_CACHE_LIMIT // 10:
                self.forget()

    def forget(self) -> None:
        self.keys = None
        self.unsure.clear()
