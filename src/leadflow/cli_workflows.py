"""The workflow commands of the CLI: `stats`, `runs` and `retry`."""

from __future__ import annotations

import json
import sys

import click

from leadflow.cli import ROW_ID, EXIT_REJECTED, _engine, _secrets, _store, drive, err, main, out, with_engine_options
from leadflow.values import plain


@main.command()
@click.argument("workflows", nargs=-1)
@click.option("--db", default="leadflow.db", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats(workflows, db, fmt) -> None:
    """Per-workflow figures: enrolled, active, completed, goal conversion, errors by step."""
    from rich.table import Table

    from leadflow.workflows.stats import workflow_stats

    store = _store(db)
    figures = [workflow_stats(store, name) for name in workflows or store.workflow_names()]
    if fmt == "json":
        for row in figures:
            click.echo(json.dumps(row, sort_keys=True))
        return
    table = Table(title="workflows")
    for column in (
        "workflow",
        "enrolled",
        "active",
        "completed",
        "goal",
        "goal rate",
        "unenrolled",
        "in error",
        "errors by step",
    ):
        table.add_column(column)
    for row in figures:
        errors = ", ".join(f"{step}: {n}" for step, n in row["errors_by_step"].items())
        table.add_row(
            row["workflow"],
            *(str(row[k]) for k in ("enrolled", "active", "completed", "goal")),
            f"{row['goal_rate']:.0%}",
            str(row["unenrolled"]),
            str(row["in_error"]),
            errors,
        )
    out.print(table)


@main.command()
@click.option("--db", default="leadflow.db", show_default=True)
@click.option("--workflow", default=None)
@click.option(
    "--status", type=click.Choice(["active", "completed", "stopped", "goal", "unenrolled", "error"]), default=None
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def runs(db, workflow, status, fmt) -> None:
    """List workflow runs: where each record is, what it waits for, and errors."""
    from rich.table import Table

    store = _store(db)
    found = store.runs(workflow=workflow, status=status)
    if fmt == "json":
        for run in found:
            click.echo(
                json.dumps(
                    {
                        "id": run.id,
                        "workflow": run.workflow,
                        "record_id": run.record_id,
                        "status": run.status,
                        "position": run.position,
                        "due": run.due.isoformat() if run.due else None,
                        "waiting_event": run.waiting_event,
                        "error": run.error,
                        "vars": plain(run.vars),
                    },
                    sort_keys=True,
                )
            )
        return
    table = Table(title="runs")
    for column in ("id", "workflow", "record", "status", "next step", "due", "waiting for", "error"):
        table.add_column(column)
    for run in found:
        waiting = run.waiting_event or ("webhook answer" if run.wait and "webhook" in run.wait else "")
        table.add_row(
            str(run.id),
            run.workflow,
            str(run.record_id),
            run.status,
            run.position or "",
            run.due.isoformat(timespec="seconds") if run.due else "",
            waiting,
            run.error or "",
        )
    out.print(table)


@main.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--run", "run_ids", multiple=True, type=ROW_ID, required=True, help="The id of a run in error (repeatable)."
)
@click.option("--deliver/--no-deliver", default=True, show_default=True)
@with_engine_options
def retry(scripts, run_ids, deliver, db, timezone, email, secrets, allow_private_webhooks) -> None:
    """Resume runs parked in error from the step that failed."""
    engine = _engine(
        scripts,
        db,
        timezone=timezone,
        email=email,
        secrets=_secrets(secrets),
        allow_private_webhooks=allow_private_webhooks,
    )
    for run_id in run_ids:
        run = engine.store.get_run(run_id)
        if run is None or run.status != "error":
            err.print(f"run {run_id} is not in error" if run else f"no run {run_id}", markup=False)
            sys.exit(EXIT_REJECTED)
    for run_id in run_ids:
        engine.retry_run(run_id)
    drive(engine, None, deliver)
    failed = 0
    for run_id in run_ids:
        run = engine.store.get_run(run_id)
        out.print(f"run {run_id}: {run.status}" + (f" ({run.error})" if run.error else ""), markup=False)
        failed += run.status == "error"
    if failed:
        err.print(f"{failed} run(s) failed again", markup=False)
        sys.exit(EXIT_REJECTED)
