"""A `--db` that is not a Leadflow database: the commands say so and exit 2, and
leave the file as it was (opening a store would turn on WAL mode and try to
create its tables: "table records already exists"). A read command never
creates a file that is not there."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from cli_support import LIFECYCLE, leadflow, leadflow_process

SCRIPT = LIFECYCLE / "lifecycle.flow"

READS = [
    ("export",),
    ("history", "ada@example.com"),
    ("outbox",),
    ("runs",),
    ("stats", "nurture"),
    ("replay", "--all-dead"),
    ("deliver",),
    ("explain", SCRIPT, "ada@example.com"),
]
WRITES = [
    ("run", SCRIPT, "--events", LIFECYCLE / "events.jsonl"),
    ("import", SCRIPT, LIFECYCLE / "contacts.csv"),
    ("repl", SCRIPT),
]


def foreign_sqlite(tmp_path):
    """Another program's database, with a table named as one of Leadflow's."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE records (name TEXT)")
        conn.execute("INSERT INTO records VALUES ('theirs')")
    conn.close()
    return path


def not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n", "utf-8")
    return path


def snapshot(directory) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("make", [foreign_sqlite, not_sqlite])
@pytest.mark.parametrize("command", READS + WRITES, ids=lambda c: c[0])
def test_a_file_that_is_not_a_leadflow_database_is_refused_and_left_alone(tmp_path, make, command):
    folder = tmp_path / "data"
    folder.mkdir()
    path = make(folder)
    before = snapshot(folder)
    result = leadflow(*command, "--db", path)
    assert result.code == 2, result.text
    assert f"{path} is not a Leadflow database" in result.stderr
    assert "already exists" not in result.text
    assert snapshot(folder) == before  # not a byte changed, and no -wal or -shm file beside it


@pytest.mark.parametrize("command", READS, ids=lambda c: c[0])
def test_a_read_command_does_not_create_a_missing_database(tmp_path, command):
    path = tmp_path / "missing.db"
    result = leadflow(*command, "--db", path)
    assert result.code == 2, result.text
    assert f"no database at {path}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_new_or_empty_file_is_where_run_creates_its_database(tmp_path):
    """A command that writes still creates a database: in a new file, an empty one, or
    an SQLite file with no tables yet; and the read commands then read it."""
    empty, blank = tmp_path / "empty.db", tmp_path / "blank.db"
    empty.touch()
    sqlite3.connect(blank).close()  # an SQLite file of no tables, as `sqlite3 blank.db` leaves
    for path in (tmp_path / "new.db", empty, blank):
        imported = leadflow("import", SCRIPT, LIFECYCLE / "contacts.csv", "--db", path)
        assert imported.code == 0, imported.text
        assert len(leadflow("export", "--db", path).json_lines()) == 5


def test_the_shell_sees_one_line_and_exit_2(tmp_path):
    path = foreign_sqlite(tmp_path)
    result = leadflow_process("export", "--db", path)
    assert result.code == 2
    assert (
        result.stderr.strip() == f"error: {path} is not a Leadflow database (an SQLite file without Leadflow's tables)"
    )


HUGE = "99999999999999999999999"  # past SQLite's integers: the sqlite3 module cannot even ask for it


def test_an_id_no_row_can_have_is_no_record_not_a_traceback(tmp_path):
    db = tmp_path / "crm.db"
    assert leadflow("import", SCRIPT, LIFECYCLE / "contacts.csv", "--db", db).code == 0
    for command in (("history", HUGE), ("explain", SCRIPT, HUGE)):
        result = leadflow(*command, "--db", db)
        assert result.code == 3, result.text
        assert f"no contact {HUGE}" in result.stderr
    for command in (("replay", HUGE), ("retry", SCRIPT, "--run", HUGE)):
        result = leadflow(*command, "--db", db)
        assert result.code == 2, result.text
        assert "is not in the range" in result.stderr
    assert "contact 1 (" in leadflow("history", "1", "--db", db).stdout  # an id in range still names its record
