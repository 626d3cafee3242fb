"""Leadflow's static types.

Types are frozen attrs values compared structurally. `Nullable(T)` is `T?`;
a declared property without a default is nullable. `ANY` stands where an
error was already reported, so one mistake does not cascade into many.
Text kinds (email, phone, url) are subtypes of text: usable wherever text is.
"""

from __future__ import annotations

import attrs


class Type:
    def __str__(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


@attrs.frozen
class Primitive(Type):
    name: str

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class EnumType(Type):
    members: tuple[str, ...]
    name: str | None = attrs.field(default=None, eq=False)

    def __str__(self) -> str:
        return self.name or "enum { " + ", ".join(self.members) + " }"


@attrs.frozen
class ListType(Type):
    element: Type

    def __str__(self) -> str:
        return f"list<{self.element}>"


@attrs.frozen
class RecordType(Type):
    fields: tuple[tuple[str, Type], ...]

    def field(self, name: str) -> Type | None:
        for field_name, field_type in self.fields:
            if field_name == name:
                return field_type
        return None

    def __str__(self) -> str:
        return "{" + ", ".join(f"{n}: {t}" for n, t in self.fields) + "}"


@attrs.frozen
class ObjectType(Type):
    """A reference to a stored record of a declared object type (contact, deal...)."""

    name: str

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class Nullable(Type):
    inner: Type

    def __str__(self) -> str:
        return f"{self.inner}?"


@attrs.frozen
class TypeVar(Type):
    """A placeholder in a generic standard-library signature (list<T> -> T)."""

    name: str

    def __str__(self) -> str:
        return self.name


TEXT = Primitive("text")
NUMBER = Primitive("number")
BOOL = Primitive("bool")
DATE = Primitive("date")
DATETIME = Primitive("datetime")
TIME = Primitive("time")
DURATION = Primitive("duration")
EMAIL = Primitive("email")
PHONE = Primitive("phone")
URL = Primitive("url")
NULL = Primitive("null")
ANY = Primitive("any")  # after an error, or a value the checker cannot know
VOID = Primitive("void")  # the result of a host function called for effect

TEXT_KINDS = (EMAIL, PHONE, URL)
PRIMITIVES = {t.name: t for t in (TEXT, NUMBER, BOOL, DATE, DATETIME, TIME, DURATION, EMAIL, PHONE, URL)}


def strip_null(t: Type) -> Type:
    return t.inner if isinstance(t, Nullable) else t


def nullable(t: Type) -> Type:
    if isinstance(t, Nullable) or t in (NULL, ANY):
        return t
    return Nullable(t)


def is_nullable(t: Type) -> bool:
    return isinstance(t, Nullable) or t == NULL


def assignable(value: Type, target: Type) -> bool:
    """Whether a value of type `value` may be stored where `target` is expected."""
    if value in (ANY, target) or target == ANY:
        return True
    if value == NULL:
        return isinstance(target, Nullable)
    if isinstance(target, Nullable):
        return assignable(strip_null(value), target.inner)
    if isinstance(value, Nullable):
        return False
    if target == TEXT and value in TEXT_KINDS:
        return True
    if value == TEXT and target in TEXT_KINDS:
        return True  # validated on write, as the design says
    if isinstance(value, EnumType) and isinstance(target, EnumType):
        return set(value.members) <= set(target.members)
    if isinstance(value, ListType) and isinstance(target, ListType):
        return value.element == ANY or assignable(value.element, target.element)
    if isinstance(value, RecordType) and isinstance(target, RecordType):
        given = dict(value.fields)
        return all(assignable(given.get(name, NULL), field_type) for name, field_type in target.fields)
    return False


def join(a: Type, b: Type) -> Type | None:
    """The least type holding both (for if/else, list literals, `??`); None if none."""
    if a == b:
        return a
    if a == ANY or b == ANY:
        return ANY
    if a == NULL:
        return nullable(b)
    if b == NULL:
        return nullable(a)
    if isinstance(a, Nullable) or isinstance(b, Nullable):
        inner = join(strip_null(a), strip_null(b))
        return nullable(inner) if inner is not None else None
    if assignable(a, b):
        return b
    if assignable(b, a):
        return a
    if {a, b} <= {TEXT, *TEXT_KINDS}:
        return TEXT
    if isinstance(a, EnumType) and isinstance(b, EnumType):
        return EnumType(tuple(dict.fromkeys(a.members + b.members)))
    return None


def is_textual(t: Type) -> bool:
    return t == TEXT or t in TEXT_KINDS
