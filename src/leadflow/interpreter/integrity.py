"""What input must agree with in the store, beyond its types: a record
reference names an existing record of its declared type, and an email
belongs to one contact at most.

Both are checked inside the event's unit, so they see the records that
earlier events of the same batch created or changed. `Engine.emit`,
`emit_many` (so `leadflow run`), `import_rows` and `leadflow test` all go
through `Engine._emit`, which is where references are checked; emails are
claimed by every write of a contact's email (transaction.py). The store
enforces the email rule too, with a unique index (store/schema.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadflow.check import types as T
from leadflow.errors import InputError
from leadflow.store.base import Record, Store


def reference_fields(fields: dict[str, T.Type]) -> dict[str, T.Type]:
    """The fields whose values hold record references (an object type, or a list or
    record type with one inside), so a payload without any costs nothing to check."""
    return {name: t for name, t in fields.items() if _holds_references(t)}


def _holds_references(t: T.Type) -> bool:
    t = T.strip_null(t)
    if isinstance(t, T.ObjectType):
        return True
    if isinstance(t, T.ListType):
        return _holds_references(t.element)
    if isinstance(t, T.RecordType):
        return any(_holds_references(field) for _, field in t.fields)
    return False


def references(value: Any, t: T.Type, where: str) -> Iterator[tuple[str, str, int]]:
    """(where, object type, id) for every record reference in a coerced value of type `t`."""
    t = T.strip_null(t)
    if value is None:
        return
    if isinstance(t, T.ObjectType):
        yield where, t.name, value
    elif isinstance(t, T.ListType):
        for i, item in enumerate(value):
            yield from references(item, t.element, f"{where}[{i}]")
    elif isinstance(t, T.RecordType):
        for name, field in t.fields:
            yield from references(value.get(name), field, f"{where}.{name}")


def check_references(store: Store, payload: dict[str, Any], fields: dict[str, T.Type], prefix: str) -> None:
    """Raise InputError unless every reference in `payload` names a stored record of its type.

    `fields` are the payload's reference fields (`reference_fields`)."""
    for field, t in fields.items():
        for where, object_type, record_id in references(payload.get(field), t, f"{prefix}.{field}"):
            record = store.get_record(record_id)
            if record is None:
                raise InputError(f"{where}: there is no {object_type} with id {record_id}")
            if record.type != object_type:
                raise InputError(f"{where}: record {record_id} is a {record.type}, not a {object_type}")


def email_owner(store: Store, email: object, record_id: int | None) -> Record | None:
    """The contact other than `record_id` that has `email`, or None."""
    if email is None:
        return None
    owner = store.find_by("contact", "email", email)
    return owner if owner is not None and owner.id != record_id else None
