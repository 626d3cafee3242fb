"""Tab completion: what may come at the cursor, from the loaded program.

`complete(session, text)` looks at the text before the cursor: a `:` starts
a command name; a command's argument completes with what that command
takes (event names for `:emit`, rule names for `:explain`, emails for
`:contact`, list names for `:list`, files for `:load`); anywhere else the
word being typed is a name in an expression: the chosen record's
properties, `let` bindings, constants, functions, enum members and
keywords. After `NAME.` it completes the fields of what NAME is, after a
number the units of a duration.

The prompt_toolkit adapter at the bottom only wraps this, so tests check
the completions themselves.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator

import attrs
from prompt_toolkit.completion import Completer, Completion

from leadflow.check import types as T
from leadflow.stdlib import REGISTRY, describe

KEYWORDS = (
    "true",
    "false",
    "null",
    "and",
    "or",
    "not",
    "in",
    "is",
    "known",
    "unknown",
    "if",
    "then",
    "else",
    "match",
    "let",
)
UNITS = ("minutes", "hours", "days", "weeks", "months", "years")
MOST_RECORDS = 5000  # a big store is not read whole to complete an email
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


@attrs.frozen
class Candidate:
    text: str
    meta: str = ""


def complete(session, text: str) -> tuple[str, list[Candidate]]:
    """(the word being completed, its completions) for the text before the cursor."""
    command = re.fullmatch(r"\s*:(\w*)", text)
    if command:
        from leadflow.repl.session import COMMANDS

        return ":" + command[1], [
            Candidate(":" + name, c.help) for name, c in COMMANDS.items() if name.startswith(command[1])
        ]
    argument = re.fullmatch(r"\s*:(\w+)\s+(.*)", text, re.S)
    if argument and argument[1] in ARGUMENTS:
        word = argument[2]
        if argument[1] == "load":
            word = word.split()[-1] if word and not word[-1].isspace() else ""
            return word, list(_files(word))
        if argument[1] != "emit" or " " not in word:  # `:emit EVENT {data...}` completes names in the data
            # a rule's name may be typed without its quotes
            return word, [
                c for c in ARGUMENTS[argument[1]](session) if c.text.startswith(word) or c.text.startswith('"' + word)
            ]
    return _expression(session, text)


def complete_safely(session, text: str) -> tuple[str, list[Candidate]]:
    """`complete`, except that a failure (a store gone away...) offers nothing: a
    completion must never break the prompt."""
    try:
        return complete(session, text)
    except Exception:
        return "", []


def _expression(session, text: str) -> tuple[str, list[Candidate]]:
    match = WORD.search(text)
    word = match[0] if match else ""
    before = text[: len(text) - len(word)]
    owner = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*$", before)
    pool: Iterable[Candidate]
    if re.search(r"\d\s+$", before):  # `2 da`: a duration's unit
        pool = [Candidate(unit, "duration unit") for unit in UNITS]
    else:
        pool = _fields(session, owner[1]) if owner else _names(session)
    seen: set[str] = set()
    found = []
    for candidate in pool:
        if candidate.text.startswith(word) and candidate.text not in seen:
            seen.add(candidate.text)
            found.append(candidate)
    return word, found


def _names(session) -> Iterator[Candidate]:
    checked = session.engine.checked
    subject = checked.objects.get(session.object_type())
    yield from (Candidate(name, "let") for name in session.bindings)
    if subject is not None:
        yield from (Candidate(name, f"property: {p.type}") for name, p in subject.properties.items())
        yield Candidate(subject.name, "the chosen record")
    yield from (Candidate(name, "const") for name in checked.consts)
    for signature in itertools.chain(checked.functions.values(), checked.externs.values()):
        yield Candidate(signature.name, signature.text())
    yield from (Candidate(name, describe(builtin)) for name, builtin in REGISTRY.items())
    yield from (Candidate(member, f"member of {kind}") for kind, member in _enum_members(checked))
    yield from (Candidate(word, "keyword") for word in KEYWORDS)


def _enum_members(checked) -> Iterator[tuple[T.EnumType, str]]:
    for schema in checked.objects.values():
        for prop in schema.properties.values():
            kind = T.strip_null(prop.type)
            if isinstance(kind, T.EnumType):
                yield from ((kind, member) for member in kind.members)


def _fields(session, owner: str) -> Iterable[Candidate]:
    """After `owner.`: a constant's name, a record's properties, a record value's fields."""
    checked = session.engine.checked
    if owner == "const":
        return [Candidate(name, "const") for name in checked.consts]
    kind: T.Type | None = None
    if owner in session.bindings:
        kind = session.bindings[owner][1]
    elif owner in checked.objects:
        kind = T.ObjectType(owner)
    else:
        subject = checked.objects.get(session.object_type())
        prop = subject.properties.get(owner) if subject else None
        kind = prop.type if prop else None
    kind = T.strip_null(kind) if kind is not None else None
    if isinstance(kind, T.ObjectType) and kind.name in checked.objects:
        return [Candidate(name, f"property: {p.type}") for name, p in checked.objects[kind.name].properties.items()]
    if isinstance(kind, T.RecordType):
        return [Candidate(name, f"field: {t}") for name, t in kind.fields]
    return []


# ---- command arguments --------------------------------------------------------------------------
def _events(session) -> list[Candidate]:
    return [Candidate(name, f"event on {e.object_type}") for name, e in session.engine.checked.events.items()]


def _rules(session) -> list[Candidate]:
    return [
        Candidate(f'"{info.rule.name}"' if " " in info.rule.name else info.rule.name, "rule")
        for info in session.engine.checked.rules
        if info.rule.name
    ]


def _lists(session) -> list[Candidate]:
    return [Candidate(name, display or "list") for name, display in session.engine.checked.lists.items()]


def _emails(session) -> list[Candidate]:
    records = itertools.islice(session.store.records("contact"), MOST_RECORDS)
    return [Candidate(r.props["email"], f"contact {r.id}") for r in records if r.props.get("email")]


def _files(prefix: str) -> Iterator[Candidate]:
    folder, _, start = prefix.rpartition("/")
    try:
        entries = sorted(os.scandir(folder or "."), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(start) and not entry.name.startswith("."):
            path = (folder + "/" if folder else "") + entry.name
            if entry.is_dir():
                yield Candidate(path + "/", "folder")
            elif entry.name.endswith(".flow"):
                yield Candidate(path, "script")


ARGUMENTS = {"emit": _events, "explain": _rules, "list": _lists, "contact": _emails, "show": _emails, "load": _files}


class ReplCompleter(Completer):
    """prompt_toolkit's side of `complete`."""

    def __init__(self, session):
        self.session = session

    def get_completions(self, document, complete_event):
        word, candidates = complete_safely(self.session, document.text_before_cursor)
        for candidate in candidates:
            yield Completion(candidate.text, -len(word), display_meta=candidate.meta)
