"""The REPL's session: a line in, the text to print out.

Everything the REPL does lives here, with no terminal in sight, so tests
drive it line by line; app.py only puts prompt_toolkit around it.

A session holds an engine (the loaded script bound to a store and a
simulated clock), the record expressions are evaluated against, and the
`let` bindings (each a value and its type). Loading a script builds a new
engine on the same store and clock, so records, their history and the time
survive `:reload`, and so does the chosen record unless the new script does
not declare its type (then none is chosen, and the user is told); a script
with errors leaves the previous engine in place.

No input ends the session by accident: script, type and runtime errors are
printed as the project's diagnostics, and even an unexpected Python error
is reported in one line, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from leadflow.check import types as T
from leadflow.clock import SimulatedClock
from leadflow.diagnostics import render_all
from leadflow.check.load import load_program
from leadflow.errors import HostError, InputError, LeadflowError, LeadflowRuntimeError, ScriptError
from leadflow.interpreter.engine import Engine
from leadflow.interpreter.explain import explain, render as render_explanations
from leadflow.repl.show import show_record
from leadflow.store import Store, open_store
from leadflow.syntax.scan import scan
from leadflow.values import Duration, show

INPUT = "<repl>"  # the file name diagnostics give for what the user typed
LET = re.compile(r"let\s+([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)", re.S)
OPENERS, CLOSERS = "([{", ")]}"


@attrs.frozen
class Command:
    run: Callable[[ReplSession, str], str]
    usage: str
    help: str


class ReplSession:
    def __init__(
        self,
        scripts: Sequence[str | Path] = (),
        store: Store | str = ":memory:",
        *,
        clock: SimulatedClock | None = None,
        timezone: str = "UTC",
        secrets: dict | None = None,
        seed: int | None = None,
        hosts: Mapping[str, Callable] | None = None,
    ):
        self.store = open_store(store) if isinstance(store, str) else store
        # starts at the wall clock, to the minute: times then read as a person would type them
        self.clock = clock or SimulatedClock(dt.datetime.now(dt.UTC).replace(second=0, microsecond=0))
        self.options: dict[str, Any] = {"timezone": timezone, "secrets": secrets or {}, "seed": seed}
        self.hosts = dict(hosts or {})  # bound, by name, to the `extern fn`s of each script loaded
        self.scripts: list[Path] = []
        self.engine = Engine(load_program({}), self.store, self.clock, **self.options)  # until a script loads
        self.record_id: int | None = None
        self.bindings: dict[str, tuple[object, T.Type]] = {}
        self.finished = False
        self.last_input = ""
        self.startup = self.load(scripts, strict=True) if scripts else ""  # what loading said, for the banner

    # ---- what the terminal asks ----------------------------------------------------------
    @property
    def prompt(self) -> str:
        return f"{self.record_label(self.record_id, short=True)}> " if self.record_id is not None else "leadflow> "

    @staticmethod
    def needs_more(text: str) -> bool:
        """Whether input continues on the next line: a bracket or a string is still open."""
        scanned = scan(text)
        depth = sum(scanned.code.count(c) for c in OPENERS) - sum(scanned.code.count(c) for c in CLOSERS)
        return scanned.in_string or depth > 0

    def banner(self) -> str:
        script = ", ".join(map(str, self.scripts)) or "none (an empty program)"
        lines = [
            f"Leadflow REPL. Script: {script}. Clock: {show(self.clock.now())} (simulated).",
            "Type an expression, `let NAME = EXPR`, or :help for commands.",
        ]
        return "\n".join(([self.startup] if self.startup else []) + lines)

    # ---- one line ---------------------------------------------------------------------
    def run(self, text: str) -> str:
        """Evaluate an expression, a `let` or a `:command`; returns what to print."""
        text = text.strip()
        try:
            if not text:
                return ""
            if text.startswith(":"):
                name, rest = _first_word(text[1:])
                command = COMMANDS.get(ALIASES.get(name, name))
                if command is None:
                    return f"error: unknown command :{name}; :help lists them"
                return command.run(self, rest)
            binding = LET.fullmatch(text)
            if binding:
                return self.let(binding[1], binding[2].strip())
            value, type_, warnings = self.evaluate(text)
            return warnings + f"{show(value, type_)} : {type_}"
        except ScriptError as error:
            return render_all(error.diagnostics, {INPUT: self.last_input, **self.engine.checked.sources})
        except LeadflowError as error:
            return str(error) if isinstance(error, LeadflowRuntimeError) else f"error: {error}"
        except Exception as error:  # a bug must not end the session a user built up
            return f"internal error: {type(error).__name__}: {error}"

    def check(self, text: str):
        """Type-check an expression typed in, with the `let`s in scope (a CheckedExpression)."""
        return self.engine.check_expression(text, **self._scope(text))

    def evaluate(self, text: str) -> tuple[object, T.Type, str]:
        """The value and type of an expression, and the rendered warnings the checker gave."""
        expression = self.engine.expression(text, **self._scope(text))
        if self.record_id is None and expression.checked.reads_record:
            raise InputError("this reads a record's properties: pick one first with :contact EMAIL|ID")
        value = expression.evaluate(self.record_id, {name: v for name, (v, _) in self.bindings.items()})
        warnings = render_all(expression.checked.warnings, {INPUT: text})
        return value, expression.type, (warnings + "\n" if warnings else "")

    def _scope(self, text: str) -> dict:
        self.last_input = text  # diagnostics quote it: positions count from its start
        return {
            "source_name": INPUT,
            "object_type": self.object_type(),
            "bindings": {name: t for name, (_, t) in self.bindings.items()},
        }

    def let(self, name: str, text: str) -> str:
        value, type_, warnings = self.evaluate(text)
        self.bindings[name] = (value, type_)
        return warnings + f"{name} = {show(value, type_)} : {type_}"

    def object_type(self) -> str:
        record = self.store.get_record(self.record_id) if self.record_id is not None else None
        return record.type if record is not None else "contact"

    # ---- scripts --------------------------------------------------------------------------
    def load(self, paths: Sequence[str | Path], strict: bool = False) -> str:
        """Load scripts as one program. Once their files are read, they are the ones
        `:reload` reads again, even if they have errors: fix them and reload. A host
        function that does not fit its `extern fn` is a message, or with `strict` a HostError."""
        files = [Path(p) for p in paths]
        sources = {}
        for path in files:
            try:
                sources[str(path)] = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as error:
                return f"error: cannot read {path}: {error}"
        self.scripts = files
        try:
            checked = load_program(sources)
        except ScriptError as error:
            return render_all(error.diagnostics, sources) + "\n(the previous script is still loaded)"
        engine = Engine(checked, self.store, self.clock, **self.options)
        try:
            for name in checked.externs.keys() & self.hosts.keys():
                engine.bind(name, self.hosts[name])
        except HostError as error:
            if strict:
                raise
            return f"error: {error}\n(the previous script is still loaded)"
        self.engine = engine
        rules, events = len(checked.rules), len([e for e in checked.events.values() if not e.builtin])
        return f"loaded {', '.join(sources)}: {rules} rule(s), {events} event(s)" + self._unchoose_undeclared()

    def _unchoose_undeclared(self) -> str:
        """After a load: the chosen record is let go if the script no longer declares its
        type, since no expression could read it; what to say about it, if anything."""
        if self.record_id is None or self.object_type() in self.engine.checked.objects:
            return ""
        problem = self.undeclared(self.record_id)
        self.record_id = None
        return f"\n{problem}: no record chosen now; :contact EMAIL|ID chooses one"

    def undeclared(self, record_id: int) -> str:
        """Why the record cannot be chosen under this script: its type is not declared."""
        record = self.store.get_record(record_id)
        return f"{self.record_label(record_id)} is a {record.type if record else 'record'}, which the script does not declare"

    def reload(self) -> str:
        return self.load(self.scripts) if self.scripts else "error: no script loaded; use :load FILE"

    # ---- records ------------------------------------------------------------------------------
    def find(self, ref: str) -> int:
        ref = ref.strip()
        record_id = self.engine.find(int(ref) if ref.isdigit() else ref) if ref else self.record_id
        if record_id is None:
            raise InputError(
                f"no record {ref}; :new EMAIL creates a contact" if ref else "no contact chosen; use :contact EMAIL|ID"
            )
        return record_id

    def record_label(self, record_id: int, short: bool = False) -> str:
        """`contact 1 (ada@example.com)`; short, for the prompt: `ada@example.com`."""
        record = self.store.get_record(record_id)
        if record is None:
            return f"record {record_id}"
        return (record.props.get("email") or f"{record.type} {record.id}") if short else record.label()

    def data(self, text: str) -> dict:
        """Event data: a JSON object, or a Leadflow record like `{form: "demo"}`."""
        if not text:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data, _, _ = self.evaluate(text)
        if not isinstance(data, dict):
            raise InputError('event data is an object: {"form": "demo"} or {form: "demo"}')
        return data


# ---- commands ---------------------------------------------------------------------------------
def _load(s: ReplSession, rest: str) -> str:
    return s.load(rest.split()) if rest else "error: name the script: :load FILE..."


def _contact(s: ReplSession, rest: str) -> str:
    record_id = s.find(rest)
    record = s.store.get_record(record_id)
    if record is not None and record.type not in s.engine.checked.objects:
        return f"error: {s.undeclared(record_id)}"
    s.record_id = record_id
    return s.record_label(s.record_id)


def _first_word(text: str) -> tuple[str, str]:
    """`form_submitted {form: "x"}` -> ("form_submitted", '{form: "x"}'); any white space separates."""
    words = text.split(None, 1)
    return (words[0], words[1].strip() if len(words) > 1 else "") if words else ("", "")


def _new(s: ReplSession, rest: str) -> str:
    email, data = _first_word(rest)
    if not email:
        return "error: give the new contact's email: :new EMAIL [{properties}]"
    result, report = _send(s, "upsert", email, s.data(data))
    s.record_id = result.record_id
    return s.record_label(result.record_id) + report


def _emit(s: ReplSession, rest: str) -> str:
    event, data = _first_word(rest)
    if not event:
        return "error: name the event: :emit EVENT [{data}]"
    record_id = s.find("")
    result, report = _send(s, event, {"id": record_id}, s.data(data))
    return f"{event} for {s.record_label(record_id)} at {show(s.clock.now())}" + report


def _send(s: ReplSession, event: str, contact, data: dict):
    """Emit an event now; returns its result and what to say: the rules it fired, the
    notes, and the effects it queued in the outbox (not delivered: the REPL sends nothing)."""
    queued = len(s.store.effects())
    # Unlike an event file's lines, two identical events typed at one simulated time are two events.
    result = s.engine.emit(event, contact=contact, data=data, key=f"repl:{uuid.uuid4().hex[:16]}")
    lines = ["fired: " + (", ".join(result.fired) or "no rule"), *result.notes]
    lines += [f"queued {e.kind} {e.summary()}" for e in s.store.effects()[queued:]]
    return result, "".join("\n" + line for line in lines)


def _advance(s: ReplSession, rest: str) -> str:
    if not rest:
        return "error: say how far: :advance 2 days, or to when: :advance 2026-12-01T09:00"
    value, type_, _ = s.evaluate(rest)
    if isinstance(value, Duration) and value.total_seconds() >= 0:
        target = value.add_to(s.clock.now())
    elif isinstance(value, dt.datetime) and value >= s.clock.now():
        target = value
    else:
        return f"error: :advance takes a positive duration or a later datetime, not {show(value, type_)} : {type_}"
    effects = len(s.store.effects())
    advanced = s.engine.advance(target)  # the workflow steps and schedules due on the way
    done = ""
    if advanced:
        queued = len(s.store.effects()) - effects
        done = f"; workflow runs advanced {advanced} time(s), {queued} effect(s) queued"
    return f"now {show(s.clock.now())}{done}"


def _show(s: ReplSession, rest: str) -> str:
    return show_record(s.engine, s.find(rest))


def _list(s: ReplSession, rest: str) -> str:
    lists = s.engine.checked.lists
    if rest not in lists:
        names = ", ".join(lists) or "none"
        return (
            f"error: name a list: :list LIST (declared: {names})"
            if not rest
            else f"error: unknown list `{rest}` (declared: {names})"
        )
    members = s.store.list_members(rest)
    return f"{rest}: {len(members)} member(s)" + "".join(f"\n  {s.record_label(m)}" for m in members)


def _type(s: ReplSession, rest: str) -> str:
    return str(s.check(rest).type) if rest else "error: give an expression: :type EXPR"


def _explain(s: ReplSession, rest: str) -> str:
    record_id = s.find("")
    name = rest.strip().strip('"') or None
    return render_explanations(s.engine, record_id, explain(s.engine, record_id, name))


def _help(s: ReplSession, rest: str) -> str:
    entries = [
        ("EXPR", "evaluate against the chosen record: prints `value : type`"),
        ("let NAME = EXPR", "bind a name for later expressions"),
    ]
    entries += [(c.usage, c.help) for c in COMMANDS.values()]
    width = max(len(usage) for usage, _ in entries)
    lines = [f"{usage:<{width}}  {text}" for usage, text in entries]
    lines.append("Input continues over lines while a bracket or a string is open. Tab completes.")
    return "\n".join(lines)


def _quit(s: ReplSession, rest: str) -> str:
    s.finished = True
    return ""


COMMANDS: dict[str, Command] = {
    "load": Command(_load, ":load FILE...", "load a script (its records stay)"),
    "reload": Command(lambda s, rest: s.reload(), ":reload", "load the script again after editing it"),
    "contact": Command(_contact, ":contact EMAIL|ID", "choose the record expressions read"),
    "new": Command(_new, ":new EMAIL [{props}]", "create a contact (rules fire) and choose it"),
    "emit": Command(_emit, ":emit EVENT [{data}]", "send an event about the chosen record, now"),
    "advance": Command(_advance, ":advance DURATION", "move the simulated clock: 2 days, or to a datetime"),
    "show": Command(_show, ":show [EMAIL|ID]", "a record's properties, lists and history"),
    "list": Command(_list, ":list LIST", "the records in a list"),
    "type": Command(_type, ":type EXPR", "the type of an expression, without evaluating it"),
    "explain": Command(_explain, ":explain [NAME]", "why each rule or workflow (or one) fires or not for the record"),
    "help": Command(_help, ":help", "this list"),
    "quit": Command(_quit, ":quit", "leave (also Ctrl-D)"),
}
ALIASES = {"q": "quit", "exit": "quit", "h": "help", "?": "help"}
