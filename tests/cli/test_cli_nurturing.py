"""The nurturing workflow example through the command line: `import`, `run
--until`, then `stats`, `runs` and `history`'s workflow table.

`leadflow run` starts its simulated clock at the wall clock, so the example's
November 2026 events play out as written only before their dates; the CLI has
no option to start the clock elsewhere. The tests start it where the example
tests do (2026-11-23 08:00 UTC) through `_engine`'s clock parameter.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cli_support import EXAMPLES, leadflow

from leadflow import SimulatedClock
from leadflow import cli as cli_module

NURTURING = EXAMPLES / "nurturing"
SCRIPT = NURTURING / "nurturing.flow"
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path, monkeypatch):
    engine = cli_module._engine
    monkeypatch.setattr(
        cli_module, "_engine", lambda *args, **options: engine(*args, clock=SimulatedClock(START), **options)
    )
    monkeypatch.setenv("COLUMNS", "250")  # wide enough for history's tables not to wrap
    path = tmp_path / "crm.db"
    result = leadflow("import", SCRIPT, NURTURING / "contacts.csv", "--db", path)
    assert result.code == 0 and "6 row(s) imported" in result.stdout, result.stderr
    result = leadflow(
        "run",
        SCRIPT,
        "--db",
        path,
        "--events",
        NURTURING / "events.jsonl",
        "--until",
        "2026-12-31T00:00",
        "--email",
        tmp_path / "outbox",
    )
    assert result.code == 0, result.stderr
    assert result.lines() == [
        "12 event(s) applied, 0 already seen, 0 rejected",
        "workflows: runs advanced 24 time(s); clock at 2026-12-31T00:00:00+00:00",
        "outbox: 14 sent, 0 to retry, 0 dead",  # 13 emails and the notification to sales
    ]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 13
    return path


def test_stats(db):
    result = leadflow("stats", "--db", db, "--format", "json")
    assert result.code == 0
    assert result.json_lines() == [
        {
            "workflow": "nurturing",
            "enrolled": 6,
            "active": 0,
            "completed": 4,
            "goal": 1,
            "unenrolled": 1,
            "in_error": 0,
            "goal_rate": 1 / 6,
            "errors_by_step": {},
        }
    ]
    table = leadflow("stats", "nurturing", "--db", db).stdout
    assert "nurturing" in table and "17%" in table


def test_runs(db):
    result = leadflow("runs", "--db", db, "--format", "json")
    assert sorted(r["status"] for r in result.json_lines()) == [
        "completed",
        "completed",
        "completed",
        "completed",
        "goal",
        "unenrolled",
    ]
    assert [
        r["record_id"] for r in leadflow("runs", "--db", db, "--status", "goal", "--format", "json").json_lines()
    ] == [3]


def test_history_shows_the_run_and_the_branch_taken(db):
    result = leadflow("history", "ada@example.com", "--db", db)
    assert result.code == 0
    rows = [line for line in result.lines() if "│ nurturing │" in line]
    whats = [row.split("│")[4].strip() for row in rows if row.split("│")[1].strip()]
    assert whats == [
        "enrolled",
        "step",
        "waiting",
        "waiting",
        "step",
        "waiting",
        "branch",
        "waiting",
        "step",
        "step",
        "completed",
    ]
    branch = next(row for row in rows if "│ branch" in row)
    assert "2026-12-05T08:00:00+00:00" in branch and '{"to": "5/if1/1"}' in branch
    assert "added to engaged" in result.stdout and "workflow nurturing" in result.stdout


def test_running_again_changes_nothing(db, tmp_path):
    before = leadflow("export", "--db", db).stdout
    again = leadflow(
        "run",
        SCRIPT,
        "--db",
        db,
        "--events",
        NURTURING / "events.jsonl",
        "--until",
        "2026-12-31T00:00",
        "--email",
        tmp_path / "outbox",
    )
    assert again.code == 0 and "0 event(s) applied, 12 already seen" in again.stdout
    assert "outbox: 0 sent" in again.stdout
    assert leadflow("export", "--db", db).stdout == before


def test_history_json_includes_the_workflow_log_and_retry_refuses_a_run_not_in_error(db):
    result = leadflow("history", "--db", db, "--format", "json", "ada@example.com")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    workflow_rows = [r for r in rows if r["kind"] == "workflow"]
    assert workflow_rows and workflow_rows[0]["what"] == "enrolled" and workflow_rows[0]["workflow"] == "nurturing"
    refused = leadflow("retry", SCRIPT, "--db", db, "--run", "1")
    assert refused.code == 3 and "is not in error" in refused.stderr
