"""The workflow half of `SqliteStore`: durable runs, their log and schedules.

A step's run update, its log rows and its outbox effects commit together
with its record changes or not at all, which is what makes a restart resume
every run exactly where it was. Outside a batch they are written at once;
inside one, `save_run` and `log_run` are buffered in the unit's level like
the record updates (batch.py), and the batch writes them with executemany
when it ends: a step that only updates its run and logs runs no SQL. A
log row's run must exist; the batch checks that when it buffers the row,
from the runs it has read or created, so no flush can fail for it.
`due_runs` reads the partial index `runs_due`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Any

from leadflow.errors import InputError
from leadflow.store.base import RUN_STATUSES, Run, RunLogEntry
from leadflow.store.batch import LOG_RUN, RUN_LOG_ROWS, RUN_ROWS, SAVE_RUN, Batch
from leadflow.store.codec import dump_value, load_value, parse_utc, storable, storable_name, utc_text

_RUN_COLUMNS = (
    "id, workflow, record_id, status, position, vars, wait, due, waiting_event, enrolled_at, updated_at, error"
)
# What a tick runs, whatever the number of waiting runs: both read the partial index runs_due.
DUE_RUNS = f"SELECT {_RUN_COLUMNS} FROM runs WHERE due IS NOT NULL AND due <= ? ORDER BY due, id LIMIT ?"
NEXT_DUE = "SELECT min(due) FROM runs WHERE due IS NOT NULL"


class SqliteRuns:
    """Mixed into `SqliteStore`, which provides the connection, `_writing` and `_reading`."""

    _conn: sqlite3.Connection
    _writing: Callable[[], None]
    _reading: Callable[..., None]
    _batch: Batch | None

    def create_run(self, workflow: str, record_id: int, position: str, at: dt.datetime, vars: dict[str, Any]) -> Run:
        stamp = utc_text(at)
        self._writing()
        cursor = self._conn.execute(
            "INSERT INTO runs(workflow, record_id, status, position, vars, due, enrolled_at, updated_at)"
            " VALUES (?, ?, 'active', ?, ?, ?, ?, ?)",
            (workflow, record_id, position, dump_value(vars), stamp, stamp, stamp),
        )
        run_id = cursor.lastrowid
        assert run_id is not None  # set by the INSERT
        if self._batch is not None:
            self._batch.runs_exist([run_id])
        return Run(run_id, workflow, record_id, "active", position, dict(vars), None, at, None, at, at, None)

    def get_run(self, id: int) -> Run | None:
        self._reading(RUN_ROWS)
        row = self._conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (id,)).fetchone()
        return self._runs([row])[0] if row else None

    def save_run(self, run: Run) -> None:
        row = (
            run.status,
            run.position,
            dump_value(run.vars),
            "null" if run.wait is None else dump_value(run.wait),
            utc_text(run.due) if run.due else None,
            run.waiting_event,
            utc_text(run.updated_at),
            run.error,
            run.id,
        )
        if self._batch is None:
            self._conn.execute(SAVE_RUN, row)
            return
        # checked as SQL would check it, since the batch binds the row later (batch.py)
        if run.status not in RUN_STATUSES:
            raise InputError(f"a run's status is one of {', '.join(RUN_STATUSES)}, not {run.status!r}")
        for text in row[1:8]:
            if text is not None:
                storable_name(text)
        self._batch.save_run(run.id, row)

    def _runs(self, rows) -> list[Run]:
        """Runs from rows; a batch notes that they exist."""
        runs = [_run(row) for row in rows]
        if self._batch is not None:
            self._batch.runs_exist([run.id for run in runs])
        return runs

    def runs(self, record_id: int | None = None, workflow: str | None = None, status: str | None = None) -> list[Run]:
        self._reading(RUN_ROWS)
        clauses, params = [], []
        for column, value in (("record_id", record_id), ("workflow", workflow), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs{where} ORDER BY id", params)
        return self._runs(rows)

    def due_runs(self, now: dt.datetime, limit: int = 500) -> list[Run]:
        self._reading(RUN_ROWS)
        rows = self._conn.execute(DUE_RUNS, (utc_text(now), limit))
        return self._runs(rows)

    def next_due(self) -> dt.datetime | None:
        self._reading(RUN_ROWS)
        row = self._conn.execute(NEXT_DUE).fetchone()
        return parse_utc(row[0]) if row and row[0] else None

    def wake_run(self, run_id: int, at: dt.datetime) -> None:
        """Make a run that waits for nothing timed (a webhook's answer) due at `at`."""
        self._writing()
        self._conn.execute(
            "UPDATE runs SET due = ? WHERE id = ? AND status = 'active' AND due IS NULL", (utc_text(at), run_id)
        )

    def runs_waiting_for(self, record_id: int, event: str) -> list[Run]:
        self._reading(RUN_ROWS)
        rows = self._conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE record_id = ? AND waiting_event = ? ORDER BY id",
            (record_id, event),
        )
        return self._runs(rows)

    def log_run(self, run_id: int, at: dt.datetime, step: str | None, kind: str, detail: dict[str, Any]) -> None:
        row = (run_id, utc_text(at), step, kind, dump_value(detail))
        if self._batch is None:
            self._conn.execute(LOG_RUN, row)
            return
        if step is not None:
            storable_name(step)
        storable_name(kind)
        storable(row[4])
        self._batch.log_run(run_id, row)

    def run_log(self, run_id: int) -> list[RunLogEntry]:
        self._reading(RUN_LOG_ROWS)
        rows = self._conn.execute(
            "SELECT id, run_id, at, step, kind, detail FROM run_log WHERE run_id = ? ORDER BY id", (run_id,)
        )
        return [RunLogEntry(r[0], r[1], parse_utc(r[2]), r[3], r[4], load_value(r[5])) for r in rows]

    def workflow_names(self) -> list[str]:
        self._reading(RUN_ROWS)
        return [name for (name,) in self._conn.execute("SELECT DISTINCT workflow FROM runs ORDER BY workflow")]

    def run_counts(self, workflow: str) -> dict[str, int]:
        self._reading(RUN_ROWS)
        rows = self._conn.execute("SELECT status, count(*) FROM runs WHERE workflow = ? GROUP BY status", (workflow,))
        return dict(rows.fetchall())

    def run_errors(self, workflow: str) -> dict[str, int]:
        self._reading(RUN_ROWS + RUN_LOG_ROWS)
        rows = self._conn.execute(
            "SELECT l.step, count(*) FROM run_log l JOIN runs r ON r.id = l.run_id"
            " WHERE r.workflow = ? AND l.kind = 'error' GROUP BY l.step ORDER BY l.step",
            (workflow,),
        )
        return dict(rows.fetchall())

    def schedule_fired(self, key: str) -> dt.datetime | None:
        self._reading()
        row = self._conn.execute("SELECT last_fired FROM schedules WHERE key = ?", (key,)).fetchone()
        return parse_utc(row[0]) if row else None

    def set_schedule_fired(self, key: str, at: dt.datetime) -> None:
        self._writing()
        self._conn.execute(
            "INSERT INTO schedules(key, last_fired) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET last_fired = excluded.last_fired",
            (key, utc_text(at)),
        )


def _run(row) -> Run:
    return Run(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        load_value(row[5]),
        None if row[6] == "null" else load_value(row[6]),
        parse_utc(row[7]) if row[7] else None,
        row[8],
        parse_utc(row[9]),
        parse_utc(row[10]),
        row[11],
    )
