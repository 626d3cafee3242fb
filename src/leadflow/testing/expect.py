"""Expectations: what a test says the store and the outbox hold after its steps.

    [test.expect."ada@example.com"]          # a record: an email, an alias, or `deal 3`
    properties = { lifecycle = "mql" }        # these properties (others may be anything)
    unknown = ["owner"]                       # these properties have no value
    lists = ["engaged"]                       # exactly these lists (or { includes, excludes })
    emails = ["welcome"]                      # emails sent to it, in order
    notifications = [{ channel = "sales" }]   # notifications about it, in order
    enrolled = { nurturing = "goal" }         # its latest run of each workflow named
    history = [{ property = "lifecycle", to = "mql" }]   # changes, in this order

    [test.expect]                             # the whole outbox and store
    emails = [...]  notifications = [...]  webhooks = [...]  count = { deal = 1 }  calls = { f = [[args]] }

Each expectation is parsed against the script (names and value types) and
checked against a finished test's engine, giving `Mismatch`es.
"""

from __future__ import annotations

import json

import attrs

from leadflow.check import types as T
from leadflow.testing.match import Mismatch, matches, same, subset
from leadflow.testing.reader import Ref, Table, kind_of, quote
from leadflow.testing.scope import GLOBAL_EXPECTATIONS, TestScope
from leadflow.values import plain, show

RUN_STATUSES = ("active", "completed", "stopped", "goal", "unenrolled", "error", "not enrolled")


def inline(fields: dict) -> str:
    """`{ template = "welcome", subject = "Hi" }`: how a test file writes a table."""
    return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in fields.items()) + " }" if fields else "{}"


def _quoted(names: list[str]) -> list[str]:
    return [json.dumps(name, ensure_ascii=False) for name in names]


def _toml(value) -> str:
    if isinstance(value, dict):
        return inline(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(plain(value), ensure_ascii=False)


# ---- emails, notifications, webhooks --------------------------------------------------------
@attrs.frozen
class EffectKind:
    name: str  # "email"
    outbox: str  # the kind of its outbox rows: email, notify, webhook
    short: str  # the field a bare text item gives: `emails = ["welcome"]`
    fields: tuple[str, ...]  # what a test can expect of one, in the order shown
    patterns: tuple[str, ...]  # text fields where `*` matches anything

    def project(self, effect) -> dict:
        """An outbox row as the fields a test can expect (`body` of an email is its text)."""
        payload = {**effect.payload, "status": effect.status}
        if self is EMAIL:
            payload["body"] = payload.get("text")
        return {field: payload.get(field) for field in (*self.fields, "record_id")}


EMAIL = EffectKind("email", "email", "template", ("template", "to", "subject", "body"), ("subject", "body"))
NOTIFICATION = EffectKind("notification", "notify", "message", ("channel", "message"), ("message",))
WEBHOOK = EffectKind("webhook", "webhook", "url", ("method", "url", "body", "status"), ("url",))


@attrs.frozen
class EffectItem:
    kind: EffectKind
    fields: dict

    def matches(self, actual: dict) -> bool:
        for key, expected in self.fields.items():
            value = actual.get(key)
            if key in self.kind.patterns and isinstance(expected, str):
                if not matches(expected, value):
                    return False
            elif not subset(expected, value):
                return False
        return True


def render(kind: EffectKind, fields: dict, keys: list[str]) -> str:
    shown = {k: fields.get(k) for k in keys}
    return json.dumps(shown[kind.short], ensure_ascii=False) if keys == [kind.short] else inline(shown)


def parse_effects(kind: EffectKind, table: Table, key: str, scope: TestScope) -> tuple[EffectItem, ...] | None:
    if key not in table:
        return None
    items = []
    for i, raw in enumerate(table.get(key, list)):
        path = f"{key}[{i}]"
        if isinstance(raw, str):
            raw = {kind.short: raw}
        if not isinstance(raw, dict):
            raise table.error(path, f"expected text or a table, got {kind_of(raw)}")
        item = Table(raw, table.key_path(path), table.where)
        item.check_keys(kind.fields)
        fields = {}
        for field in kind.fields:
            if field in raw:
                fields[field] = item.get(field, dict) if field == "body" and kind is WEBHOOK else item.text(field)
        if kind is EMAIL and "template" in fields:
            scope.template(fields["template"], item, "template")
        if kind is EMAIL and "to" in fields:
            fields["to"] = fields["to"].strip().lower()
        if kind is WEBHOOK:
            if "method" in fields:
                fields["method"] = fields["method"].upper()
            if fields.get("status", "sent") not in ("sent", "dead", "pending"):
                raise item.error("status", "expected sent, dead or pending")
        items.append(EffectItem(kind, fields))
    return tuple(items)


def check_effects(what: str, kind: EffectKind, expected: tuple[EffectItem, ...], actual: list[dict]) -> list[Mismatch]:
    if len(expected) == len(actual) and all(e.matches(a) for e, a in zip(expected, actual, strict=True)):
        return []
    keys = [k for k in kind.fields if any(k in e.fields for e in expected)] or [kind.short]
    plural = kind.name + "s"
    if len(expected) != len(actual):
        message = f"expected {len(expected)} {plural if len(expected) != 1 else kind.name}, got {len(actual)}"
    else:
        first = next(i for i, (e, a) in enumerate(zip(expected, actual, strict=True)) if not e.matches(a))
        message = f"{kind.name} {first + 1} differs"
    return [
        Mismatch(
            what,
            message,
            [render(kind, e.fields, keys) for e in expected],
            [render(kind, a, keys) for a in actual],
            sequence=True,
        )
    ]


def outbox(world, kind: EffectKind) -> list[dict]:
    return [kind.project(e) for e in world.engine.store.effects() if e.kind == kind.outbox]


# ---- records -----------------------------------------------------------------------------------
@attrs.frozen
class RunExpect:
    status: str | None
    at: str | None = None
    runs: int | None = None

    def describe(self) -> str:
        parts = [self.status] if self.status else []
        parts += [f"at step {self.at}"] if self.at else []
        parts += [f"{self.runs} run(s)"] if self.runs is not None else []
        return ", ".join(parts)


@attrs.frozen
class HistoryItem:
    fields: dict  # property/from/to, added_to, removed_from, created; by, at

    def matches(self, entry) -> bool:
        actual = history_fields(entry)
        for key, expected in self.fields.items():
            if key == "by":
                if not matches(expected, entry.cause):
                    return False
            elif key not in actual or not same(expected, actual[key]):
                return False
        return True


def history_fields(entry) -> dict:
    if entry.kind == "set":
        return {"property": entry.field, "from": entry.old, "to": entry.new, "at": entry.at}
    if entry.kind == "created":
        return {"created": True, "at": entry.at}
    return {"added_to" if entry.kind == "list_add" else "removed_from": entry.field, "at": entry.at}


@attrs.frozen
class RecordExpect:
    ref: Ref
    path: str
    object_type: str
    properties: dict = attrs.field(factory=dict)
    unknown: tuple[str, ...] = ()
    lists: tuple[str, ...] | None = None
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    emails: tuple[EffectItem, ...] | None = None
    notifications: tuple[EffectItem, ...] | None = None
    enrolled: dict = attrs.field(factory=dict)  # workflow -> RunExpect
    history: tuple[HistoryItem, ...] | None = None

    def check(self, world) -> list[Mismatch]:
        record_id = world.resolve(self.ref)
        if record_id is None:
            return [Mismatch(self.path, f"there is no record {self.ref.text}")]
        record = world.engine.record(record_id)
        found = self._properties(world, record) + self._lists(record)
        if self.emails is not None:
            addresses = {a for a in (record.properties.get("email"), self.ref.text if self.ref.is_email else None) if a}
            sent = [a for a in outbox(world, EMAIL) if a["to"] in addresses]
            found += check_effects(f"{self.path}.emails", EMAIL, self.emails, sent)
        if self.notifications is not None:
            told = [a for a in outbox(world, NOTIFICATION) if a["record_id"] == record_id]
            found += check_effects(f"{self.path}.notifications", NOTIFICATION, self.notifications, told)
        for workflow, wanted in self.enrolled.items():
            found += self._run(world, record, workflow, wanted)
        if self.history is not None:
            found += self._history(record)
        return found

    def _properties(self, world, record) -> list[Mismatch]:
        types = {name: p.type for name, p in world.engine.checked.objects[record.type].properties.items()}
        expected, actual = {}, {}
        for name, value in self.properties.items():
            expected[name] = world.resolve(value) if isinstance(value, Ref) else value
            actual[name] = record.properties.get(name)
        for name in self.unknown:
            expected[name], actual[name] = None, record.properties.get(name)
        wrong = [n for n in expected if not same(expected[n], actual[n])]
        if not wrong:
            return []
        return [
            Mismatch(
                f"{self.path}.properties",
                f"{', '.join(wrong)} differ{'s' if len(wrong) == 1 else ''}",
                [f"{n} = {show(expected[n], types.get(n))}" for n in expected],
                [f"{n} = {show(actual[n], types.get(n))}" for n in expected],
            )
        ]

    def _lists(self, record) -> list[Mismatch]:
        have = sorted(record.lists)
        if self.lists is not None and have != sorted(self.lists):
            return [Mismatch(f"{self.path}.lists", "lists differ", _quoted(sorted(self.lists)), _quoted(have), True)]
        missing = [name for name in self.includes if name not in have]
        extra = [name for name in self.excludes if name in have]
        if missing or extra:
            why = "; ".join(
                ([f"not in {', '.join(missing)}"] if missing else []) + ([f"in {', '.join(extra)}"] if extra else [])
            )
            return [Mismatch(f"{self.path}.lists", why, None, _quoted(have), True)]
        return []

    def _run(self, world, record, workflow: str, wanted: RunExpect) -> list[Mismatch]:
        runs = [(run, log) for run, log in record.runs if run.workflow == workflow]
        what = f"{self.path}.enrolled.{workflow}"
        if not runs:
            actual = RunExpect("not enrolled", None, 0)
        else:
            run, log = runs[-1]
            at = next((e.step for e in reversed(log) if e.step), None) if run.status == "active" else None
            actual = RunExpect(run.status, at, len(runs))
        if wanted.at is not None:
            steps = world.engine.workflows.workflows[workflow].index
            if wanted.at not in steps:
                return [
                    Mismatch(
                        what,
                        f"workflow {workflow} has no step {wanted.at}; its steps are "
                        + ", ".join(p for p in steps if not p.endswith("end")),
                    )
                ]
        ok = (
            (wanted.status is None or wanted.status == actual.status)
            and (wanted.at is None or wanted.at == actual.at)
            and (wanted.runs is None or wanted.runs == actual.runs)
        )
        if ok:
            return []
        shown = RunExpect(
            actual.status,
            actual.at if wanted.at is not None or actual.status == "active" else None,
            actual.runs if wanted.runs is not None else None,
        )
        return [Mismatch(what, "the run differs", [wanted.describe()], [shown.describe()])]

    def _history(self, record) -> list[Mismatch]:
        assert self.history is not None  # checked only when the test expects a history
        entries = iter(record.history)
        for item in self.history:
            if not any(item.matches(entry) for entry in entries):
                keys = [
                    k
                    for k in ("property", "from", "to", "added_to", "removed_from", "created", "at")
                    if any(k in i.fields for i in self.history)
                ]
                lines = []
                for entry in record.history:
                    fields = history_fields(entry)
                    shown = {k: fields[k] for k in keys if k in fields}
                    if shown:
                        lines.append(inline({**shown, "by": entry.cause}))
                return [
                    Mismatch(
                        f"{self.path}.history",
                        f"no change {inline(item.fields)} (in this order)",
                        [inline(i.fields) for i in self.history],
                        lines,
                        True,
                    )
                ]
        return []


def parse_record(ref_text: str, table: Table, scope: TestScope) -> RecordExpect:
    table.check_keys(("properties", "unknown", "lists", "emails", "notifications", "enrolled", "history"))
    ref = Ref.of(ref_text)
    object_type = scope.type_of(ref, table, None)
    properties = scope.properties(object_type, table.required_table("properties")) if "properties" in table else {}
    unknown = table.texts("unknown", default=[])
    for i, name in enumerate(unknown):
        prop = scope.prop(object_type, name, table, f"unknown[{i}]")
        if not T.is_nullable(prop.type):
            raise table.error(f"unknown[{i}]", f"`{name}` has a default, so it always has a value")
    lists, includes, excludes = _parse_lists(table, scope)
    return RecordExpect(
        ref,
        table.path,
        object_type,
        properties,
        tuple(unknown),
        lists,
        includes,
        excludes,
        parse_effects(EMAIL, table, "emails", scope),
        parse_effects(NOTIFICATION, table, "notifications", scope),
        _parse_enrolled(table, scope),
        _parse_history(table, object_type, scope),
    )


def _parse_lists(table: Table, scope: TestScope):
    if "lists" not in table:
        return None, (), ()
    raw = table.get("lists", list, dict)
    if isinstance(raw, list):
        names = table.texts("lists")
        return tuple(scope.list_name(n, table, f"lists[{i}]") for i, n in enumerate(names)), (), ()
    spec = table.required_table("lists")
    spec.check_keys(("includes", "excludes"))
    parts = []
    for key in ("includes", "excludes"):
        names = spec.texts(key, default=[])
        parts.append(tuple(scope.list_name(n, spec, f"{key}[{i}]") for i, n in enumerate(names)))
    return None, parts[0], parts[1]


def _parse_enrolled(table: Table, scope: TestScope) -> dict:
    spec = table.table("enrolled")
    if spec is None:
        return {}
    wanted = {}
    for name, raw in spec.items():
        scope.workflow(name, spec, name)
        if isinstance(raw, str):
            raw = {"status": raw}
        if not isinstance(raw, dict):
            raise spec.error(name, f"expected a status ({', '.join(RUN_STATUSES)}) or a table")
        item = Table(raw, spec.key_path(name), spec.where)
        item.check_keys(("status", "at", "runs"))
        if not raw:
            raise item.error(None, "say what to expect: status, at or runs")
        status = item.text("status", default=None)
        if status is not None and status not in RUN_STATUSES:
            raise item.error("status", f"`{status}` is not a run status; expected one of {', '.join(RUN_STATUSES)}")
        wanted[name] = RunExpect(status, item.text("at", default=None), item.get("runs", int, default=None))
    return wanted


def _parse_history(table: Table, object_type: str, scope: TestScope) -> tuple[HistoryItem, ...] | None:
    if "history" not in table:
        return None
    items = []
    for item in table.tables("history"):
        item.check_keys(("property", "from", "to", "added_to", "removed_from", "created", "by", "at"))
        kinds = [k for k in ("property", "added_to", "removed_from", "created") if k in item]
        if len(kinds) != 1:
            raise item.error(None, "name one change: `property`, `added_to`, `removed_from` or `created`")
        fields: dict = {}
        if "property" in item:
            prop = scope.prop(object_type, item.text("property"), item, "property")
            fields["property"] = prop.name
            for key in ("from", "to"):
                if key in item:
                    fields[key] = scope.value(item.data[key], prop.type, item, key)
        elif "created" in item:
            fields["created"] = item.get("created", bool)
        else:
            key = kinds[0]
            fields[key] = scope.list_name(item.text(key), item, key)
        if "by" in item:
            fields["by"] = item.text("by")
        if "at" in item:
            fields["at"] = scope.value(item.data["at"], T.DATETIME, item, "at")
        items.append(HistoryItem(fields))
    return tuple(items)


# ---- all of it ----------------------------------------------------------------------------------
@attrs.frozen
class Expectations:
    path: str
    records: tuple[RecordExpect, ...] = ()
    emails: tuple[EffectItem, ...] | None = None
    notifications: tuple[EffectItem, ...] | None = None
    webhooks: tuple[EffectItem, ...] | None = None
    count: dict = attrs.field(factory=dict)
    calls: dict = attrs.field(factory=dict)

    def check(self, world) -> list[Mismatch]:
        found: list[Mismatch] = []
        for kind, expected in ((EMAIL, self.emails), (NOTIFICATION, self.notifications), (WEBHOOK, self.webhooks)):
            if expected is not None:
                found += check_effects(f"{self.path}.{kind.name}s", kind, expected, outbox(world, kind))
        for object_type, number in self.count.items():
            actual = world.engine.store.count_records(object_type)
            if actual != number:
                found.append(
                    Mismatch(
                        f"{self.path}.count.{object_type}",
                        f"expected {number} {object_type} record(s), there are {actual}",
                    )
                )
        for name, expected in self.calls.items():
            actual = plain(world.calls.get(name, []))
            if not same(plain(expected), actual):
                found.append(
                    Mismatch(
                        f"{self.path}.calls.{name}",
                        "the calls differ",
                        [_toml(args) for args in expected],
                        [_toml(args) for args in actual],
                        True,
                    )
                )
        for record in self.records:
            found += record.check(world)
        return found


def parse_expectations(table: Table, scope: TestScope) -> Expectations:
    records = []
    for key, raw in table.items():
        if key in GLOBAL_EXPECTATIONS:
            continue
        if not isinstance(raw, dict):
            raise table.error(
                key, f"expected a table of what record {quote(key)} holds (or one of {', '.join(GLOBAL_EXPECTATIONS)})"
            )
        records.append(parse_record(key, table.required_table(key), scope))
    count = {}
    if "count" in table:
        spec = table.required_table("count")
        for name, _ in spec.items():
            scope.object_type(name, spec, name)
            count[name] = spec.get(name, int)
    calls = {}
    if "calls" in table:
        spec = table.required_table("calls")
        for name, _ in spec.items():
            signature = scope.extern(name, spec, name)
            calls[name] = spec.get(name, list)
            for i, args in enumerate(calls[name]):
                if not isinstance(args, list) or len(args) != len(signature.params):
                    raise spec.error(
                        f"{name}[{i}]", f"expected the {len(signature.params)} argument(s) of one call as an array"
                    )
    return Expectations(
        table.path,
        tuple(records),
        parse_effects(EMAIL, table, "emails", scope),
        parse_effects(NOTIFICATION, table, "notifications", scope),
        parse_effects(WEBHOOK, table, "webhooks", scope),
        count,
        calls,
    )
