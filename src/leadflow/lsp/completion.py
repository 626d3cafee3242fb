"""Completion: what may be written at the cursor.

It has to work while the line being typed does not parse, so the text before
the cursor is read as text: a few patterns recognise the places that expect
one kind of name (`add to |` a list, `send email |` an email template,
`set lifecycle = |` a member of lifecycle's enum, `deal.|` a property of a
deal, `when |` an event...), and the names come from the analysis's model,
the last program known for the document. Anywhere else in a rule, the
record's properties, the event, locals, constants and functions are offered.
"""

from __future__ import annotations

import re

import attrs
from lsprotocol.types import CompletionItem, CompletionItemKind, InsertTextFormat, MarkupContent, MarkupKind

from leadflow.check import types as T
from leadflow.check.program import CheckedProgram, EventSchema
from leadflow.lsp.describe import event_text, signature_text, type_text
from leadflow.stdlib import REGISTRY
from leadflow.syntax import ast
from leadflow.syntax.parser import DECLARATION_START
from leadflow.syntax.scan import Region, scan

Kind = CompletionItemKind
DECLARATIONS = ("object", "event", "list", "secret", "email", "const", "type", "extern fn", "fn", "rule", "when")
ACTIONS = (
    "set",
    "clear",
    "increment",
    "decrement",
    "add to",
    "remove from",
    "send email",
    "notify",
    "create",
    "let",
    "do",
    "webhook",
    "if",
)
TRIGGERS = ("matching", "created", "added to", "removed from")
EXPRESSION_WORDS = (
    "and",
    "or",
    "not",
    "in",
    "is known",
    "is unknown",
    "if",
    "then",
    "else",
    "match",
    "true",
    "false",
    "null",
)
PATH = r"([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)"


@attrs.frozen
class Place:
    """Where the cursor is: the declaration around it and the record a rule acts on."""

    keyword: str | None  # the keyword opening the declaration around the cursor
    text: str  # that declaration's text, up to the cursor
    subject: str | None  # the object type of the record, in a rule
    event: EventSchema | None  # the triggering event, in a rule triggered by one


def complete(model: CheckedProgram | None, before: str) -> list[CompletionItem]:
    """Completions for a cursor after the text `before` (the document up to it)."""
    if model is None:
        return []
    # \Z, not $: `$` also matches before a final newline, which would take the word
    # ending the line above for the one being typed
    typed = re.search(r"[A-Za-z_]\w*\Z", before)
    head = before[: typed.start()] if typed else before
    place = _place(model, head)
    if scan(place.text).end in (Region.COMMENT, Region.TEXT):  # scanned from where the declaration starts
        return []
    for pattern, items in _PLACES:
        found = re.search(pattern, place.text)  # the declaration's text: a long file costs nothing more
        if found is not None:
            result = items(model, place, found)
            if result is not None:
                return result
    line = head[head.rfind("\n") + 1 :]
    if not line.strip():
        if not line or place.keyword is None:
            return _keywords(DECLARATIONS)
        if place.keyword in ("rule", "when"):
            return _keywords(ACTIONS)
        return []
    return _expression(model, place)


def _place(model: CheckedProgram, head: str) -> Place:
    starts = list(DECLARATION_START.finditer(head))
    if not starts:
        return Place(None, head, None, None)
    keyword, text = starts[-1].group(1), head[starts[-1].start() :]
    subject = event = None
    if keyword in ("rule", "when"):
        subject = "contact"
        trigger = re.search(r"\bwhen\s+([A-Za-z_]\w*)\s*(\.|created\b)?", text)
        if trigger is not None:
            word = trigger.group(1)
            if word in model.events:
                event = model.events[word]
                subject = event.object_type
            elif word in model.objects and trigger.group(2):
                subject = word
    elif keyword == "email":
        subject = "contact"
    return Place(keyword, text, subject if subject in model.objects else None, event)


# ---- places that expect one kind of name ---------------------------------------------
def _members_after_dot(model, place, found):
    names = [n.strip() for n in found.group(1).split(".")]
    if names == ["const"]:
        return [_item(n, Kind.Constant, type_text(_const_type(model, n))) for n in model.consts]
    shape = T.strip_null(_path_type(model, place, names))
    if isinstance(shape, T.ObjectType):
        return _properties(model, shape.name)
    if isinstance(shape, T.RecordType):
        return [_item(n, Kind.Field, type_text(t)) for n, t in shape.fields]
    return []


def _enum_after(model, place, found):
    """Members of the enum of the value before `==`, `=`, `in [`...; None if it is no enum."""
    names = [n.strip() for n in found.group(1).split(".")]
    enum = T.strip_null(_path_type(model, place, names))
    if not isinstance(enum, T.EnumType):
        return None
    return [_item(m, Kind.EnumMember, type_text(enum), sort=f"0{i:03}") for i, m in enumerate(enum.members)]


def _enum_default(model, place, found):
    return [_item(m.strip(), Kind.EnumMember, "member") for m in found.group(1).split(",") if m.strip()]


def _lists(model, place, found):
    return [_item(n, Kind.Reference, f'list "{d}"' if d else "list") for n, d in model.lists.items()]


def _emails(model, place, found):
    return [_item(n, Kind.Text, "email") for n in model.emails]


def _secrets(model, place, found):
    return [_item(n, Kind.Constant, "secret") for n in sorted(model.secrets)]


def _objects(model, place, found):
    return [_item(n, Kind.Class, "object") for n in model.objects]


def _host_calls(model, place, found):
    return _functions(model, builtins=False)


def _writable(model, place, found):
    if place.subject is None:
        return []
    return [i for i in _properties(model, place.subject) if i.label not in _readonly(model, place.subject)]


def _triggers(model, place, found):
    events = [_item(n, Kind.Event, event_text(s), sort="0") for n, s in model.events.items()]
    objects = [
        _item(n, Kind.Class, "object: `NAME created`, `NAME.PROPERTY changed`", sort="2")
        for n in model.objects
        if n != "contact"
    ]
    return events + _keywords(TRIGGERS, sort="1") + objects + _properties(model, "contact", sort="3")


def _types(model, place, found):
    """After `name:` in a declaration's body or parameters, `->`, `type x =`; None elsewhere
    (`{name: |}` in a rule is a record literal, which takes a value)."""
    in_parameters = place.text.count("(") > place.text.count(")")
    if not (place.keyword in ("object", "event", "type") or in_parameters or found.group(0).lstrip().startswith("->")):
        return None
    aliases = [d.name for d in model.program.decls if isinstance(d, ast.TypeDecl)]
    names = list(T.PRIMITIVES) + list(model.objects) + aliases
    return [_item(n, Kind.TypeParameter, "type") for n in names] + _keywords(("enum", "list"))


def _actions(model, place, found):
    return _keywords(ACTIONS)


# (pattern over the text before the word being typed, what to offer); the first that answers wins.
# Each ends at \Z, the end of the text (`$` would also match before a newline ending it).
_PLACES = [
    (PATH + r"\s*\.\s*\Z", _members_after_dot),
    (r"\b(?:add\s+to|remove\s+from|added\s+to|removed\s+from)\s+\Z", _lists),
    (r"\bsend\s+email\s+\Z", _emails),
    (r"\b(?:auth\s+bearer|sign\s+with)\s+\Z", _secrets),
    (r"\bcreate\s+\Z", _objects),
    (r"\bdo\s+\Z", _host_calls),
    (r"\b(?:set|clear|increment|decrement)\s+\Z", _writable),
    (r"(?:^|\s)when\s+\Z", _triggers),
    (PATH + r"\s+changed\s+(?:from\s+\w+\s+)?(?:from|to)\s+\Z", _enum_after),
    (PATH + r"\s*(?:==|!=|<=|>=|<|>|=)\s*\Z", _enum_after),
    (PATH + r"\s+(?:not\s+)?in\s*\[[^\[\]]*\Z", _enum_after),
    (r"\benum\s*\{([^{}]*)\}\s*=\s*\Z", _enum_default),
    (r"(?m)(?:->|(?:^|[({,])\s*\w+\s*:|\btype\s+\w+\s*=)\s*\Z", _types),
    (r"\bthen\s*\{?\s*\Z", _actions),
]


# ---- expressions -----------------------------------------------------------------------
def _expression(model: CheckedProgram, place: Place) -> list[CompletionItem]:
    items = []
    if place.subject is not None:
        items += _properties(model, place.subject, sort="0")
    if place.event is not None:
        items.append(_item("event", Kind.Variable, event_text(place.event), sort="1"))
    items += [_item(n, Kind.Variable, "local", sort="1") for n in _locals(place.text)]
    items += [_item(n, Kind.Constant, type_text(_const_type(model, n)), sort="2") for n in model.consts]
    items += _functions(model, builtins=True)
    return items + _keywords(EXPRESSION_WORDS, sort="4")


def _locals(text: str) -> list[str]:
    found = re.findall(r"\blet\s+([A-Za-z_]\w*)|\bas\s+([A-Za-z_]\w*)\s*(?!:)|\bfor\s+([A-Za-z_]\w*)\s+in\b", text)
    names = [next(g for g in groups if g) for groups in found]
    params = re.match(r"\s*fn\s+\w+\s*\(([^)]*)", text)
    if params:
        names += re.findall(r"([A-Za-z_]\w*)\s*:", params.group(1))
    return list(dict.fromkeys(names))


def _path_type(model: CheckedProgram, place: Place, names: list[str]) -> T.Type:
    """The type of `a.b.c` written in the place, as far as the model tells."""
    first, rest = names[0], names[1:]
    if first == "event" and place.event is not None:
        current: T.Type = T.RecordType(tuple(place.event.fields.items()))
    elif place.subject is not None and first in model.objects[place.subject].properties:
        current = model.objects[place.subject].properties[first].type
    elif first in model.objects:
        current = T.ObjectType(first)
    elif (created := re.search(rf"\bcreate\s+(\w+)\s*\{{[^{{}}]*\}}\s*as\s+{first}\b", place.text)) is not None:
        current = T.ObjectType(created.group(1))
    else:
        return T.ANY
    for name in rest:
        shape = T.strip_null(current)
        if isinstance(shape, T.ObjectType) and shape.name in model.objects:
            prop = model.objects[shape.name].properties.get(name)
            current = prop.type if prop is not None else T.ANY
        elif isinstance(shape, T.RecordType):
            current = shape.field(name) or T.ANY
        else:
            return T.ANY
    return current


# ---- items -------------------------------------------------------------------------------
def _item(
    label: str, kind: CompletionItemKind, detail: str = "", sort: str = "5", doc: str = "", **more
) -> CompletionItem:
    documentation = MarkupContent(kind=MarkupKind.Markdown, value=doc) if doc else None
    return CompletionItem(
        label=label, kind=kind, detail=detail or None, sort_text=sort + label, documentation=documentation, **more
    )


def _keywords(words, sort: str = "4") -> list[CompletionItem]:
    return [_item(w, Kind.Keyword, sort=sort) for w in words]


def _properties(model: CheckedProgram, object_type: str, sort: str = "0") -> list[CompletionItem]:
    schema = model.objects.get(object_type)
    if schema is None:
        return []
    return [_item(p.name, Kind.Property, type_text(p.type), sort=sort) for p in schema.properties.values()]


def _readonly(model: CheckedProgram, object_type: str) -> set[str]:
    return {p.name for p in model.objects[object_type].properties.values() if p.readonly}


def _functions(model: CheckedProgram, builtins: bool) -> list[CompletionItem]:
    # Every name here is declared or built in, so each has a signature ("" never shows).
    items = [
        _call_item(name, signature_text(model, name) or "", "", "2") for name in (*model.functions, *model.externs)
    ]
    if builtins:
        items += [_call_item(name, signature_text(model, name) or "", b.doc, "3") for name, b in REGISTRY.items()]
    return items


def _call_item(name: str, signature: str, doc: str, sort: str) -> CompletionItem:
    # `name($1)`: the cursor lands between the parentheses, in clients that take snippets
    return _item(
        name,
        Kind.Function,
        signature,
        sort=sort,
        doc=doc,
        insert_text=f"{name}($1)",
        insert_text_format=InsertTextFormat.Snippet,
    )


def _const_type(model: CheckedProgram, name: str) -> T.Type:
    decl = model.consts.get(name)
    return model.types.get(id(decl.value), T.ANY) if decl is not None else T.ANY
