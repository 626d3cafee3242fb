"""The SQLite schema, as an ordered list of migrations applied on open.

Migration N (1-based) is `MIGRATIONS[N - 1]`; `meta.schema_version` records
the last one applied. A new feature (durable workflows, timers) appends a
migration and never edits an old one, so every existing database reaches the
same schema by the same steps. Each migration is a tuple of single
statements rather than one script because `executescript` would commit the
surrounding transaction; this way all pending migrations and the version
bump commit together or not at all.

Times are stored as UTC ISO text of fixed width (see `codec.utc_text`), so
string order is time order and indexes on them serve range queries.

Email lookup is the hot path (import and event upserts find contacts by
email), so `records.email` keeps a copy of the `email` property, indexed by
type. A column rather than an expression index on json_extract: the index
would make SQLite re-parse the props JSON twice on every UPDATE, which
measured nearly three times the cost of the UPDATE itself, and SqliteStore
only rewrites the column when the email really changed.
"""

from __future__ import annotations

import json
import sqlite3

from leadflow.errors import LeadflowError

SCHEMA_V1 = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        props TEXT NOT NULL,
        email,  -- props.email when it is a scalar; no affinity, so 1 stays 1
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX records_by_type ON records(type)",
    "CREATE INDEX records_by_email ON records(type, email)",
    """CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        record_id INTEGER NOT NULL REFERENCES records(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('created', 'set', 'list_add', 'list_remove')),
        field TEXT,
        old TEXT NOT NULL,
        new TEXT NOT NULL,
        cause TEXT NOT NULL
    )""",
    "CREATE INDEX history_by_record ON history(record_id, id)",
    """CREATE TABLE list_members (
        list_name TEXT NOT NULL,
        record_id INTEGER NOT NULL REFERENCES records(id),
        PRIMARY KEY (list_name, record_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX list_members_by_record ON list_members(record_id)",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        record_id INTEGER REFERENCES records(id),
        at TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX events_by_record ON events(record_id, name, at)",
    "CREATE INDEX events_by_name ON events(name, at)",
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        first_attempt_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        response TEXT NOT NULL DEFAULT 'null'
    )""",
    # Status first, so the sent effects that pile up sit apart from the
    # pending ones the dispatcher reads. (A partial index on pending rows
    # loses to outbox_by_status in SQLite's planner when there are no stats.)
    "CREATE INDEX outbox_due ON outbox(status, next_attempt_at, id)",
    "CREATE INDEX outbox_by_status ON outbox(status, id)",
)

# Durable workflows. A run is one record's way through one workflow: where
# it is (`position`, a step's path), its variables, and what it waits for.
# `due` is when it wakes; the partial index keeps only waking runs, so
# finding due work costs in proportion to what is due, not to how many runs
# wait for an event or have finished. `schedules` remembers when each timed
# trigger last fired, so a restart neither skips nor repeats a firing.
SCHEMA_V2 = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        workflow TEXT NOT NULL,
        record_id INTEGER NOT NULL REFERENCES records(id),
        status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'stopped', 'goal', 'unenrolled', 'error')),
        position TEXT,
        vars TEXT NOT NULL,
        wait TEXT NOT NULL DEFAULT 'null',
        due TEXT,
        waiting_event TEXT,
        enrolled_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        error TEXT
    )""",
    "CREATE INDEX runs_due ON runs(due, id) WHERE due IS NOT NULL",
    "CREATE INDEX runs_by_record ON runs(record_id, workflow, id)",
    "CREATE INDEX runs_waiting ON runs(record_id, waiting_event) WHERE waiting_event IS NOT NULL",
    "CREATE INDEX runs_by_workflow ON runs(workflow, status)",
    """CREATE TABLE run_log (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        at TEXT NOT NULL,
        step TEXT,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX run_log_by_run ON run_log(run_id, id)",
    """CREATE TABLE schedules (
        key TEXT PRIMARY KEY,
        last_fired TEXT NOT NULL
    ) WITHOUT ROWID""",
)
# Migration 3: cheaper writes on the event path, the same data. Each event
# writes to a few random pages (its contact, and the indexes of history and
# events by record); a batch's commit, and the checkpoint after, pay for
# every page it dirtied, so the indexes are only what queries need.
# * No query needs events by name alone (`events(name=...)` is a rare
#   administrative read, and a scan serves it), while every logged event paid
#   for one more B-tree insert, on a page no other index shares.
# * Events of a record are found by `record_id`; the name and time that
#   followed it in the index (for `happened(...)`, which filters the few
#   events of one record) made its entries five times as large, and so the pages a batch dirties
#   in it. A record's events are few: filtering and sorting them is cheap.
# * SQLite checks `kind IN ('created', 'set', ...)` by building a temporary
#   table each time the statement runs, about 5 µs for every history row
#   written (half the cost of the insert); an OR of equalities costs nothing
#   measurable. A constraint cannot be altered in place, so history and
#   outbox are rebuilt as https://www.sqlite.org/lang_altertable.html#otheralter
#   describes (nothing references either table).
FASTER_WRITES = (
    "DROP INDEX events_by_name",
    "DROP INDEX events_by_record",
    "CREATE INDEX events_by_record ON events(record_id)",
    """CREATE TABLE history_v2 (
        id INTEGER PRIMARY KEY,
        record_id INTEGER NOT NULL REFERENCES records(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL
            CHECK (kind = 'created' OR kind = 'set' OR kind = 'list_add' OR kind = 'list_remove'),
        field TEXT,
        old TEXT NOT NULL,
        new TEXT NOT NULL,
        cause TEXT NOT NULL
    )""",
    "INSERT INTO history_v2 SELECT id, record_id, at, kind, field, old, new, cause FROM history",
    "DROP TABLE history",
    "ALTER TABLE history_v2 RENAME TO history",
    # Every index entry ends with the rowid (`id`), so history's come out in id order
    # by record_id alone; (record_id, id) held the id twice.
    "CREATE INDEX history_by_record ON history(record_id)",
    """CREATE TABLE outbox_v2 (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status = 'pending' OR status = 'sent' OR status = 'dead'),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        first_attempt_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        response TEXT NOT NULL DEFAULT 'null'
    )""",
    "INSERT INTO outbox_v2 SELECT id, kind, payload, key, status, attempts, next_attempt_at,"
    " first_attempt_at, last_error, created_at, sent_at, response FROM outbox",
    "DROP TABLE outbox",
    "ALTER TABLE outbox_v2 RENAME TO outbox",
    "CREATE INDEX outbox_due ON outbox(status, next_attempt_at, id)",
    "CREATE INDEX outbox_by_status ON outbox(status, id)",
)

# Migration 4: a contact's email is its identity (events and imports find
# contacts by it), so no two contacts may share one; the engine checks before
# it writes, and this index makes the store refuse what slips past. Partial,
# on contacts only: other objects may declare an `email` property with no such
# rule. Lookups keep using records_by_email, which serves every type.
# A database that already holds duplicates cannot take the index: `migrate`
# says which contacts share an email, and changes nothing.
UNIQUE_CONTACT_EMAILS = (
    "CREATE UNIQUE INDEX contact_emails ON records(email) WHERE type = 'contact' AND email IS NOT NULL",
)

MIGRATIONS: list[tuple[str, ...]] = [SCHEMA_V1, SCHEMA_V2, FASTER_WRITES, UNIQUE_CONTACT_EMAILS]

_SHARED_EMAILS = (
    "SELECT email, group_concat(id, ', ') FROM records WHERE type = 'contact' AND email IS NOT NULL"
    " GROUP BY email HAVING count(*) > 1 ORDER BY min(id) LIMIT 11"
)


def schema_version(conn: sqlite3.Connection) -> int:
    """The last migration applied to `conn`'s database; 0 for a new database."""
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return json.loads(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to the latest schema; return the resulting version.

    The version is read again under the write lock, so two processes opening
    a new database at once do not both try to create it.
    """
    latest = len(MIGRATIONS)
    if schema_version(conn) == latest:
        return latest
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)
        if version > latest:
            raise LeadflowError(f"the database has schema version {version}, newer than this Leadflow knows ({latest})")
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            if statements is UNIQUE_CONTACT_EMAILS:
                refuse_shared_emails(conn)
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (json.dumps(number),),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return latest


def refuse_shared_emails(conn: sqlite3.Connection) -> None:
    """Before the unique index on contacts' emails: say which contacts share one, if any."""
    shared = conn.execute(_SHARED_EMAILS).fetchall()
    if not shared:
        return
    listed = "; ".join(f"{email} (contacts {ids})" for email, ids in shared[:10])
    more = " and more" if len(shared) > 10 else ""
    raise LeadflowError(
        "cannot upgrade this database: each contact must have its own email, and some share one: "
        f"{listed}{more}. Nothing was changed. Clear the email of all but one contact of each "
        "(with sqlite3: UPDATE records SET email = NULL, props = json_remove(props, '$.email') WHERE id = N;) "
        "or give them emails of their own, then open the database again."
    )
