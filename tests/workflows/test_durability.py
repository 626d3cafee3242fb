"""Killed at any point and restarted, every run resumes: no step lost, none done
twice, no email sent twice (issue #3, item 4).

The real thing: `leadflow run` in a child process, stopped with SIGKILL at
several moments while it works through events, waits, a split and email
delivery; then the same command again, to completion. The database and the
email folder must end exactly as after one uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = """
object contact { score: number = 0 }
event signed_up { plan: text }
list engaged
list quiet
email welcome { subject: "Welcome", body: "Hi {email}" }
email nudge { subject: "Still there?", body: "Hello again" }

rule "score" when signed_up then increment score by 1

workflow onboarding {
  enroll when signed_up
  send email welcome
  wait 1 day
  split random {
    50% { add to engaged  send email nudge }
    50% { add to quiet }
  }
  wait 2 days
  increment score by 10
  send email nudge
}
"""
CONTACTS = 600


def events() -> str:
    lines = []
    for i in range(CONTACTS):
        hour, minute = divmod(i, 60)
        lines.append(
            json.dumps(
                {
                    "event": "signed_up",
                    "contact": f"c{i}@example.com",
                    "at": f"2026-11-23T{hour % 24:02d}:{minute:02d}:00Z",
                    "data": {"plan": "pro"},
                    "id": f"e{i}",
                }
            )
        )
    return "\n".join(lines) + "\n"


def command(folder: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "leadflow",
        "run",
        str(folder / "s.flow"),
        "--db",
        str(folder / "crm.db"),
        "--events",
        str(folder / "events.jsonl"),
        "--until",
        "2026-12-15T00:00",
        "--email",
        str(folder / "mail"),
        "--timezone",
        "UTC",
    ]


def prepare(folder: Path) -> Path:
    folder.mkdir()
    (folder / "s.flow").write_text(SCRIPT)
    (folder / "events.jsonl").write_text(events())
    return folder


def env() -> dict:
    # the same seed for the split in every process, as a deployment would configure it
    return {**os.environ, "LEADFLOW_SEED": "5", "NO_COLOR": "1"}


def finish(folder: Path) -> None:
    done = subprocess.run(command(folder), capture_output=True, text=True, timeout=300, env=env())
    assert done.returncode == 0, done.stderr


def state(folder: Path) -> dict:
    db = sqlite3.connect(folder / "crm.db")
    query = lambda sql: sorted(db.execute(sql).fetchall(), key=repr)  # noqa: E731
    result = {
        "records": query("SELECT id, props FROM records"),
        "lists": query("SELECT list_name, record_id FROM list_members"),
        "history": query("SELECT record_id, kind, field, old, new FROM history"),
        "runs": query("SELECT id, record_id, status, position, vars FROM runs"),
        "run_log": query("SELECT run_id, step, kind, detail FROM run_log"),
        "outbox": query("SELECT key, status FROM outbox"),
        "events": query("SELECT key FROM events"),
        "mail": sorted(p.name for p in (folder / "mail").glob("*.eml")),
    }
    db.close()
    return result


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    folder = prepare(tmp_path_factory.mktemp("clean") / "run")
    finish(folder)
    return state(folder)


def test_a_clean_run_does_what_the_script_says(clean):
    assert len(clean["runs"]) == CONTACTS
    assert {status for _, _, status, _, _ in clean["runs"]} == {"completed"}
    assert (
        len(clean["mail"])
        == len(clean["outbox"])
        == 2 * CONTACTS + len([m for m in clean["lists"] if m[0] == "engaged"])
    )
    assert 0.4 < len([m for m in clean["lists"] if m[0] == "engaged"]) / CONTACTS < 0.6


@pytest.mark.parametrize("delay", [0.7, 1.4, 2.5])
def test_kill_9_and_restart_gives_the_same_end_state(tmp_path, clean, delay):
    folder = prepare(tmp_path / "killed")
    child = subprocess.Popen(command(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
    time.sleep(delay)
    was_running = child.poll() is None
    child.send_signal(signal.SIGKILL)
    child.wait()
    finish(folder)
    assert state(folder) == clean
    if not was_running:
        pytest.skip(f"the run finished within {delay} s on this machine; the kill landed after it")
