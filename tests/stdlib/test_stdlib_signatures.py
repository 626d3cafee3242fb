"""signature_result: arity, argument types, nullability, type variables, text kinds."""

from __future__ import annotations

import pytest

from leadflow.check.types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    DURATION,
    EMAIL,
    NULL,
    NUMBER,
    PHONE,
    TEXT,
    TIME,
    URL,
    EnumType,
    ListType,
    Nullable,
    RecordType,
    TypeVar,
)
from leadflow.stdlib import REGISTRY, signature_result
from leadflow.stdlib.registry import Builtin, Param


def result(name, *args):
    return signature_result(REGISTRY[name], list(args))


STAGE = EnumType(("lead", "mql", "sql"), name="stage")


@pytest.mark.parametrize(
    "name, args, expected",
    [
        ("lower", [TEXT], TEXT),
        ("split", [TEXT, TEXT], ListType(TEXT)),
        ("substring", [TEXT, NUMBER], TEXT),
        ("substring", [TEXT, NUMBER, NUMBER], TEXT),
        ("round", [NUMBER], NUMBER),
        ("min", [NUMBER, NUMBER, NUMBER, NUMBER], NUMBER),
        ("avg", [ListType(NUMBER)], Nullable(NUMBER)),
        ("now", [], DATETIME),
        ("year", [DATE], NUMBER),
        ("year", [DATETIME], NUMBER),
        ("hour", [TIME], NUMBER),
        ("days_between", [DATE, DATETIME], NUMBER),
        ("days", [NUMBER], DURATION),
        ("parse_date", [TEXT], Nullable(DATE)),
        ("keys", [RecordType((("a", TEXT), ("b", NUMBER)))], ListType(TEXT)),
        ("keys", [RecordType(())], ListType(TEXT)),
    ],
)
def test_accepted_calls(name, args, expected):
    assert result(name, *args) == expected


@pytest.mark.parametrize("kind", [EMAIL, PHONE, URL])
def test_text_kinds_are_text(kind):
    assert result("lower", kind) == TEXT
    assert result("contains", kind, TEXT) == BOOL
    assert result("join", ListType(kind), TEXT) == TEXT


def test_text_is_accepted_for_an_email_as_on_a_write():
    assert result("email_domain", EMAIL) == TEXT
    assert result("email_domain", TEXT) == TEXT
    assert result("email_domain", NUMBER) == "argument 1 of `email_domain` must be email, got number"


def test_any_is_accepted_everywhere():
    assert result("split", ANY, ANY) == ListType(TEXT)
    assert result("year", ANY) == NUMBER
    assert result("first", ANY) == ANY
    assert result("includes", ANY, TEXT) == BOOL
    assert result("sort", ListType(ANY)) == ListType(ANY)


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("split", [TEXT], "`split` takes 2 arguments, got 1: split(s: text, sep: text) -> list<text>"),
        ("lower", [TEXT, TEXT], "`lower` takes 1 argument, got 2: lower(s: text) -> text"),
        ("now", [TEXT], "`now` takes 0 arguments, got 1: now() -> datetime"),
        ("substring", [TEXT], "`substring` takes 2 to 3 arguments, got 1"),
        ("substring", [TEXT, NUMBER, NUMBER, NUMBER], "`substring` takes 2 to 3 arguments, got 4"),
        ("min", [NUMBER], "`min` takes at least 2 arguments, got 1: min(a: number, b: number...)"),
    ],
)
def test_wrong_arity_mentions_the_signature(name, args, message):
    assert result(name, *args).startswith(message)


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("split", [TEXT, NUMBER], "argument 2 of `split` must be text, got number"),
        ("lower", [NUMBER], "argument 1 of `lower` must be text, got number"),
        ("lower", [STAGE], "argument 1 of `lower` must be text, got stage"),
        ("join", [ListType(NUMBER), TEXT], "argument 1 of `join` must be list<text>, got list<number>"),
        ("join", [TEXT, TEXT], "argument 1 of `join` must be list<text>, got text"),
        ("year", [TEXT], "argument 1 of `year` must be date or datetime, got text"),
        ("hour", [DATE], "argument 1 of `hour` must be datetime or time, got date"),
        ("max", [NUMBER, NUMBER, TEXT], "argument 3 of `max` must be number, got text"),
        ("count", [TEXT], "argument 1 of `count` must be list<T>, got text"),
        ("keys", [ListType(TEXT)], "argument 1 of `keys` must be record, got list<text>"),
    ],
)
def test_wrong_types(name, args, message):
    assert result(name, *args) == message


def test_nullable_argument_suggests_a_default():
    assert result("lower", Nullable(TEXT)) == "argument 1 of `lower` may be null; use `x ?? default`"
    assert result("split", TEXT, Nullable(TEXT)) == "argument 2 of `split` may be null; use `x ?? default`"
    assert result("first", Nullable(ListType(TEXT))).startswith("argument 1 of `first` may be null")
    assert result("lower", NULL) == "argument 1 of `lower` must be text, got null"


def test_nullable_elements_are_not_text():
    message = result("join", ListType(Nullable(TEXT)), TEXT)
    assert message == "argument 1 of `join` must be list<text>, got list<text?>"


def test_type_variables_bind_and_substitute():
    assert result("first", ListType(TEXT)) == Nullable(TEXT)
    assert result("last", ListType(STAGE)) == Nullable(STAGE)
    assert result("first", ListType(Nullable(NUMBER))) == Nullable(NUMBER)
    assert result("reverse", ListType(ListType(DATE))) == ListType(ListType(DATE))
    assert result("slice", ListType(EMAIL), NUMBER) == ListType(EMAIL)
    assert result("unique", ListType(RecordType((("a", TEXT),)))) == ListType(RecordType((("a", TEXT),)))


def test_type_variable_bound_twice_must_agree():
    assert result("includes", ListType(NUMBER), NUMBER) == BOOL
    assert result("includes", ListType(TEXT), EMAIL) == BOOL  # widened by join
    assert result("includes", ListType(STAGE), EnumType(("lead",))) == BOOL
    assert result("includes", ListType(NUMBER), TEXT) == "argument 2 of `includes` must be number, got text"
    assert result("includes", ListType(TEXT), Nullable(TEXT)).endswith("may be null; use `x ?? default`")


def test_sort_needs_an_order():
    assert result("sort", ListType(TEXT)) == ListType(TEXT)
    assert result("sort", ListType(DATETIME)) == ListType(DATETIME)
    assert result("sort", ListType(DURATION)) == ListType(DURATION)
    for unordered in (STAGE, BOOL, RecordType((("a", TEXT),)), Nullable(NUMBER)):
        message = result("sort", ListType(unordered))
        assert isinstance(message, str) and message.startswith("`sort` needs values with an order")


def test_a_nullable_parameter_accepts_null():
    b = Builtin("or_zero", (Param("n", Nullable(NUMBER)),), NUMBER, lambda n: n or 0, "Zero for null.")
    assert signature_result(b, [NULL]) == NUMBER
    assert signature_result(b, [Nullable(NUMBER)]) == NUMBER
    assert signature_result(b, [NUMBER]) == NUMBER
    assert signature_result(b, [TEXT]) == "argument 1 of `or_zero` must be number, got text"


def test_unbound_type_variable_in_result_is_any():
    b = Builtin("empty", (), ListType(TypeVar("T")), lambda: [], "An empty list.")
    assert signature_result(b, []) == ListType(ANY)
