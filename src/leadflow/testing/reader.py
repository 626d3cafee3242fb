"""Reading a test file's TOML: every value with its key path, every mistake as
a `TestFileError` naming the file, the test and the key.

A typo in a test file must read like a diagnostic, never like a Python
traceback: `nurture.test.toml: test "goal": steps[2].evnt: unknown key
`evnt`; did you mean `event`?`. `Table` wraps one TOML table and checks its
keys and the kinds of its values; `to_runtime` turns a TOML value into the
runtime value of a script type (the text `"5 days"` into a duration, a
local datetime into one in the test's time zone, an email into a record
reference resolved when the test runs).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Any, overload

import attrs

from leadflow.check import types as T
from leadflow.diagnostics import did_you_mean
from leadflow.errors import InputError, LeadflowError
from leadflow.interpreter.coerce import coerce
from leadflow.values import Duration

MISSING: Any = object()

_KINDS = {
    str: "text",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    list: "an array",
    dict: "a table",
    dt.datetime: "a datetime",
    dt.date: "a date",
    dt.time: "a time",
}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(minute|hour|day|week|month|year)s?\b", re.IGNORECASE)
_RECORD_LABEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) (\d+)$")


class TestFileError(LeadflowError):
    """A test file that cannot be read or does not fit the format or its script."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, file: str, message: str, test: str | None = None, key: str | None = None):
        self.file, self.test, self.key = file, test, key
        where = [file] + ([f"test {quote(test)}"] if test is not None else []) + ([key] if key else [])
        super().__init__(": ".join(where) + ": " + message)


@attrs.frozen
class Where:
    """The file and test a value belongs to, for messages."""

    file: str
    test: str | None = None

    def error(self, key: str | None, message: str) -> TestFileError:
        return TestFileError(self.file, message, self.test, key)


@attrs.frozen
class Ref:
    """A record named in a test: an email (a contact), an alias given with `as`,
    or `TYPE ID` (`deal 3`). Resolved to a record id when the test runs."""

    text: str

    @classmethod
    def of(cls, text: str) -> Ref:
        """A reference as written; emails are compared in lower case, as the engine stores them."""
        return cls(text.strip().lower() if "@" in text else text)

    @property
    def is_email(self) -> bool:
        return "@" in self.text

    def label(self) -> tuple[str, int] | None:
        """(`deal`, 3) for `deal 3`."""
        found = _RECORD_LABEL.match(self.text)
        return (found[1], int(found[2])) if found else None


class Table:
    """One TOML table of a test file and its key path (`given.records[0]`)."""

    def __init__(self, data: dict, path: str, where: Where):
        self.data, self.path, self.where = data, path, where

    def key_path(self, key: str) -> str:
        """`given.records[0].score`; a key that is not a bare TOML key is quoted."""
        parts = re.fullmatch(r"(.*?)((?:\[\d+\])*)", key, re.DOTALL)
        assert parts is not None  # any text matches
        name, index = parts.groups()
        shown = (name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else quote(name)) + index
        return f"{self.path}.{shown}" if self.path else shown

    def error(self, key: str | None, message: str) -> TestFileError:
        return self.where.error(self.key_path(key) if key is not None else self.path or None, message)

    def check_keys(self, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        allowed = list(allowed)
        for key in self.data:
            if key not in allowed:
                guess = did_you_mean(key, allowed)
                hint = f"; did you mean `{guess}`?" if guess else f"; expected one of {', '.join(allowed)}"
                raise self.error(key, f"unknown key `{key}`{hint}")
        for key in required:
            if key not in self.data:
                raise self.error(None, f"`{key}` is required")

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, *kinds: type, default: Any = MISSING) -> Any:
        """The value of `key`, which must be of one of `kinds` (bool is never a number)."""
        if key not in self.data:
            if default is MISSING:
                raise self.error(None, f"`{key}` is required")
            return default
        value = self.data[key]
        if not _is_kind(value, kinds):
            raise self.error(key, f"expected {' or '.join(_KINDS[k] for k in kinds)}, got {kind_of(value)}")
        return value

    def text(self, key: str, default: Any = MISSING) -> str:
        return self.get(key, str, default=default)

    def table(self, key: str) -> Table | None:
        value = self.get(key, dict, default=None)
        return Table(value, self.key_path(key), self.where) if value is not None else None

    def tables(self, key: str) -> Iterator[Table]:
        """An array of tables (`[[test]]` or `[{...}, {...}]`)."""
        for i, item in enumerate(self.get(key, list, default=[])):
            path = f"{self.key_path(key)}[{i}]"
            if not isinstance(item, dict):
                raise self.where.error(path, f"expected a table, got {kind_of(item)}")
            yield Table(item, path, self.where)

    def required_table(self, key: str) -> Table:
        """`table(key)` where the caller knows (or requires) the key to be there."""
        table = self.table(key)
        if table is None:
            raise self.error(None, f"`{key}` is required")
        return table

    @overload
    def texts(self, key: str) -> list[str]: ...
    @overload
    def texts(self, key: str, default: list[str]) -> list[str]: ...
    @overload
    def texts(self, key: str, default: None) -> list[str] | None: ...
    def texts(self, key: str, default: Any = MISSING) -> list[str] | None:
        if key not in self.data and default is not MISSING:
            return default
        values = self.get(key, list)
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.where.error(f"{self.key_path(key)}[{i}]", f"expected text, got {kind_of(value)}")
        return values

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(self.data.items())


def _is_kind(value, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, dt.datetime):
        return dt.datetime in kinds
    return any(isinstance(value, k) for k in kinds if k is not bool and k is not dt.datetime)


def kind_of(value) -> str:
    for kind in (bool, dt.datetime, dt.date, dt.time, str, int, float, list, dict):
        if isinstance(value, kind):
            return _KINDS[kind]
    return type(value).__name__


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- values ---------------------------------------------------------------------------------
def parse_duration(text: str) -> Duration:
    """`5 days`, `1 week 2 days`, `90 minutes`: the units of the language's duration literals."""
    total, position = Duration(), 0
    for part in _DURATION_PART.finditer(text):
        if part.start() != position:
            break
        amount = float(part[1]) if "." in part[1] else int(part[1])
        total, position = total + Duration.of(amount, part[2].lower()), part.end()
    if position == 0 or text[position:].strip():
        raise InputError(f'{text!r} is not a duration like "5 days" or "2 hours"')
    return total


def to_runtime(raw, type_: T.Type, where: str, timezone: dt.tzinfo):
    """A TOML value as the runtime value of `type_`; raises InputError with `where`."""
    kind = T.strip_null(type_)
    if isinstance(kind, T.ObjectType):
        if not isinstance(raw, str):
            raise InputError(
                f"{where}: expected a {kind.name} (an email, an alias or `{kind.name} ID`), got {kind_of(raw)}"
            )
        return Ref.of(raw)
    if kind == T.DURATION and isinstance(raw, str):
        return parse_duration(raw)
    return coerce(plain_toml(raw), type_, where, timezone=timezone)


def to_engine(value, resolve):
    """A runtime value as the engine takes it from outside (event data, host results):
    record references as ids, times as `09:00` text."""
    if isinstance(value, Ref):
        return resolve(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [to_engine(v, resolve) for v in value]
    if isinstance(value, dict):
        return {k: to_engine(v, resolve) for k, v in value.items()}
    return value


def to_datetime(raw, where: str, timezone: dt.tzinfo) -> dt.datetime:
    return coerce(raw, T.DATETIME, where, timezone=timezone)


def plain_toml(value):
    """TOML values as event data takes them: times as `09:00` text, the rest unchanged."""
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, list):
        return [plain_toml(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_toml(v) for k, v in value.items()}
    return value
