"""The standard library as a registry of typed entries, outside the evaluator.

Each builtin is a `Builtin`: a name, typed parameters, a result type, a plain
Python implementation and a doc string. The checker asks `signature_result`
for the type of a call; the compiler looks the implementation up once and
calls it directly; hover, the REPL and the docs render `describe` and
`reference_markdown`. Topic modules (text, numbers, dates, lists, records)
register into `REGISTRY` with the `builtin` decorator when imported.

Design notes
------------
* Generic signatures use `TypeVar` (`first(items: list<T>) -> T?`). Type
  variables are bound left to right; a later argument for an already bound
  variable widens the binding with `join` (so `includes(list<text>, email)` is
  fine) and fails when no common type exists. A variable no argument bound
  (every argument was `any`) becomes `any` in the result.
* A parameter that takes a few unrelated types (`year(d: date | datetime)`)
  lists them in `Param.accepts`; `Param.type` is then only the first of them,
  kept so that every parameter has a type to show. No builtin takes `any`.
* `RecordType(())` as a parameter type means "any record": every record type
  is assignable to it, and `describe` shows it as `record`.
* Arguments must not be nullable: the language requires non-null function
  arguments and the message suggests `x ?? default`. A parameter declared
  `Nullable(...)` would accept null, but no builtin needs one yet.
* Argument types follow the checker's `assignable`: a text kind is accepted
  where text is expected (an email is text), and plain text where a text kind
  is expected, as on a write; the implementation then validates it
  (`email_domain("nope")` is a runtime error, like writing "nope" to an
  email property).
* `orderable` names type variables that must bind to a type with a natural
  order (`sort`). Enums and bools are left out on purpose: enum values are
  plain strings at run time, so they could only sort alphabetically, which
  is never what someone sorting lifecycle stages means.
* Implementations receive non-null runtime values of the declared types and
  raise `LeadflowRuntimeError`, never a raw Python exception, for bad data.
  `invoke` is the one place that passes the call context and turns a stray
  Python error into a runtime error, for callers that want that safety net.
"""

from __future__ import annotations

import datetime as dt
import inspect
import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import attrs

from leadflow.check.types import (
    ANY,
    DATE,
    DATETIME,
    DURATION,
    NULL,
    NUMBER,
    TEXT,
    TEXT_KINDS,
    TIME,
    EnumType,
    ListType,
    Nullable,
    RecordType,
    Type,
    TypeVar,
    assignable,
    join,
    nullable,
    strip_null,
)
from leadflow.errors import LeadflowError, LeadflowRuntimeError

ANY_RECORD = RecordType(())
ORDERABLE = (TEXT, *TEXT_KINDS, NUMBER, DATE, DATETIME, TIME, DURATION)
TOPICS = ("text", "numbers", "dates", "lists", "records")


class CallContext(Protocol):
    """What a builtin with `needs_context` may ask of the running engine."""

    @property
    def timezone(self) -> ZoneInfo: ...

    @property
    def random(self) -> random.Random: ...

    def now(self) -> dt.datetime:
        """The engine clock's time, timezone-aware."""
        ...

    def today(self) -> dt.date:
        """The engine clock's date in `timezone`."""
        ...


@attrs.frozen
class Param:
    name: str
    type: Type
    optional: bool = False
    accepts: tuple[Type, ...] = ()  # several acceptable types; empty means (type,)

    @property
    def types(self) -> tuple[Type, ...]:
        return self.accepts or (self.type,)


@attrs.frozen
class Builtin:
    name: str
    params: tuple[Param, ...]
    result: Type
    impl: Callable[..., Any]
    doc: str
    needs_context: bool = False
    variadic: bool = False  # the last parameter may repeat
    topic: str = "other"
    orderable: tuple[str, ...] = ()  # type variables that must bind to ORDERABLE types

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.optional)

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else len(self.params)


REGISTRY: dict[str, Builtin] = {}


def param(name: str, *types: Type, optional: bool = False) -> Param:
    """Shorthand: `param("d", DATE, DATETIME)` accepts a date or a datetime."""
    return Param(name, types[0], optional, types if len(types) > 1 else ())


def builtin(
    name: str,
    params: Sequence[Param],
    result: Type,
    *,
    needs_context: bool = False,
    variadic: bool = False,
    orderable: tuple[str, ...] = (),
    doc: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as builtin `name`; its docstring is the doc."""

    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY:
            raise ValueError(f"builtin {name!r} registered twice")
        topic = impl.__module__.rsplit(".", 1)[-1]
        text = doc if doc is not None else (impl.__doc__ or "")
        REGISTRY[name] = Builtin(
            name,
            tuple(params),
            result,
            impl,
            _dedent(text),
            needs_context,
            variadic,
            topic,
            orderable,
        )
        return impl

    return register


def _dedent(text: str) -> str:
    return inspect.cleandoc(text)


# --- types of calls ---------------------------------------------------------


def signature_result(b: Builtin, arg_types: list[Type]) -> Type | str:
    """The result type of calling `b` with `arg_types`, or an error message."""
    count = len(arg_types)
    if count < b.min_args or (b.max_args is not None and count > b.max_args):
        return f"`{b.name}` takes {_arity(b)}, got {count}: {describe(b)}"
    bindings: dict[str, Type] = {}
    for index, arg in enumerate(arg_types):
        p = b.params[min(index, len(b.params) - 1)]
        problem = _check_argument(b, index + 1, p, arg, bindings)
        if problem:
            return problem
    for var in b.orderable:
        bound = bindings.get(var, ANY)
        if bound != ANY and bound not in ORDERABLE:
            return (
                f"`{b.name}` needs values with an order (numbers, text, dates, "
                f"times or durations), got {show_type(bound)}"
            )
    return substitute(b.result, bindings)


def _arity(b: Builtin) -> str:
    def plural(n: int) -> str:
        return f"{n} argument{'s' if n != 1 else ''}"

    if b.max_args is None:
        return f"at least {plural(b.min_args)}"
    if b.min_args == b.max_args:
        return plural(b.min_args)
    return f"{b.min_args} to {plural(b.max_args)}"


def _check_argument(b: Builtin, position: int, p: Param, arg: Type, bindings: dict[str, Type]) -> str | None:
    if arg == ANY:
        return None
    where = f"argument {position} of `{b.name}`"
    wanted = p.types
    accepts_null = all(isinstance(t, Nullable) for t in wanted)
    if not accepts_null:
        if arg == NULL:
            return f"{where} must be {_show_all(wanted, bindings)}, got null"
        if isinstance(arg, Nullable):
            return f"{where} may be null; use `x ?? default`"
    else:
        if arg == NULL:
            return None
        wanted, arg = tuple(strip_null(t) for t in wanted), strip_null(arg)
    for target in wanted:
        trial = dict(bindings)
        if _unify(target, arg, trial):
            bindings.update(trial)
            return None
    return f"{where} must be {_show_all(wanted, bindings)}, got {show_type(arg)}"


def _unify(target: Type, arg: Type, bindings: dict[str, Type]) -> bool:
    """Whether `arg` fits `target`, binding the type variables in `target`."""
    if arg == ANY:
        return True
    if isinstance(target, TypeVar):
        bound = bindings.get(target.name)
        if bound is None:
            bindings[target.name] = arg
            return True
        widened = join(bound, arg)
        if widened is None:
            return False
        bindings[target.name] = widened
        return True
    if isinstance(target, ListType):
        return isinstance(arg, ListType) and _unify(target.element, arg.element, bindings)
    if isinstance(target, Nullable):
        if arg == NULL:
            return True
        return _unify(target.inner, strip_null(arg), bindings)
    return assignable(arg, target)


def substitute(t: Type, bindings: dict[str, Type], unbound: Type | None = ANY) -> Type:
    """`t` with its type variables replaced; unbound ones become `unbound`
    (`any` by default; None keeps them, for messages)."""
    if isinstance(t, TypeVar):
        return bindings.get(t.name, unbound or t)
    if isinstance(t, ListType):
        return ListType(substitute(t.element, bindings, unbound))
    if isinstance(t, Nullable):
        return nullable(substitute(t.inner, bindings, unbound))
    if isinstance(t, RecordType):
        return RecordType(tuple((n, substitute(f, bindings, unbound)) for n, f in t.fields))
    return t


# --- rendering --------------------------------------------------------------


def show_type(t: Type) -> str:
    """A type as a user writes it; `record` for the any-record parameter type."""
    if t == ANY_RECORD:
        return "record"
    if isinstance(t, ListType):
        return f"list<{show_type(t.element)}>"
    if isinstance(t, Nullable):
        return f"{show_type(t.inner)}?"
    if isinstance(t, EnumType) and t.name is None:
        return "enum { " + ", ".join(t.members) + " }"
    return str(t)


def _show_all(types: Sequence[Type], bindings: dict[str, Type]) -> str:
    shown = [show_type(substitute(t, bindings, None)) for t in types]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def describe(b: Builtin) -> str:
    """The signature as hover, the REPL and the docs show it.

    `substring(s: text, start: number [, end: number]) -> text`; an optional
    parameter is bracketed, a repeating last one ends with `...`.
    """
    out = ""
    for index, p in enumerate(b.params):
        shown = f"{p.name}: " + " | ".join(show_type(t) for t in p.types)
        if b.variadic and index == len(b.params) - 1:
            shown += "..."
        sep = ", " if index else ""
        out += f" [{sep}{shown}]" if p.optional else f"{sep}{shown}"
    return f"{b.name}({out.strip()}) -> {show_type(b.result)}"


def reference_markdown() -> str:
    """Every builtin's signature and doc, grouped by topic, as Markdown."""
    topics = sorted({b.topic for b in REGISTRY.values()}, key=_topic_order)
    lines = ["# Standard library", ""]
    for topic in topics:
        lines += [f"## {topic.capitalize()}", ""]
        for b in (b for b in REGISTRY.values() if b.topic == topic):  # registration order
            lines += [f"### `{describe(b)}`", ""]
            if b.doc:
                lines += [b.doc, ""]
    return "\n".join(lines).rstrip() + "\n"


def _topic_order(topic: str) -> tuple[int, str]:
    return (TOPICS.index(topic) if topic in TOPICS else len(TOPICS), topic)


# --- helpers for implementations -------------------------------------------


def fail(name: str, message: str) -> LeadflowRuntimeError:
    """The error a builtin raises for bad data: `raise fail("split", "...")`."""
    return LeadflowRuntimeError(f"`{name}`: {message}")


def whole(name: str, what: str, value: int | float) -> int:
    """`value` as an int, or a runtime error when it has a fraction or is not finite."""
    if isinstance(value, int):
        return value
    if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
        raise fail(name, f"{what} must be a whole number, got {value!r}")
    return int(value)


# --- calling ----------------------------------------------------------------


def invoke(b: Builtin, ctx: CallContext | None, args: Sequence[Any]) -> Any:
    """Call `b`, passing `ctx` when it needs one; stray Python errors become runtime errors."""
    try:
        if b.needs_context:
            if ctx is None:
                raise LeadflowRuntimeError(f"`{b.name}` needs a running engine")
            return b.impl(ctx, *args)
        return b.impl(*args)
    except LeadflowError:
        raise
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError) as error:
        raise LeadflowRuntimeError(f"`{b.name}` failed: {error}") from error
