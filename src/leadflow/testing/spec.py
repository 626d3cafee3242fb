"""The test file format (`*.test.toml`), read and checked against its script.

    script = "nurture.flow"                  # or scripts = [...]; relative to this file
    timezone = "Europe/Paris"                # optional; default UTC
    start = 2026-11-23T09:00:00Z             # optional clock start; default 2026-01-05T09:00Z
    seed = 1                                 # optional; random splits and random_int()

    [[test]]
    name = "a download thanks the contact"
    given.records = [{ email = "ada@example.com", first_name = "Ada" }]
    given.lists = { engaged = ["ada@example.com"] }
    stubs.team_availability = [{ rep = "Maya", open_leads = 1 }]
    stubs.webhooks = [{ url = "https://enrich.example.com/*", answer = { company = "Acme" } }]
    steps = [
      { event = "ebook_downloaded", contact = "ada@example.com", data = { ebook = "top-10" } },
      { advance = "5 days" },
      { expect = { "ada@example.com" = { emails = ["followup_1", "offer"] } } },
    ]
    [test.expect."ada@example.com"]
    lists = ["engaged"]

`given`, `stubs`, `start`, `seed` and `auto_deliver` at the top of the file
apply to every test; a test's own add to them (and its stubs win). Reading a
file checks every key and names the file, the test and the key of the first
mistake in each test; none of a file's tests run while it has mistakes.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from leadflow.check import types as T
from leadflow.check.program import CheckedProgram, FunctionSignature
from leadflow.errors import InputError, ScriptError
from leadflow.check.load import load_program
from leadflow.testing.expect import Expectations, parse_expectations
from leadflow.testing.reader import (
    MISSING,
    Ref,
    Table,
    TestFileError,
    Where,
    parse_duration,
    plain_toml,
    to_datetime,
)
from leadflow.testing.scope import GLOBAL_EXPECTATIONS, TestScope
from leadflow.values import Duration

UTC = dt.UTC
DEFAULT_START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday, 09:00
DEFAULT_SEED = 1
SHARED_KEYS = ("start", "seed", "given", "stubs", "auto_deliver")
FILE_KEYS = ("script", "scripts", "timezone", *SHARED_KEYS, "test")
TEST_KEYS = ("name", *SHARED_KEYS, "steps", "expect")
STEP_ACTIONS = ("event", "advance", "until", "deliver", "import", "events", "expect")


# ---- what a test is made of --------------------------------------------------------------------
@attrs.frozen
class GivenRecord:
    object_type: str
    alias: str | None
    values: dict  # property -> runtime value (Ref for associations)


@attrs.frozen
class FunctionStub:
    """What a stubbed `extern fn` returns: `returns` every time, `in_turn` one value per
    call, or by its arguments (`by_args`, with `default`); or it `raises`."""

    name: str
    signature: FunctionSignature
    returns: object = None
    in_turn: tuple | None = None
    by_args: tuple = ()  # ((arguments, result), ...)
    default: object = MISSING
    raises: str | None = None


@attrs.frozen
class WebhookStub:
    url: str  # `*` matches any text
    method: str | None
    status: int
    answer: object  # the JSON body of the reply
    times: int | None  # how many requests it answers; None: all


@attrs.frozen
class EventStep:
    where: str
    event: str
    target: Ref | None
    at: dt.datetime | None
    data: dict  # runtime values, record references still `Ref`s
    key: str | None = None
    rejected: str | None = None  # the event must be rejected with a message matching this
    fired: tuple[str, ...] | None = None


@attrs.frozen
class ClockStep:
    where: str
    by: Duration | None = None  # advance
    to: dt.datetime | None = None  # until


@attrs.frozen
class DeliverStep:
    where: str


@attrs.frozen
class FileStep:
    """`import = "contacts.csv"` or `events = "events.jsonl"`, relative to the test file."""

    where: str
    kind: str  # import, events
    path: Path
    rejected: dict = attrs.field(factory=dict)  # row or line number -> pattern of its reason


@attrs.frozen
class ExpectStep:
    where: str
    expect: Expectations


@attrs.frozen
class TestCase:
    __test__ = False

    name: str
    start: dt.datetime
    seed: int
    records: tuple[GivenRecord, ...]
    lists: dict  # list -> (Ref, ...)
    stubs: dict  # extern name -> FunctionStub
    webhooks: tuple[WebhookStub, ...]
    steps: tuple  # the final `expect` is the last step
    auto_deliver: bool = True


@attrs.frozen
class TestFile:
    __test__ = False

    path: str
    scripts: tuple[str, ...]
    sources: dict
    checked: CheckedProgram | None  # None when the scripts do not check
    timezone: str
    tests: tuple[TestCase, ...] = ()
    problems: tuple[TestFileError, ...] = ()  # mistakes in the test file: nothing runs
    script_error: ScriptError | None = None


# ---- reading -------------------------------------------------------------------------------------
def load(path: str | Path, default_seed: int = DEFAULT_SEED) -> TestFile:
    """Read and check a test file; file-level mistakes raise TestFileError, mistakes in
    tests are collected in `problems`, and a script that does not check in `script_error`.
    `default_seed` is the seed of the tests that give none (`leadflow test --seed`)."""
    path = Path(path)
    name = str(path)
    where = Where(name)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except UnicodeDecodeError as error:
        raise where.error(None, f"not UTF-8 text (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise where.error(None, f"not valid TOML: {error}") from None
    top = Table(data, "", where)
    top.check_keys(FILE_KEYS)
    scripts = _scripts(top, path.parent)
    timezone = _timezone(top)
    try:
        sources = {script: Path(script).read_text("utf-8") for script in scripts}
    except UnicodeDecodeError as error:
        raise where.error("script", f"a script is not UTF-8 text (byte {error.start})") from None
    try:
        checked = load_program(sources)
    except ScriptError as error:
        return TestFile(name, scripts, sources, None, timezone, script_error=error)
    zone = ZoneInfo(timezone)
    shared = _Shared.read(top, TestScope(checked, zone), default_seed)
    tests, problems, names = [], [], set()
    for item in top.tables("test"):
        test_name = item.data["name"] if isinstance(item.data.get("name"), str) else item.path
        table = Table(item.data, "", Where(name, test_name))  # keys are named within their test
        try:
            if test_name in names:
                raise table.error("name", "another test has this name")
            names.add(test_name)
            tests.append(_read_test(table, shared, TestScope(checked, zone), path.parent))
        except TestFileError as error:
            problems.append(error)
    if not tests and not problems:
        problems.append(where.error(None, "no tests: add a [[test]] table"))
    return TestFile(name, scripts, sources, checked, timezone, tuple(tests), tuple(problems))


def _scripts(top: Table, folder: Path) -> tuple[str, ...]:
    if ("script" in top) == ("scripts" in top):
        raise top.error(None, 'name the script under test: `script = "rules.flow"` (or `scripts = [...]`)')
    names = [top.text("script")] if "script" in top else top.texts("scripts")
    if not names:
        raise top.error("scripts", "name at least one script")
    found = []
    for i, name in enumerate(names):
        script = folder / name
        if not script.is_file():
            key = "script" if "script" in top else f"scripts[{i}]"
            raise top.error(key, f"no script {name} next to the test file (looked for {script})")
        found.append(str(script))
    return tuple(found)


def _timezone(top: Table) -> str:
    zone = top.text("timezone", default="UTC")
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        raise top.error("timezone", f"unknown time zone {zone!r}; use an IANA name like Europe/Paris") from None
    return zone


@attrs.frozen
class _Shared:
    """What the top of the file gives every test."""

    start: dt.datetime
    seed: int
    auto_deliver: bool
    given: Table | None
    stubs: Table | None

    @classmethod
    def read(cls, top: Table, scope: TestScope, default_seed: int = DEFAULT_SEED) -> _Shared:
        start = _moment(top, "start", scope) or DEFAULT_START
        shared = cls(
            start,
            top.get("seed", int, default=default_seed),
            top.get("auto_deliver", bool, default=True),
            top.table("given"),
            top.table("stubs"),
        )
        # checked once here, so a mistake in them is reported at the top, not once per test
        _given(shared.given, scope)
        _stubs(shared.stubs, scope)
        return shared


def _moment(table: Table, key: str, scope: TestScope) -> dt.datetime | None:
    raw = table.get(key, str, dt.datetime, default=None)
    if raw is None:
        return None
    try:
        return to_datetime(raw, table.key_path(key), scope.timezone)
    except InputError as error:
        raise table.where.error(None, error.message) from None


def _read_test(table: Table, shared: _Shared, scope: TestScope, folder: Path) -> TestCase:
    table.check_keys(TEST_KEYS, required=("name",))
    if not isinstance(table.data["name"], str) or not table.data["name"].strip():
        raise table.error("name", "a test needs a name (text)")
    records, lists = _given(shared.given, scope)
    own_records, own_lists = _given(table.table("given"), scope)
    for list_name, members in own_lists.items():
        lists[list_name] = lists.get(list_name, ()) + members
    stubs, webhooks = _stubs(shared.stubs, scope)
    own_stubs, own_webhooks = _stubs(table.table("stubs"), scope)
    steps = [_step(step, scope, folder) for step in table.tables("steps")]
    if "expect" in table:
        steps.append(ExpectStep("expect", parse_expectations(table.required_table("expect"), scope)))
    return TestCase(
        name=table.data["name"],
        start=_moment(table, "start", scope) or shared.start,
        seed=table.get("seed", int, default=shared.seed),
        records=records + own_records,
        lists=lists,
        stubs={**stubs, **own_stubs},
        webhooks=own_webhooks + webhooks,
        steps=tuple(steps),
        auto_deliver=table.get("auto_deliver", bool, default=shared.auto_deliver),
    )


# ---- given -----------------------------------------------------------------------------------------
def _given(table: Table | None, scope: TestScope) -> tuple[tuple[GivenRecord, ...], dict]:
    """Given records and list members; registers aliases in `scope`."""
    if table is None:
        return (), {}
    table.check_keys(("records", "lists"))
    records = []
    for item in table.tables("records"):
        object_type = scope.object_type(item.text("object", default="contact"), item, "object")
        alias = item.text("as", default=None)
        if alias is not None:
            _check_alias(alias, item, scope)
            scope.aliases[alias] = object_type
        values = scope.properties(object_type, item, skip=("object", "as"), writing=True)
        records.append(GivenRecord(object_type, alias, values))
        if values.get("email"):
            scope.given_emails.add(values["email"])
    known = scope.given_emails | set(scope.aliases)
    lists: dict = {}
    members = table.table("lists")
    for list_name, _ in members.items() if members is not None else ():
        assert members is not None
        scope.list_name(list_name, members, list_name)
        refs = []
        for i, text in enumerate(members.texts(list_name)):
            ref = Ref.of(text)
            scope.type_of(ref, members, f"{list_name}[{i}]")
            if ref.label() is None and ref.text not in known:
                raise members.error(f"{list_name}[{i}]", f"{text} is not among the given records")
            refs.append(ref)
        lists[list_name] = tuple(refs)
    return tuple(records), lists


def _check_alias(alias: str, item: Table, scope: TestScope) -> None:
    if not alias.isidentifier():
        raise item.error("as", f"an alias is a name like `big_deal`, not {alias!r}")
    if alias in GLOBAL_EXPECTATIONS:
        raise item.error("as", f"`{alias}` is a key of `expect`; choose another alias")
    if alias in scope.aliases:
        raise item.error("as", f"another record is already called `{alias}`")


# ---- stubs -------------------------------------------------------------------------------------------
def _stubs(table: Table | None, scope: TestScope) -> tuple[dict, tuple[WebhookStub, ...]]:
    if table is None:
        return {}, ()
    functions = {}
    for name, raw in table.items():
        if name != "webhooks":
            functions[name] = _function_stub(name, raw, table, scope)
    return functions, tuple(_webhook_stub(item) for item in table.tables("webhooks"))


def _function_stub(name: str, raw, table: Table, scope: TestScope) -> FunctionStub:
    signature = scope.extern(name, table, name)
    if not isinstance(raw, dict):  # the short form: a fixed result
        return FunctionStub(name, signature, returns=_result(raw, signature, table, name, scope))
    spec = table.required_table(name)
    spec.check_keys(("returns", "in_turn", "by_args", "default", "raises"))
    modes = [k for k in ("returns", "in_turn", "by_args", "raises") if k in spec]
    if len(modes) > 1:
        raise spec.error(None, f"give one of returns, in_turn, by_args or raises, not {' and '.join(modes)}")
    if "default" in spec and modes != ["by_args"]:
        raise spec.error("default", "`default` goes with `by_args`")
    if not modes and not T.is_nullable(signature.result):
        raise spec.error(None, f"say what `{name}` returns: returns, in_turn, by_args or raises")
    if "raises" in spec:
        return FunctionStub(name, signature, raises=spec.text("raises"))
    if "in_turn" in spec:
        values = spec.get("in_turn", list)
        return FunctionStub(
            name,
            signature,
            in_turn=tuple(_result(v, signature, spec, f"in_turn[{i}]", scope) for i, v in enumerate(values)),
        )
    if "by_args" in spec:
        cases = spec.required_table("by_args")
        by_args = tuple(
            (_arguments(key, signature, cases), _result(value, signature, cases, key, scope))
            for key, value in cases.items()
        )
        default = _result(spec.data["default"], signature, spec, "default", scope) if "default" in spec else MISSING
        return FunctionStub(name, signature, by_args=by_args, default=default)
    returns = _result(spec.data["returns"], signature, spec, "returns", scope) if "returns" in spec else None
    return FunctionStub(name, signature, returns=returns)


def _result(raw, signature: FunctionSignature, table: Table, key: str, scope: TestScope):
    return scope.value(raw, signature.result, table, key)


def _arguments(key: str, signature: FunctionSignature, table: Table) -> list:
    """A `by_args` key: the argument itself for a one-text-parameter function,
    else the JSON array of the arguments (`'["sales", 3]'`)."""
    params = signature.params
    if len(params) == 1 and (
        T.is_textual(T.strip_null(params[0][1])) or isinstance(T.strip_null(params[0][1]), T.EnumType)
    ):
        return [key]
    try:
        args = json.loads(key)
    except ValueError:
        args = MISSING
    if len(params) == 1 and args is not MISSING and not isinstance(args, list):
        args = [args]
    if not isinstance(args, list) or len(args) != len(params):
        shown = ", ".join(f"{n}: {t}" for n, t in params)
        raise table.error(
            key,
            f"a key of `by_args` is the JSON array of the {len(params)} argument(s) ({shown}), like '[\"sales\", 3]'",
        )
    return args


def _webhook_stub(item: Table) -> WebhookStub:
    item.check_keys(("url", "method", "status", "answer", "times"), required=("url",))
    status = item.get("status", int, default=200)
    if not 100 <= status <= 599:
        raise item.error("status", f"{status} is not an HTTP status")
    times = item.get("times", int, default=None)
    if times is not None and times < 1:
        raise item.error("times", "expected at least 1")
    method = item.text("method", default=None)
    return WebhookStub(
        item.text("url"), method.upper() if method else None, status, plain_toml(item.data.get("answer")), times
    )


# ---- steps -----------------------------------------------------------------------------------------
def _step(item: Table, scope: TestScope, folder: Path):
    actions = [k for k in STEP_ACTIONS if k in item]
    if len(actions) != 1:
        item.check_keys(STEP_ACTIONS + ("contact", "record", "at", "data", "id", "rejected", "fired"))
        found = " and ".join(f"`{a}`" for a in actions) or "none"
        raise item.error(None, f"a step does one thing: {', '.join(STEP_ACTIONS)} (found {found})")
    action = actions[0]
    where = item.path
    if action == "event":
        return _event_step(item, scope)
    if action in ("advance", "until", "deliver"):
        item.check_keys((action,))
        if action == "deliver":
            if item.get("deliver", bool) is not True:
                raise item.error("deliver", "write `deliver = true`")
            return DeliverStep(where)
        if action == "advance":
            try:
                return ClockStep(where, by=parse_duration(item.text("advance")))
            except InputError as error:
                raise item.error("advance", error.message) from None
        return ClockStep(where, to=_moment(item, "until", scope))
    if action == "expect":
        item.check_keys(("expect",))
        return ExpectStep(where, parse_expectations(item.required_table("expect"), scope))
    item.check_keys((action, "rejected"))
    path = folder / item.text(action)
    if not path.is_file():
        raise item.error(action, f"no file {item.text(action)} next to the test file (looked for {path})")
    rejected = {}
    spec = item.table("rejected")
    for number, _reason in spec.items() if spec is not None else ():
        assert spec is not None
        if not number.isdigit():
            raise spec.error(number, "a key of `rejected` is a line (or row) number")
        rejected[int(number)] = spec.text(number)
    return FileStep(where, action, path, rejected)


def _event_step(item: Table, scope: TestScope) -> EventStep:
    item.check_keys(("event", "contact", "record", "at", "data", "id", "rejected", "fired"))
    schema = scope.event(item.text("event"), item, "event")
    if "contact" in item and "record" in item:
        raise item.error(None, "give `contact` or `record`, not both")
    target_key = "record" if "record" in item else "contact"
    target = None
    if target_key in item:
        text = item.text(target_key)
        target = Ref.of(text)
        object_type = scope.type_of(target, item, target_key)
        if object_type != schema.object_type:
            raise item.error(target_key, f"event `{schema.name}` is about a {schema.object_type}, not a {object_type}")
    if target is None:
        wanted = "the contact's email (or an alias)" if schema.object_type == "contact" else f"the {schema.object_type}"
        raise item.error(None, f"`{'contact' if schema.object_type == 'contact' else 'record'}` is required: {wanted}")
    raw = item.get("data", dict, default={})
    data_table = Table(raw, item.key_path("data"), item.where)
    if schema.name == "upsert":
        data = scope.properties("contact", data_table, writing=True)
    else:
        data = {}
        for field, value in raw.items():
            if field not in schema.fields:
                raise data_table.error(
                    field,
                    f"event `{schema.name}` has no field `{field}` (it has {', '.join(schema.fields) or 'no fields'})",
                )
            data[field] = scope.value(value, schema.fields[field], data_table, field)
        missing = [f for f, t in schema.fields.items() if f not in raw and not T.is_nullable(t)]
        if missing:
            raise item.error("data", f"event `{schema.name}` needs {', '.join(missing)}")
    fired = item.texts("fired", default=None)
    key = item.get("id", str, int, default=None)
    return EventStep(
        item.path,
        schema.name,
        target,
        _moment(item, "at", scope),
        data,
        str(key) if key is not None else None,
        item.text("rejected", default=None),
        tuple(fired) if fired is not None else None,
    )
