"""`:show`: one record as text: its properties (unset ones too, as null), its
lists and its history, every value written as a script would write it."""

from __future__ import annotations

from leadflow.check import types as T
from leadflow.values import show


def show_record(engine, record_id: int) -> str:
    view = engine.record(record_id)
    schema = engine.checked.objects.get(view.type)
    types = {name: p.type for name, p in schema.properties.items() if p.reverse_of is None} if schema else {}
    names = list(types) + [name for name in view.properties if name not in types]  # in declaration order
    width = max(map(len, names), default=0)
    lines = [engine.store.get_record(record_id).label()]
    lines += [f"  {name:<{width}} = {show(view.properties.get(name), types.get(name))}" for name in names]
    lines.append("lists: " + (", ".join(view.lists) or "none"))
    lines.append("history:")
    lines += [f"  {show(h.at)}  {_change(h, types)}  [{h.cause}]" for h in view.history]
    return "\n".join(lines)


def _change(entry, types: dict[str, T.Type]) -> str:
    if entry.kind == "created":
        return "created {" + ", ".join(f"{k}: {show(v, types.get(k))}" for k, v in entry.new.items()) + "}"
    if entry.kind == "set":
        kind = types.get(entry.field)
        return f"set {entry.field}: {show(entry.old, kind)} -> {show(entry.new, kind)}"
    if entry.kind == "list_add":
        return f"added to {entry.field}"
    if entry.kind == "list_remove":
        return f"removed from {entry.field}"
    return entry.kind
