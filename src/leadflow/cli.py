"""The `leadflow` command line.

Exit codes (also in the README):
  0  success
  1  the script has errors (diagnostics printed)
  2  usage error: bad option, missing file
  3  some input was rejected (event lines, CSV rows); the rest was applied
  4  a runtime or host failure stopped the command
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import sys
from collections import deque
from functools import partial
from pathlib import Path
from typing import Any

import click

from leadflow.cli_hosts import bind_hosts, check_hosts, with_host_options
from leadflow.diagnostics import render_all, to_json
from leadflow.errors import HostError, InputError, LeadflowError, ScriptError
from leadflow.values import plain

# Each command imports what it needs (the engine, the store, rich, httpx) in its body:
# `leadflow check` and `fmt` on a small script should cost little more than starting
# Python (benchmarks/startup.py; tests/cli/test_cli_startup.py keeps it so).

EXIT_SCRIPT, EXIT_USAGE, EXIT_REJECTED, EXIT_RUNTIME = 1, 2, 3, 4
PROGRESS_THRESHOLD = 2000  # show a progress bar for inputs at least this long


class _Output:
    """Standard output or error: plain text goes straight out, and tables and progress
    bars through a rich Console made on first use (importing rich costs more than
    checking a small script)."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._console: Any = None  # a rich Console, once made

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self.stderr, highlight=False, soft_wrap=True)
        return self._console

    def print(self, *objects, markup: bool = True, **options) -> None:
        if not markup and not options and all(isinstance(o, str) for o in objects):
            click.echo(" ".join(objects), err=self.stderr)
        else:
            self.console.print(*objects, markup=markup, **options)


out = _Output()
err = _Output(stderr=True)


def _read_sources(paths) -> dict[str, str]:
    return {str(p): _read_text(p) for p in paths}


def _read_text(path, encoding: str = "utf-8", **options) -> str:
    try:
        with open(path, encoding=encoding, **options) as handle:
            return handle.read()
    except UnicodeDecodeError as error:
        raise click.UsageError(f"{path} is not UTF-8 text (byte {error.start})") from None


def _report_script_error(error: ScriptError, sources: dict[str, str]) -> None:
    err.print(render_all(error.diagnostics, sources), markup=False)
    count = sum(1 for d in error.diagnostics if d.severity == "error")
    err.print(f"\n{count} error{'s' if count != 1 else ''}", markup=False)


def _engine(scripts, db, *, clock=None, hosts=None, **options):
    """An engine for a command; without `clock`, on the database's clock (or the wall
    clock with `--clock wall`), moved first to `--start` if given; `hosts` (--hosts) bound."""
    from zoneinfo import ZoneInfo

    from leadflow import Engine

    ctx = click.get_current_context()
    kind, start = ctx.meta.get("leadflow.clock", "database"), ctx.meta.get("leadflow.start")
    if kind == "wall" and (start or ctx.params.get("until")):
        raise click.UsageError("--start and --until move the database's clock; --clock wall reads the wall clock")
    start = _until(start, ZoneInfo(options.get("timezone", "UTC")), "--start") if start else None
    sources = _read_sources(scripts)
    try:
        from leadflow.check.load import load_program

        checked = load_program(sources)
    except ScriptError as error:
        _report_script_error(error, sources)
        sys.exit(EXIT_SCRIPT)
    _check_database(db, must_exist=False)
    check_hosts(checked, hosts)  # before the engine opens (and perhaps creates) the database
    seed = os.environ.get("LEADFLOW_SEED")  # reproducible random splits and random_int(); --seed wins
    if seed is not None and options.get("seed") is None:
        if not seed.lstrip("-").isdigit():
            raise click.BadParameter(f"LEADFLOW_SEED must be a whole number, not {seed!r}")
        options["seed"] = int(seed)
    if clock is not None:
        engine = Engine(checked, store=db, clock=clock, **options)
        ctx.call_on_close(engine.close)  # the close checkpoints what the log holds
        bind_hosts(engine, hosts)
        return engine
    from leadflow.clock import DatabaseClock, SystemClock
    from leadflow.interpreter.engine import secret_values
    from leadflow.store import open_store

    options["secrets"] = secret_values(checked, options.get("secrets"))  # before the store is opened
    store = open_store(db)
    ctx.call_on_close(store.close)  # the close checkpoints what the log holds
    clock = SystemClock() if kind == "wall" else DatabaseClock(store)
    engine = Engine(checked, store=store, clock=clock, **options)
    ctx.call_on_close(partial(_keep_time, clock, store))  # before the store closes (callbacks run last first)
    bind_hosts(engine, hosts)
    if start is not None:
        engine.advance(start)
    return engine


def _keep_time(clock, store) -> None:
    """Save where the database's clock got to; a wall-clock command moves it to the wall clock's time."""
    import sqlite3

    from leadflow.clock import DatabaseClock

    if not isinstance(clock, DatabaseClock):
        clock = DatabaseClock(store)
        clock.advance_to(dt.datetime.now(dt.UTC))
    try:
        clock.save()
    except (LeadflowError, sqlite3.Error, OSError) as error:  # the command's own outcome stands
        err.print(f"error: the database's clock was not saved: {error}", markup=False)


def _secrets(pairs) -> dict[str, str]:
    secrets = {k[len("LEADFLOW_SECRET_") :]: v for k, v in os.environ.items() if k.startswith("LEADFLOW_SECRET_")}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not name or not equals:
            # the text given may be a bare value: say what is wrong without showing it
            raise click.BadParameter("expected NAME=VALUE (no name, or no `=`)", param_hint="'--secret'")
        secrets[name] = value
    return secrets


def _progress(total: int | None, label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err.console,
        disable=total is not None and total < PROGRESS_THRESHOLD,
        transient=True,
    )


def _time_zone(ctx, param, name: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        raise click.BadParameter(f"unknown time zone {name!r}; use an IANA name like Europe/Paris") from None
    return name


def _clock_setting(ctx, param, value):
    """Kept for `_engine`, so the commands that build an engine need not pass the clock options on."""
    ctx.meta[f"leadflow.{param.name}"] = value
    return value


# Options several commands share, declared once.
timezone_option = click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    callback=_time_zone,
    help="Time zone for datetimes without an offset.",
)
secret_option = click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="NAME=VALUE",
    help="A secret's value (also read from LEADFLOW_SECRET_NAME).",
)

engine_options = [
    click.option("--db", default="leadflow.db", show_default=True, help="SQLite database file (or :memory:)."),
    timezone_option,
    click.option(
        "--clock",
        type=click.Choice(["database", "wall"]),
        default="database",
        show_default=True,
        expose_value=False,
        callback=_clock_setting,
        help="The database's own clock (the latest time applied to it), or the wall clock for production.",
    ),
    click.option(
        "--start",
        default=None,
        metavar="DATETIME",
        expose_value=False,
        callback=_clock_setting,
        help="First move the database's clock on to DATETIME, doing what falls due on the way.",
    ),
    click.option("--email", "email", default=None, help="Outbox folder for .eml files, or an smtp:// URL."),
    secret_option,
    click.option("--allow-private-webhooks", is_flag=True, help="Allow webhooks to loopback and private addresses."),
]


def with_engine_options(f):
    for option in reversed(engine_options):
        f = option(f)
    return f


class _Commands(click.Group):
    """Turns a host failure (database, files, SMTP settings) into one line and exit code 4."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise  # click's own handling: stdout was closed by a pager or `head`
        except _host_errors() as error:
            err.print(f"error: {error}", markup=False)
            sys.exit(EXIT_RUNTIME)


def _host_errors() -> tuple[type[BaseException], ...]:
    """What `_Commands` reports in one line. sqlite3's errors count once sqlite3 is in use:
    a command that never imported it cannot raise them (and importing it costs)."""
    sqlite3 = sys.modules.get("sqlite3")
    return (LeadflowError, OSError) + ((sqlite3.Error,) if sqlite3 is not None else ())


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadflow")
def main() -> None:
    """Leadflow: CRM automation rules as a checked, testable language."""


# ---- check --------------------------------------------------------------------------
@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check(files, fmt) -> None:
    """Type-check scripts without running them (exit 1 on errors)."""
    from leadflow.check.load import load_program

    sources = _read_sources(files)
    try:
        checked = load_program(sources)
        diagnostics = checked.warnings
    except ScriptError as error:
        diagnostics = error.diagnostics
    if fmt == "json":
        click.echo(to_json(diagnostics))
    elif diagnostics:
        err.print(render_all(diagnostics, sources), markup=False)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    if fmt == "text":
        warnings = len(diagnostics) - errors
        summary = f"{len(files)} file(s): {errors} error(s), {warnings} warning(s)"
        (err if errors else out).print(summary if diagnostics else f"{len(files)} file(s) OK", markup=False)
    sys.exit(EXIT_SCRIPT if errors else 0)


# ---- lsp ------------------------------------------------------------------------------
@main.command()
@click.option(
    "--stdio",
    is_flag=True,
    help="Talk over standard input and output (the only transport; accepted because editors pass it).",
)
def lsp(stdio) -> None:
    """Run the language server: diagnostics, completion and hover for editors."""
    from leadflow.lsp.server import serve

    serve()


# ---- fmt ------------------------------------------------------------------------------
def _flow_files(paths) -> list[str]:
    """The files named, and the `.flow` files under the folders named, in order."""
    found: list[str] = []
    for path in paths:
        if path != "-" and Path(path).is_dir():
            found += sorted(str(p) for p in Path(path).rglob("*.flow"))
        else:
            found.append(path)
    return found


def _unified_diff(path: str, before: str, after: str) -> str:
    def lines(text: str) -> list[str]:  # split at newlines only, each line keeping its own
        parts = text.split("\n")
        return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])

    diff = difflib.unified_diff(lines(before), lines(after), path, path)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@click.option("--check", is_flag=True, help="Change no file; list those that would change, and exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="Change no file; print the changes as a unified diff.")
def fmt(paths, check, show_diff) -> None:
    """Rewrite scripts in the canonical layout, keeping their comments.

    PATHS are .flow files or folders (every .flow file under them); `-` reads
    standard input and writes the result to standard output."""
    from leadflow.syntax.formatter import format_source

    changed = unchanged = broken = 0
    for path in _flow_files(paths):
        source = sys.stdin.read() if path == "-" else _read_text(path)
        try:
            formatted = format_source(source, path)
        except ScriptError as error:
            broken += 1
            _report_script_error(error, {path: source})
            continue
        if path == "-" and not (check or show_diff):
            click.echo(formatted, nl=False)
        if formatted == source:
            unchanged += 1
            continue
        changed += 1
        if show_diff:
            click.echo(_unified_diff(path, source, formatted), nl=False)
        if check:
            out.print(f"would reformat {path}", markup=False)
        elif not show_diff and path != "-":
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(formatted)
            out.print(f"reformatted {path}", markup=False)
    if paths != ("-",):  # standard input's result is the output itself
        verb = "would be reformatted" if check or show_diff else "reformatted"
        summary = f"{changed} file(s) {verb}, {unchanged} unchanged"
        err.print(summary + (f", {broken} with errors" if broken else ""), markup=False)
    sys.exit(EXIT_SCRIPT if broken or (check and changed) else 0)


# ---- graph ----------------------------------------------------------------------------
@main.command()
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.argument("name", required=False)
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg"]), default="mermaid", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the chart to this file instead of standard output.",
)
def graph(script, name, fmt, output) -> None:
    """Draw the workflows and rules of SCRIPT (or the one called NAME) as flow charts."""
    from leadflow.diagnostics import did_you_mean
    from leadflow.graph import GraphvizMissing, charts, names, to_dot, to_mermaid, to_svg
    from leadflow.syntax.parser import parse

    source = _read_text(script)
    try:
        program = parse(source, script)
    except ScriptError as error:
        _report_script_error(error, {script: source})
        sys.exit(EXIT_SCRIPT)
    try:
        drawn = charts(program, name)
    except LookupError:
        known = names(program)
        hint = did_you_mean(name, known)
        listed = ", ".join(known) if known else "none"
        raise click.UsageError(
            f"no workflow or rule named {name!r} in {script}"
            + (f"; did you mean {hint!r}?" if hint else f" (names: {listed})")
        ) from None
    if not drawn:
        raise click.UsageError(f"{script} has no workflow or rule to draw")
    if fmt == "mermaid":
        chart: str | bytes = to_mermaid(drawn)
    elif fmt == "dot":
        chart = to_dot(drawn)
    else:
        try:
            chart = to_svg(to_dot(drawn))
        except GraphvizMissing as error:
            err.print(f"error: {error}", markup=False)
            sys.exit(EXIT_USAGE)
    if output is None:
        click.echo(chart, nl=False)
    else:
        Path(output).write_bytes(chart if isinstance(chart, bytes) else chart.encode("utf-8"))
        out.print(f"wrote {output}", markup=False)


# ---- run ------------------------------------------------------------------------------
def _event_lines(stream):
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield number, line


def _parse_event(line: bytes):
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text (byte {error.start})") from None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg} at column {error.colno}") from None
    except ValueError:  # Python's own limit on the digits of an int it reads
        raise InputError(f"a number has more than {sys.get_int_max_str_digits()} digits") from None
    except RecursionError:
        raise InputError("the JSON is nested too deeply") from None
    if not isinstance(item, dict):
        raise InputError("an event must be a JSON object")
    return item


def run_event_file(engine, stream, *, label: str = "events") -> tuple[int, int, int]:
    """Process an event file; print rejected lines. Returns (applied, duplicates, rejected).

    The file is read as a stream, a batch at a time (Engine.emit_many), so its length
    costs no memory. A line that cannot be read goes to emit_many as its error and is
    reported in its place; each other line succeeds or fails alone."""
    from leadflow.line_counts import LineCounts

    counts = {"applied": 0, "duplicates": 0, "rejected": 0}
    numbers: deque[int] = deque()  # the line numbers of the events given and not yet reported

    def events(seen: LineCounts):
        for number, line in _event_lines(stream):
            numbers.append(number)
            try:
                item = _parse_event(line)
            except InputError as error:
                yield error
                continue
            if "id" not in item:
                # A line without an id is keyed by its text and how many identical
                # lines came before it, so re-running the file applies it once.
                text = line.decode("utf-8", "replace").strip() if isinstance(line, bytes) else line.strip()
                digest = hashlib.sha256(text.encode()).hexdigest()[:32]
                item["id"] = f"line:{digest}:{seen.count(digest)}"
            yield item

    total = _count_lines(stream)
    with LineCounts() as seen, _progress(total, label) as progress:
        task = progress.add_task(label, total=total)

        def on_result(index, outcome):
            progress.advance(task)
            number = numbers.popleft()
            if isinstance(outcome, LeadflowError):
                counts["rejected"] += 1
                err.print(f"line {number}: rejected: {outcome}", markup=False)
            elif outcome.duplicate:
                counts["duplicates"] += 1
            else:
                counts["applied"] += 1

        engine.emit_many(events(seen), on_result=on_result, keep_results=False)
    return counts["applied"], counts["duplicates"], counts["rejected"]


def _count_lines(stream) -> int | None:
    """The lines of a file, for the progress bar, read a block at a time; None for a pipe."""
    try:
        if not stream.seekable():
            return None
        start = stream.tell()
    except (AttributeError, OSError):
        return None
    lines = 0
    while block := stream.read(1 << 20):
        lines += block.count(b"\n" if isinstance(block, bytes) else "\n")
    stream.seek(start)
    return lines


@main.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--events", "events", required=True, type=click.File("rb"), help="JSON-lines event file, or - for stdin.")
@click.option("--deliver/--no-deliver", default=True, show_default=True, help="Deliver the outbox after the events.")
@click.option(
    "--until",
    "until",
    default=None,
    metavar="DATETIME",
    help="After the events, drive the database's clock to DATETIME through every wait and schedule.",
)
@with_engine_options
@with_host_options
def run(scripts, events, deliver, until, db, timezone, email, secrets, allow_private_webhooks, seed, hosts) -> None:
    """Process an event file (and the workflow steps and schedules due) into the database."""
    engine = _engine(
        scripts,
        db,
        timezone=timezone,
        email=email,
        secrets=_secrets(secrets),
        allow_private_webhooks=allow_private_webhooks,
        seed=seed,
        hosts=hosts,
    )
    end = _until(until, engine.timezone) if until else None
    for name in engine.unbound_externs():
        err.print(f"warning: extern fn `{name}` has no host function here; rules calling it will fail", markup=False)
    applied, duplicates, rejected = run_event_file(engine, events)
    out.print(f"{applied} event(s) applied, {duplicates} already seen, {rejected} rejected", markup=False)
    report = drive(engine, end, deliver)
    if engine.has_timers:
        out.print(
            f"workflows: runs advanced {engine.runs_advanced} time(s); clock at {engine.clock.now().isoformat()}",
            markup=False,
        )
    if report is not None:
        out.print(f"outbox: {report.sent} sent, {report.retried} to retry, {report.dead} dead", markup=False)
    for failure in engine.failures:
        err.print(f"scheduled trigger failed: {failure}", markup=False)
    for note in engine.scheduler.skipped:
        err.print(f"warning: {note}", markup=False)
    sys.exit(EXIT_REJECTED if rejected else 0)


def _until(text: str, zone, option: str = "--until") -> dt.datetime:
    from leadflow.clock import EARLIEST, LATEST, RANGE_TEXT

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a datetime like 2026-12-31T09:00", param_hint=f"'{option}'"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    if not EARLIEST <= moment <= LATEST:
        raise click.BadParameter(f"{text!r} is outside the clock's range ({RANGE_TEXT})", param_hint=f"'{option}'")
    return moment


def drive(engine, until, deliver: bool):
    """Do the due workflow work up to `until` (default: the clock), delivering as it goes:
    a run waiting for a webhook's answer resumes once delivery brings it."""
    from leadflow.effects.outbox import DeliveryReport

    totals = [0, 0, 0]
    while True:
        advanced = engine.advance(until) if until else engine.run_due()
        report = engine.deliver(_delivery_time(engine.clock)) if deliver else None
        if report is not None:
            totals = [totals[0] + report.sent, totals[1] + report.retried, totals[2] + report.dead]
        if not advanced and (report is None or not (report.sent or report.dead)):
            break
    return DeliveryReport(*totals) if deliver else None


def _delivery_time(clock) -> dt.datetime:
    """Effects go out in the real world: at the clock's time, or the wall clock's if that is
    later (a database's clock replaying the past still sends what an import queued today)."""
    return max(clock.now(), dt.datetime.now(dt.UTC))


# ---- import -----------------------------------------------------------------------------
@main.command(name="import")
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@with_engine_options
def import_(script, csv_file, db, timezone, email, secrets, allow_private_webhooks) -> None:
    """Import contacts from a CSV file (a header row with `email` and property names)."""
    engine = _engine(
        [script],
        db,
        timezone=timezone,
        email=email,
        secrets=_secrets(secrets),
        allow_private_webhooks=allow_private_webhooks,
    )
    from leadflow.csv_rows import csv_rows

    text = _read_text(csv_file, "utf-8-sig", newline="")
    lines: deque[int] = deque()  # where the rows given and not yet reported start

    def rows():
        for line, row in csv_rows(text):
            lines.append(line)
            yield row

    imported = rejected = duplicates = 0
    total = text.count("\n")  # about the rows, for the progress bar
    with _progress(total, "import") as progress:
        task = progress.add_task("import", total=total)

        def on_result(number, outcome):
            nonlocal imported, rejected, duplicates
            progress.advance(task)
            line = lines.popleft()
            if isinstance(outcome, LeadflowError):
                rejected += 1
                err.print(f"row {line}: rejected: {outcome}", markup=False)  # numbered as lines: the header is 1
            elif outcome.duplicate:
                duplicates += 1
            else:
                imported += 1

        engine.import_rows(rows(), source=str(csv_file), on_result=on_result)
    out.print(f"{imported} row(s) imported, {duplicates} already imported, {rejected} rejected", markup=False)
    sys.exit(EXIT_REJECTED if rejected else 0)


def _check_database(db, *, must_exist: bool) -> None:
    """Exit 2 if `db` is another program's file (or, for a read, no file at all), before
    anything opens it: opening a store writes (WAL mode, the schema)."""
    from leadflow.cli_database import database_file, not_leadflow

    path = database_file(db) if isinstance(db, str) else None
    if path is None:
        return
    if not path.exists():
        if must_exist:
            err.print(f"error: no database at {db}", markup=False)
            sys.exit(EXIT_USAGE)
        return
    problem = not_leadflow(path, empty_ok=not must_exist)
    if problem:
        err.print(f"error: {problem}", markup=False)
        sys.exit(EXIT_USAGE)


# The ids of records, effects and runs: SQLite's positive integers (a larger one cannot
# even be asked for: the sqlite3 module raises OverflowError).
ROW_ID = click.IntRange(1, 2**63 - 1)


def _contact_ref(text: str) -> int | str:
    """A contact named on the command line: an id (digits), else an email. An id no
    row can have is 0, which names no record either."""
    if not (text.isascii() and text.isdigit()):
        return text
    number = int(text)
    return number if number < 2**63 else 0


# ---- reading the store -----------------------------------------------------------------------
def _store(db):
    from leadflow.store import open_store

    _check_database(db, must_exist=True)
    store = open_store(db)
    click.get_current_context().call_on_close(store.close)
    return store


@main.command()
@click.option("--db", default="leadflow.db", show_default=True)
@click.option("--type", "object_type", default=None, help="Only records of this object type.")
def export(db, object_type) -> None:
    """Print every record as a JSON line: id, type, properties and lists."""
    store = _store(db)
    for record in store.records(object_type):
        line = {
            "id": record.id,
            "type": record.type,
            "properties": plain(record.props),
            "lists": sorted(store.lists_of(record.id)),
            "created_at": record.created_at.isoformat(),
            "updated_at": record.updated_at.isoformat(),
        }
        click.echo(json.dumps(line, ensure_ascii=False, sort_keys=True))


@main.command()
@click.argument("contact")
@click.option("--db", default="leadflow.db", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def history(contact, db, fmt) -> None:
    """Show every change to a contact (by email or id)."""
    from rich.table import Table

    store = _store(db)
    ref = _contact_ref(contact)
    record = store.get_record(ref) if isinstance(ref, int) else store.find_by("contact", "email", contact)
    if record is None:
        err.print(f"no contact {contact}", markup=False)
        sys.exit(EXIT_REJECTED)
    entries = store.history(record.id)
    if fmt == "json":
        for h in entries:
            click.echo(
                json.dumps(
                    {
                        "at": h.at.isoformat(),
                        "kind": h.kind,
                        "field": h.field,
                        "old": plain(h.old),
                        "new": plain(h.new),
                        "cause": h.cause,
                    }
                )
            )
        for run in store.runs(record_id=record.id):  # then each workflow enrollment's log
            for entry in store.run_log(run.id):
                click.echo(
                    json.dumps(
                        {
                            "at": entry.at.isoformat(),
                            "kind": "workflow",
                            "workflow": run.workflow,
                            "run": run.id,
                            "step": entry.step,
                            "what": entry.kind,
                            "detail": plain(entry.detail),
                        }
                    )
                )
        return
    table = Table(title=f"{record.type} {record.id} ({record.props.get('email', '')})")
    for column in ("at", "change", "old", "new", "cause"):
        table.add_column(column)
    for h in entries:
        change = {
            "created": "created",
            "set": f"set {h.field}",
            "list_add": f"added to {h.field}",
            "list_remove": f"removed from {h.field}",
        }.get(h.kind, h.kind)
        old = "" if h.kind != "set" else _show(h.old)
        new = _show(h.new) if h.kind in ("set", "created") else ""
        table.add_row(h.at.isoformat(timespec="seconds"), change, old, new, h.cause)
    out.print(table)
    _show_runs(store, record.id)


def _show_runs(store, record_id: int) -> None:
    from rich.table import Table

    runs = store.runs(record_id=record_id)
    if not runs:
        return
    table = Table(title="workflows")
    for column in ("at", "workflow", "step", "what", "detail"):
        table.add_column(column)
    for run in runs:
        for entry in store.run_log(run.id):
            detail = {k: v for k, v in entry.detail.items() if k != "step"}
            table.add_row(
                entry.at.isoformat(timespec="seconds"),
                run.workflow,
                entry.detail.get("step", entry.step or ""),
                entry.kind,
                _show(detail) if detail else "",
            )
    out.print(table)


def _show(value) -> str:
    return json.dumps(plain(value), ensure_ascii=False) if value is not None else "null"


@main.command()
@click.option("--db", default="leadflow.db", show_default=True)
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def outbox(db, status, fmt) -> None:
    """List effects in the outbox: pending, sent and dead (failed for good)."""
    from rich.table import Table

    store = _store(db)
    effects = store.effects(status)
    if fmt == "json":
        for e in effects:
            click.echo(
                json.dumps(
                    {
                        "id": e.id,
                        "kind": e.kind,
                        "status": e.status,
                        "attempts": e.attempts,
                        "payload": e.payload,
                        "last_error": e.last_error,
                        "key": e.key,
                    }
                )
            )
        return
    table = Table(title="outbox")
    for column in ("id", "kind", "status", "tries", "what", "last error"):
        table.add_column(column)
    for e in effects:
        table.add_row(str(e.id), e.kind, e.status, str(e.attempts), e.summary(), e.last_error or "")
    out.print(table)
    counts = {s: sum(1 for e in effects if e.status == s) for s in ("pending", "sent", "dead")}
    out.print(", ".join(f"{n} {s}" for s, n in counts.items()), markup=False)


@main.command()
@click.argument("ids", nargs=-1, type=ROW_ID)
@click.option("--db", default="leadflow.db", show_default=True)
@click.option("--all-dead", is_flag=True, help="Replay every dead effect.")
def replay(ids, db, all_dead) -> None:
    """Make dead effects pending again, to be delivered by the next run or `deliver`."""
    store = _store(db)
    if not ids and not all_dead:
        raise click.UsageError("name effect ids or use --all-dead")
    targets = [e.id for e in store.effects("dead")] if all_dead else list(ids)
    now = dt.datetime.now(dt.UTC)
    for effect_id in targets:
        try:
            store.replay(effect_id, now)
        except InputError as error:
            err.print(f"effect {effect_id}: {error}", markup=False)
            sys.exit(EXIT_REJECTED)
    out.print(f"{len(targets)} effect(s) will be retried", markup=False)


@main.command()
@click.option("--db", default="leadflow.db", show_default=True)
@click.option("--email", "email", default="leadflow-outbox", show_default=True, help="Outbox folder or smtp:// URL.")
@click.option("--secret", "secrets", multiple=True, metavar="NAME=VALUE")
@click.option("--allow-private-webhooks", is_flag=True)
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
    default=None,
    help="Deliver what is due at this UTC time, not at the later of now and the database's clock.",
)
def deliver(db, email, secrets, allow_private_webhooks, at) -> None:
    """Deliver due effects (email, webhooks, notifications) from the outbox."""
    from leadflow.clock import DatabaseClock
    from leadflow.effects import Deliverer, WebhookSender, email_sender_from_url
    from leadflow.workflows.runs import wake_effect_run

    webhooks = WebhookSender(_secrets(secrets), allow_private=allow_private_webhooks)  # checks them first
    store = _store(db)
    clock = DatabaseClock(store)
    # a workflow run waiting for a webhook's answer wakes up (and takes it) at its next `run`
    deliverer = Deliverer(
        store, email_sender_from_url(email), webhooks, on_settled=partial(wake_effect_run, store, clock=clock)
    )
    at = at.replace(tzinfo=dt.UTC) if at else _delivery_time(clock)
    report = deliverer.deliver(at)
    out.print(f"outbox: {report.sent} sent, {report.retried} to retry, {report.dead} dead", markup=False)


# ---- repl and explain --------------------------------------------------------------------
@main.command()
@click.argument("scripts", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--db", default=None, help="SQLite database file (created if missing); default: a fresh in-memory store.")
@timezone_option
@secret_option
@with_host_options
def repl(scripts, db, timezone, secrets, seed, hosts) -> None:
    """Evaluate expressions, emit events and move the clock, interactively.

    Without SCRIPTS, loads the bundled lifecycle example (and, without --db,
    its contacts)."""
    from leadflow.repl import main as run_repl

    if db is not None:
        _check_database(db, must_exist=False)
    try:
        run_repl(scripts, db, timezone=timezone, secrets=_secrets(secrets), seed=seed, hosts=hosts)
    except HostError as error:  # a host function that does not fit the scripts given
        raise click.BadParameter(error.message, param_hint="'--hosts'") from None


@main.command(name="explain")
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.argument("contact")
@click.argument("name", required=False)
@click.option("--db", default="leadflow.db", show_default=True)
@timezone_option
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
    default=None,
    help="Evaluate at this UTC time (what now() gives), not at the database's clock.",
)
@with_host_options
def explain_(script, contact, name, db, timezone, at, seed, hosts) -> None:
    """Why each rule (or the one NAME) fires or not for a contact (by email or id)."""
    from leadflow import SimulatedClock
    from leadflow.clock import DatabaseClock
    from leadflow.interpreter.explain import explain, render

    store = _store(db)
    # by default, at the database's time (the wall clock's while it has none), as the rules ran
    moment = at.replace(tzinfo=dt.UTC) if at else DatabaseClock(store).now().replace(microsecond=0)
    engine = _engine([script], store, clock=SimulatedClock(moment), timezone=timezone, seed=seed, hosts=hosts)
    record_id = engine.find(_contact_ref(contact))
    if record_id is None:
        err.print(f"no contact {contact}", markup=False)
        sys.exit(EXIT_REJECTED)
    try:
        explanations = explain(engine, record_id, name)
    except InputError as error:
        raise click.UsageError(error.message) from None
    out.print(render(engine, record_id, explanations), markup=False)


@main.command()
@click.option(
    "--dir",
    "directory",
    default="demo-out",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the demo writes its database and emails.",
)
def demo(directory) -> None:
    """Run the bundled example: lifecycle rules over sample contacts and events."""
    from leadflow.demo import run_demo

    sys.exit(run_demo(Path(directory), out.console))


from leadflow import cli_workflows  # noqa: E402,F401  (registers stats, runs, retry)
from leadflow import cli_testing  # noqa: E402,F401  (registers test)

if __name__ == "__main__":  # pragma: no cover
    main()
