"""How the language server writes types, signatures and events, the same in
hover and in completion details. Enums are shown with their members (the
checker's messages name them, `lifecycle's enum`, which says little in a
tooltip)."""

from __future__ import annotations

from leadflow.check import types as T
from leadflow.check.program import CheckedProgram, EventSchema
from leadflow.stdlib import REGISTRY
from leadflow.stdlib import describe as describe_builtin


def type_text(t: T.Type) -> str:
    if isinstance(t, T.Nullable):
        return type_text(t.inner) + "?"
    if isinstance(t, T.EnumType):
        return "enum { " + ", ".join(t.members) + " }"
    if isinstance(t, T.ListType):
        return f"list<{type_text(t.element)}>"
    if isinstance(t, T.RecordType):
        return "{" + ", ".join(f"{n}: {type_text(f)}" for n, f in t.fields) + "}"
    return str(t)


def signature_text(model: CheckedProgram, name: str) -> str | None:
    """`fn f(x: number) -> number`, `extern fn ...`, or a builtin's signature; None if unknown."""
    signature = model.functions.get(name) or model.externs.get(name)
    if signature is not None:
        params = ", ".join(f"{n}: {type_text(t)}" for n, t in signature.params)
        kind = "extern fn" if name in model.externs else "fn"
        return f"{kind} {name}({params}) -> {type_text(signature.result)}"
    builtin = REGISTRY.get(name)
    return describe_builtin(builtin) if builtin is not None else None


def event_text(schema: EventSchema) -> str:
    on = f" on {schema.object_type}" if schema.object_type != "contact" else ""
    fields = ", ".join(f"{n}: {type_text(t)}" for n, t in schema.fields.items())
    return f"event {schema.name}{on} {{ {fields} }}" if fields else f"event {schema.name}{on}"
