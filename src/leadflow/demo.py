"""The bundled demo: the lifecycle rules, then the nurturing workflow, over
sample contacts and events.

`leadflow demo` (and `make demo`) runs them on the embedded defaults: SQLite
files, a simulated clock driven by the events' timestamps (and, for the
workflow, on through its waits), and outbox folders of .eml files. It prints
what happened.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leadflow.clock import SimulatedClock
from leadflow.errors import LeadflowError, ScriptError

START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def demo_file(name: str, example: str = "lifecycle") -> str:
    return resources.files("leadflow.examples").joinpath(example, name).read_text("utf-8")


def run_demo(directory: Path, console: Console) -> int:
    from leadflow import Engine

    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "leadflow.db"
    for stale in directory.glob("leadflow.db*"):
        stale.unlink()
    outbox = directory / "outbox"
    script = demo_file("lifecycle.flow")
    notifications: list[str] = []
    try:
        engine = Engine.from_source(
            script,
            "lifecycle.flow",
            store=str(db),
            clock=SimulatedClock(START),
            email=str(outbox),
            notify=lambda channel, message, payload: notifications.append(f"#{channel}: {message}"),
        )
    except ScriptError as error:
        console.print(error.render({"lifecycle.flow": script}), markup=False)
        return 1

    console.rule("[bold]Leadflow demo: lifecycle rules")
    console.print(f"script: lifecycle.flow ({len(engine.rules.all)} rules), store: {db}, clock: simulated\n")

    rows = list(csv.DictReader(demo_file("contacts.csv").splitlines()))
    results = engine.import_rows(rows, source="contacts.csv")
    imported = sum(1 for r in results if not isinstance(r, LeadflowError))
    console.print(f"[bold]import[/] {imported} contacts from contacts.csv\n")

    console.print("[bold]events[/]")
    for number, line in enumerate(demo_file("events.jsonl").splitlines(), 1):
        item = json.loads(line)
        who = item.get("contact")
        try:
            result = engine.emit_record(item)
        except LeadflowError as error:
            console.print(f"  line {number:2}: [red]rejected[/] {item.get('event')} for {who}: {error}")
            continue
        fired = ", ".join(result.fired) or "no rule"
        console.print(f"  line {number:2}: {item['at'][:16]} {item['event']} for {who} -> {fired}")

    report = engine.deliver()
    console.print(
        f"\n[bold]outbox[/] {report.sent} delivered, {report.retried} to retry, {report.dead} dead; "
        f"emails written to {outbox}/"
    )
    for note in notifications:
        console.print(f"  notification {note}")

    table = Table(title="\ncontacts after the run")
    for column in ("email", "lifecycle", "persona", "score", "lists"):
        table.add_column(column)
    for record in engine.store.records("contact"):
        view = engine.record(record.id)
        p = view.properties
        table.add_row(
            p.get("email", ""),
            p.get("lifecycle", ""),
            p.get("persona") or "",
            str(p.get("score")),
            ", ".join(view.lists),
        )
    console.print(table)

    ada = engine.record("ada@example.com")
    console.print("\n[bold]history of ada@example.com[/]")
    for h in ada.history:
        if h.kind == "set":
            console.print(f"  {h.at:%Y-%m-%d %H:%M} {h.field}: {h.old} -> {h.new}  [dim]({h.cause})[/]")
        elif h.kind != "created":
            console.print(f"  {h.at:%Y-%m-%d %H:%M} {h.kind.replace('list_', '')} {h.field}  [dim]({h.cause})[/]")
    command = leadflow_command()
    console.print(f"\nTry: {command} history --db {db} grace@example.com   |   {command} outbox --db {db}")
    return run_workflow_demo(directory, console)


def leadflow_command() -> str:
    """How to run `leadflow` from the user's shell: `make demo` runs `.venv/bin/leadflow`,
    which a fresh shell does not have on its PATH."""
    running = Path(sys.argv[0])
    on_path = shutil.which("leadflow")
    if running.name == "leadflow" and (on_path is None or Path(on_path).resolve() != running.resolve()):
        return os.path.relpath(running)
    return "leadflow"


def run_workflow_demo(directory: Path, console: Console) -> int:
    """The nurturing workflow: enrollment by events, then five weeks of waits in a second."""
    from leadflow import Engine

    db = directory / "nurturing.db"
    for stale in directory.glob("nurturing.db*"):
        stale.unlink()
    script = demo_file("nurturing.flow", "nurturing")
    engine = Engine.from_source(
        script,
        "nurturing.flow",
        store=str(db),
        clock=SimulatedClock(START),
        email=str(directory / "nurturing-outbox"),
        notify=lambda *args: None,
    )
    console.rule("[bold]Leadflow demo: the nurturing workflow")
    engine.import_rows(list(csv.DictReader(demo_file("contacts.csv", "nurturing").splitlines())))
    events = [json.loads(line) for line in demo_file("events.jsonl", "nurturing").splitlines()]
    engine.emit_many(events)
    end = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
    engine.advance(end)
    report = engine.deliver()
    console.print(
        f"{len(events)} events, then the clock driven to {end:%Y-%m-%d} through every wait; "
        f"{report.sent} emails and notifications delivered\n"
    )
    sent: dict[str, list[str]] = {}
    for effect in engine.store.effects():
        if effect.kind == "email":
            sent.setdefault(effect.payload["to"], []).append(effect.payload["template"])
    table = Table(title="where each contact ended")
    for column in ("email", "run", "lists", "emails sent"):
        table.add_column(column)
    for record in engine.store.records("contact"):
        view = engine.record(record.id)
        email = view.properties.get("email", "")
        status = ", ".join(run.status for run, _ in view.runs) or "never enrolled"
        table.add_row(email, status, ", ".join(view.lists), ", ".join(sent.get(email, [])))
    console.print(table)
    stats = engine.stats("nurturing")
    console.print(
        f"\n[bold]stats[/] enrolled {stats['enrolled']}, completed {stats['completed']}, "
        f"goal {stats['goal']} ({stats['goal_rate']:.0%}), unenrolled {stats['unenrolled']}"
    )
    command = leadflow_command()
    console.print(f"Try: {command} history --db {db} ada@example.com   |   {command} stats --db {db}")
    return 0
