"""What a test file may name: the declarations of the script it tests.

A test that names an event, property, list, workflow, email or host function
the script does not declare is a mistake in the test file, reported before
anything runs, with a "did you mean" like the checker's. Values are
converted to the declared types here too, so `score = "high"` is reported
with its key rather than as a failure at run time.
"""

from __future__ import annotations

import datetime as dt

import attrs

from leadflow.check import types as T
from leadflow.check.program import CheckedProgram, Property
from leadflow.diagnostics import did_you_mean
from leadflow.errors import InputError
from leadflow.testing.reader import Ref, Table, to_runtime

# Keys of `expect` that are not records.
GLOBAL_EXPECTATIONS = ("emails", "notifications", "webhooks", "count", "calls")


@attrs.define
class TestScope:
    __test__ = False  # not a pytest test class

    checked: CheckedProgram
    timezone: dt.tzinfo
    aliases: dict[str, str] = attrs.field(factory=dict)  # alias -> object type
    given_emails: set[str] = attrs.field(factory=set)  # of the contacts given so far

    def _known(self, kind: str, name: str, known, table: Table, key: str | None) -> None:
        if name not in known:
            guess = did_you_mean(name, known)
            hint = (
                f"; did you mean `{guess}`?"
                if guess
                else f" (the script declares {', '.join(sorted(known)) or 'none'})"
            )
            raise table.error(key, f"the script has no {kind} `{name}`{hint}")

    def event(self, name: str, table: Table, key: str):
        self._known("event", name, self.checked.events, table, key)
        return self.checked.events[name]

    def list_name(self, name: str, table: Table, key: str | None) -> str:
        self._known("list", name, self.checked.lists, table, key)
        return name

    def workflow(self, name: str, table: Table, key: str | None) -> str:
        self._known("workflow", name, self.checked.workflows, table, key)
        return name

    def template(self, name: str, table: Table, key: str) -> str:
        self._known("email", name, self.checked.emails, table, key)
        return name

    def extern(self, name: str, table: Table, key: str | None):
        self._known("extern fn", name, self.checked.externs, table, key)
        return self.checked.externs[name]

    def object_type(self, name: str, table: Table, key: str | None) -> str:
        self._known("object", name, self.checked.objects, table, key)
        return name

    def prop(self, object_type: str, name: str, table: Table, key: str | None, *, writing: bool = False) -> Property:
        properties = self.checked.objects[object_type].properties
        if name not in properties:
            guess = did_you_mean(name, properties)
            hint = f"; did you mean `{guess}`?" if guess else ""
            raise table.error(key, f"{object_type} has no property `{name}`{hint}")
        prop = properties[name]
        if writing and prop.readonly:
            raise table.error(key, f"`{name}` is read-only: the store sets it")
        return prop

    def type_of(self, ref: Ref, table: Table, key: str | None) -> str:
        """The object type of the record a reference names."""
        if ref.is_email:
            return "contact"
        label = ref.label()
        if label is not None:
            return self.object_type(label[0], table, key)
        if ref.text not in self.aliases:
            known = ", ".join(sorted(self.aliases)) or "none"
            raise table.error(
                key,
                f"`{ref.text}` is not an email, an alias given with `as` (aliases: {known}) or a record like `deal 3`",
            )
        return self.aliases[ref.text]

    def value(self, raw, type_: T.Type, table: Table, key: str):
        """A TOML value as a runtime value of `type_` (record references stay `Ref`s)."""
        try:
            value = to_runtime(raw, type_, table.key_path(key), self.timezone)
        except InputError as error:
            raise table.where.error(None, error.message) from None
        if isinstance(value, Ref):
            record_type = T.strip_null(type_)
            assert isinstance(record_type, T.ObjectType)  # to_runtime makes a Ref for a record type only
            target = record_type.name
            if self.type_of(value, table, key) != target:
                raise table.error(key, f"`{value.text}` is not a {target}")
        return value

    def properties(self, object_type: str, table: Table, skip: tuple[str, ...] = (), *, writing: bool = False) -> dict:
        """The table's keys (but `skip`) as properties of `object_type`, converted."""
        values = {}
        for key, raw in table.items():
            if key in skip:
                continue
            prop = self.prop(object_type, key, table, key, writing=writing)
            values[key] = self.value(raw, prop.type, table, key)
        return values
