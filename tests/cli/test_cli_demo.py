"""`leadflow demo`: the bundled lifecycle example, end to end.

The demo runs on a simulated clock and deletes its own database first, so two
runs print the same thing.
"""

from __future__ import annotations

import re

from cli_support import leadflow, leadflow_process


def contacts_table(stdout: str) -> dict[str, list[str]]:
    """Rows of the "contacts after the run" table, by email."""
    table = stdout[stdout.index("contacts after the run") : stdout.index("the nurturing workflow")]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if cells and "@" in cells[0]:
            rows[cells[0]] = cells[1:]
    return rows


def test_demo(tmp_path):
    result = leadflow("demo", "--dir", tmp_path / "demo")
    assert result.code == 0, result.stderr
    rows = contacts_table(result.stdout)
    assert {"ada@example.com", "grace@example.com", "barbara@example.com"} <= rows.keys()
    assert rows["grace@example.com"][0] == "sql" and rows["grace@example.com"][-1] == "engaged"
    assert rows["barbara@example.com"][0] == "sql"
    assert rows["ada@example.com"][0] == "mql"
    assert "notification #sales: New SQL: Grace" in result.stdout
    assert "notification #sales: New SQL: Barbara" in result.stdout
    assert "history of ada@example.com" in result.stdout

    emails = list((tmp_path / "demo" / "outbox").glob("*.eml"))
    assert len(emails) == 6
    assert any("To: ada@example.com" in p.read_text("utf-8") for p in emails)
    assert (tmp_path / "demo" / "leadflow.db").exists()

    history = leadflow("history", "grace@example.com", "--db", tmp_path / "demo" / "leadflow.db", "--format", "json")
    assert history.code == 0
    assert any(e["field"] == "lifecycle" and e["new"] == "sql" for e in history.json_lines())


def test_demo_plays_the_nurturing_workflow_through_its_waits(tmp_path):
    result = leadflow("demo", "--dir", tmp_path / "demo")
    part = result.stdout[result.stdout.index("the nurturing workflow") :]
    assert "clock driven to 2026-12-31 through every wait" in part
    assert "stats enrolled 6, completed 4, goal 1 (17%), unenrolled 1" in part
    assert (tmp_path / "demo" / "nurturing.db").exists()
    assert len(list((tmp_path / "demo" / "nurturing-outbox").glob("*.eml"))) == 13


def test_demo_twice_starts_fresh(tmp_path):
    first = leadflow("demo", "--dir", tmp_path)
    second = leadflow("demo", "--dir", tmp_path)
    assert (first.code, second.code) == (0, 0)
    assert second.stdout == first.stdout
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 6


def test_demo_dir_that_is_a_file_is_a_usage_error(tmp_path):
    path = tmp_path / "taken"
    path.write_text("", "utf-8")
    assert leadflow("demo", "--dir", path).code == 2


def test_demo_as_a_process(tmp_path):
    result = leadflow_process("demo", "--dir", "out", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "New SQL" in result.stdout
    assert list((tmp_path / "out" / "outbox").glob("*.eml"))


def test_the_demos_hints_run_from_a_fresh_shell(tmp_path):
    """`make demo` runs `.venv/bin/leadflow`, and a fresh shell has no `leadflow` on its
    PATH: the "Try:" lines name the command as the user can type it from where they are."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    executable = Path(sys.executable).parent / "leadflow"
    shell = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [os.path.relpath(executable, tmp_path), "demo", "--dir", "out"],
        cwd=tmp_path,
        env=shell,
        capture_output=True,
        text=True,
        check=True,
    )
    hints = [line for line in done.stdout.splitlines() if line.startswith("Try: ")]
    assert len(hints) == 2
    for hint in hints:
        command = hint.removeprefix("Try: ").split("   |   ")[0]
        # through a shell on purpose: the hint is a line the user types into one
        ran = subprocess.run(command, shell=True, cwd=tmp_path, env=shell, capture_output=True, text=True)  # noqa: S602
        assert ran.returncode == 0, (command, ran.stderr)
