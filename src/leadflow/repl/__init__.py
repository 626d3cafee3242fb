"""The Leadflow REPL (`leadflow repl`): session.py is the logic, app.py the terminal."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import leadflow.examples
from leadflow.repl.session import ReplSession

PLAYGROUND = Path(leadflow.examples.__file__).parent / "lifecycle"


def open_session(scripts, db: str | None, **options) -> ReplSession:
    """A session on the scripts and database given. With no script, the bundled
    lifecycle example; with no database as well, its contacts in a fresh
    in-memory store, so there is something to try at once."""
    session = ReplSession(scripts or [_shortest(PLAYGROUND / "lifecycle.flow")], db or ":memory:", **options)
    if not scripts and db is None:
        with open(PLAYGROUND / "contacts.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        session.engine.import_rows(rows, source="example contacts")
        session.startup += f"\nimported the example's {len(rows)} contacts into an in-memory store"
    return session


def _shortest(path: Path) -> Path:
    """The path relative to the working directory when it is below it (messages quote it)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def main(scripts, db: str | None, **options) -> None:
    from leadflow.repl.app import history_file, run_lines, run_prompt

    session = open_session(scripts, db, **options)
    try:
        if sys.stdin.isatty() and sys.stdout.isatty():
            run_prompt(session, history=history_file())
        else:
            run_lines(session, sys.stdin)
    finally:
        session.store.close()  # the session opened it from --db (or in memory)
