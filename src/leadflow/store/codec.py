"""How SQLite stores values and timestamps: one place for both encodings.

Runtime values go through `to_json_value`, so props, event data, payloads and
meta keep their dates, times and durations. Our own timestamps (created_at,
next_attempt_at, ...) are fixed-width UTC ISO text instead: string order is
then time order, so plain indexes serve "due before" and "since" queries.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

# The C accelerators are not in typeshed (private names of the json package).
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from json.scanner import c_make_scanner  # type: ignore[attr-defined]
from typing import Any, overload

import orjson

from leadflow.errors import InputError
from leadflow.values import datetime_text, from_json_value, to_json_value


# One event passes the same `at` to every store call it makes; remembering
# recent conversions saves most of the astimezone + isoformat work.
@functools.lru_cache(maxsize=256)
def utc_text(moment: dt.datetime) -> str:
    """Fixed-width UTC ISO text, e.g. 2024-05-01T09:30:00.000000+00:00."""
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise InputError(f"expected a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


@overload
def parse_utc(text: str) -> dt.datetime: ...
@overload
def parse_utc(text: None) -> None: ...
def parse_utc(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


# orjson writes most values (a record's props, event data) in a fifth of the
# time the standard library's C encoder takes, and writes the same JSON but
# for the spelling of some floats (1e16, not 1e+16). It would write other
# types the standard encoder refuses: dates and subclasses are passed through
# to fail, and so to take the standard path.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
# The standard path, built once: json.dumps with any option builds a new
# encoder on every call. NaN and infinities are refused: SQLite's JSON
# functions reject them, and the email index reads every props document.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
# JSONEncoder.encode still builds a C encoder per call; this one is built
# once. It has no circular-reference check (a shared memo would keep the ids
# of a failed call), which costs nothing: every value has been through
# to_json_value, and a cycle already fails there with RecursionError.
_C_ENCODER = c_make_encoder and c_make_encoder(
    None, _ENCODER.default, encode_basestring, None, ":", ",", False, False, False
)


_SCALAR_JSON = {None: "null", True: "true", False: "false"}
JSON_SCALARS = frozenset({str, int, float, bool, type(None)})  # to_json_value leaves these as they are


def encode_json(value: Any) -> str:
    """Compact JSON of an already `to_json_value`-encoded value."""
    # History stores old and new value of every change, mostly small scalars;
    # the encoder's general path costs several microseconds for each.
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if value is None or kind is bool:
        return _SCALAR_JSON[value]
    if kind is str:
        return encode_basestring(value)
    if kind is dict and len(value) == 1 and type(value.get("$datetime")) is str:  # a stored datetime
        return _datetime_json(value["$datetime"])
    try:
        text = orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
        # orjson writes NaN and infinities as null; the standard path refuses them.
        # (Searching the text is faster than searching the bytes.)
        if "null" not in text:
            return text
    except orjson.JSONEncodeError:  # what it cannot write (big ints, lone surrogates, other types)
        pass
    try:
        return "".join(_C_ENCODER(value, 0)) if _C_ENCODER else _ENCODER.encode(value)
    except (TypeError, ValueError) as error:
        raise InputError(f"cannot store {value!r}: {error}") from None


def _datetime_json(iso: str) -> str:
    """The JSON of {"$datetime": iso} (to_json_value's tag), without the C encoder's
    overhead: history holds many."""
    return f'{{"$datetime":{encode_basestring(iso)}}}'


def dump_value(value: Any) -> str:
    """encode_json(to_json_value(value)), with shortcuts for the values history holds most."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:  # a property not set before, or cleared
        return "null"
    if kind is dt.datetime:  # as encode_json would write it, without the dict on the way
        return _datetime_json(datetime_text(value))
    if kind is dict:  # event data, mostly JSON already: then no copy on the way
        for item in value.values():
            if type(item) not in JSON_SCALARS:
                break
        else:
            return encode_json(value)
    return encode_json(to_json_value(value))


def load_value(text: str) -> Any:
    return from_json_value(decode_json(text))


# json.loads wraps the C scanner in three Python calls, a cost paid for every
# record a batch reads; text the store wrote holds one value and nothing else.
_SCANNER = c_make_scanner and c_make_scanner(json.JSONDecoder())


def decode_json(text: str) -> Any:
    """json.loads(text), for the JSON text the store writes."""
    if _SCANNER is not None:
        try:
            value, end = _SCANNER(text, 0)
            if end == len(text):
                return value
        except StopIteration:  # no value at all: json.loads says so
            pass
    return json.loads(text)


def email_of(props: dict[str, Any]) -> Any:
    """The value for the indexed email column (schema.py): the encoded property if scalar."""
    email = props.get("email")
    return email if isinstance(email, (str, int, float)) else None


def json_path(field: str) -> str:
    """The SQLite JSON path of a top-level property, quoted so any name works."""
    if '"' in field:
        raise InputError(f"invalid property name {field!r}")
    return f'$."{field}"'


def storable(text: str) -> str:
    """`text`, if SQLite can take it: a lone surrogate has no UTF-8 form.

    For a batch, which binds its rows only when it flushes: a failure then
    could not be pinned on the unit that wrote the row.
    """
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError as error:
            raise InputError(f"cannot store {text!r}: {error.reason}") from None
    return text


def storable_name(value: str) -> str:
    """A key, event name, field or cause, checked as `storable`, and text."""
    if type(value) is not str:
        raise InputError(f"expected text, got {value!r}")
    return storable(value)


def storable_names(*values: str) -> None:
    """`storable_name` of each value; all-ASCII text, the usual case, in one test."""
    try:
        if "".join(values).isascii():
            return
    except TypeError:  # not all text: the loop says which
        pass
    for value in values:
        storable_name(value)


def apply_changes(
    props: dict[str, Any], changes: list[tuple[str, Any, Any, str]]
) -> tuple[dict[str, Any], list[tuple[str, str, str, str]]]:
    """Stored (encoded) props with the engine's changes (field, old, new, cause)
    applied in order, as a new dict (a new value of None removes the property);
    and each change as history keeps it: (field, old JSON, new JSON, cause).

    Only what changed is encoded. A new datetime is formatted once for both
    (isoformat with an offset costs over a microsecond), and an old value is
    written from its stored encoding, which the engine's old value was decoded
    from, rather than encoded again."""
    new_props = dict(props)
    rows = []
    for field, old, new, cause in changes:
        stored = new_props.get(field)
        old_text = dump_value(old) if stored is None else encode_json(stored)
        if new is None:
            new_props.pop(field, None)
            new_text = "null"
        else:
            encoded = new if type(new) in JSON_SCALARS else to_json_value(new)
            new_props[field] = encoded
            new_text = encode_json(encoded)
        rows.append((field, old_text, new_text, cause))
    return new_props, rows


def merge_changes(props: dict[str, Any], changes: dict[str, Any]):
    """Apply `changes` (runtime values) to `props` (stored, encoded form).

    A change counts as the language sees it: the same instant in another zone
    is no change, but 1 -> true or 1 -> 1.0 is; None removes the property.
    Returns (the new encoded props, or None when nothing changed; {field: (old,
    new)} decoded; [(field, old JSON, new JSON)] for history rows).
    """
    new_props = None
    changed: dict[str, tuple[Any, Any]] = {}
    diffs: list[tuple[str, str, str]] = []
    for field, value in changes.items():
        new = to_json_value(value)
        old = props.get(field)
        old_value, new_value = from_json_value(old), from_json_value(new)
        if old_value == new_value and type(old_value) is type(new_value):
            continue
        if new_props is None:
            new_props = dict(props)
        if new is None:
            del new_props[field]
        else:
            new_props[field] = new
        changed[field] = (old_value, new_value)
        diffs.append((field, encode_json(old), encode_json(new)))
    return new_props, changed, diffs
