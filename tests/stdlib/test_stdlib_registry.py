"""The registry itself: every builtin is callable, documented and described."""

from __future__ import annotations

import datetime as dt

import pytest
from stdlib_fakes import PARIS, FakeContext, utc

from leadflow.errors import LeadflowRuntimeError
from leadflow.stdlib import REGISTRY, describe, invoke, reference_markdown
from leadflow.stdlib.registry import TOPICS, builtin, fail, param, whole
from leadflow.check.types import NUMBER
from leadflow.values import Duration

D = dt.date(2026, 3, 10)
T = utc(2026, 3, 10, 23, 30)

# One call per builtin, in a Paris context: name -> (arguments, expected result).
SAMPLES = {
    "lower": (["AbC"], "abc"),
    "upper": (["AbC"], "ABC"),
    "trim": (["  a b \n"], "a b"),
    "length": (["héllo"], 5),
    "contains": (["hello", "ell"], True),
    "starts_with": (["hello", "he"], True),
    "ends_with": (["hello", "lo"], True),
    "split": (["a@b.com", "@"], ["a", "b.com"]),
    "join": ([["a", "b"], ", "], "a, b"),
    "replace": (["a-b-c", "-", "+"], "a+b+c"),
    "substring": (["hello", 1, 3], "el"),
    "pad_left": (["7", 3, "0"], "007"),
    "pad_right": (["ab", 4], "ab  "),
    "is_email": (["ann@acme.com"], True),
    "email_domain": (["Ann@Acme.COM"], "acme.com"),
    "slug": (["Café Crème 2026!"], "cafe-creme-2026"),
    "parse_number": ([" -3.5 "], -3.5),
    "url_encode": (["a+b@x.com"], "a%2Bb%40x.com"),
    "url_query": ([{"q": "AT&T #1", "n": 3}], "q=AT%26T%20%231&n=3"),
    "abs": ([-4], 4),
    "round": ([2.675, 2], 2.68),
    "floor": ([-2.5], -3),
    "ceil": ([2.1], 3),
    "min": ([3, 1, 2], 1),
    "max": ([3, 1, 2], 3),
    "clamp": ([120, 0, 100], 100),
    "sum": ([[0.1, 0.2, 0.3]], 0.6),
    "avg": ([[1, 2, 3, 4]], 2.5),
    "random_int": ([5, 5], 5),
    "now": ([], T),
    "today": ([], dt.date(2026, 3, 11)),
    "date_of": ([T], dt.date(2026, 3, 11)),
    "year": ([D], 2026),
    "month": ([D], 3),
    "day": ([T], 11),
    "weekday": ([T], "wednesday"),
    "hour": ([T], 0),
    "minute": ([dt.time(9, 45)], 45),
    "days_between": ([D, T], 1),
    "start_of_day": ([D], dt.datetime(2026, 3, 10, tzinfo=PARIS)),
    "format_date": ([T, "%Y-%m-%d %H:%M"], "2026-03-11 00:30"),
    "parse_date": (["2026-12-10"], dt.date(2026, 12, 10)),
    "parse_datetime": (["2026-12-10T09:00"], dt.datetime(2026, 12, 10, 9, tzinfo=PARIS)),
    "minutes": ([90], Duration(seconds=5400)),
    "hours": ([2], Duration(seconds=7200)),
    "days": ([3], Duration(days=3)),
    "weeks": ([2], Duration(days=14)),
    "count": ([[1, 2, 3]], 3),
    "first": ([[1, 2, 3]], 1),
    "last": ([[1, 2, 3]], 3),
    "includes": ([["a", "b"], "b"], True),
    "sort": ([[3, 1, 2]], [1, 2, 3]),
    "unique": ([[1, 2, 1, 3, 2]], [1, 2, 3]),
    "reverse": ([[1, 2, 3]], [3, 2, 1]),
    "slice": ([[1, 2, 3, 4], 1, 3], [2, 3]),
    "keys": ([{"company": "Acme", "employees": 3}], ["company", "employees"]),
}


def test_every_builtin_has_a_sample():
    assert set(SAMPLES) - {"random"} == set(REGISTRY) - {"random"}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_call(name):
    args, expected = SAMPLES[name]
    assert invoke(REGISTRY[name], FakeContext(timezone=PARIS), args) == expected


def test_random_is_in_unit_interval_and_seeded():
    first = [invoke(REGISTRY["random"], FakeContext(), []) for _ in range(3)]
    assert all(0 <= x < 1 for x in first)
    assert invoke(REGISTRY["random"], FakeContext(), []) == first[0]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_builtin_is_documented(name):
    b = REGISTRY[name]
    assert b.doc and (b.doc[0].isupper() or b.doc[0] == "`")
    assert b.topic in TOPICS
    assert describe(b).startswith(f"{name}(")


def test_describe_shows_optional_union_and_repeated_parameters():
    assert describe(REGISTRY["split"]) == "split(s: text, sep: text) -> list<text>"
    assert describe(REGISTRY["substring"]) == "substring(s: text, start: number [, end: number]) -> text"
    assert describe(REGISTRY["year"]) == "year(d: date | datetime) -> number"
    assert describe(REGISTRY["max"]) == "max(a: number, b: number...) -> number"
    assert describe(REGISTRY["first"]) == "first(items: list<T>) -> T?"
    assert describe(REGISTRY["keys"]) == "keys(r: record) -> list<text>"
    assert describe(REGISTRY["now"]) == "now() -> datetime"


def test_reference_markdown_groups_by_topic_in_order():
    text = reference_markdown()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Text", "## Numbers", "## Dates", "## Lists", "## Records"]
    for b in REGISTRY.values():
        assert f"### `{describe(b)}`" in text
    assert text.index("`lower(") < text.index("`abs(") < text.index("`now(")


def test_registering_twice_is_a_programming_error():
    with pytest.raises(ValueError):
        builtin("lower", [param("s", NUMBER)], NUMBER)(lambda s: s)


def test_invoke_turns_stray_python_errors_into_runtime_errors():
    b = REGISTRY["lower"].__class__("boom", (), NUMBER, lambda: 1 / 0, "Fails.")
    with pytest.raises(LeadflowRuntimeError, match="`boom` failed"):
        invoke(b, None, [])


def test_invoke_without_context_for_a_clock_builtin():
    with pytest.raises(LeadflowRuntimeError, match="needs a running engine"):
        invoke(REGISTRY["now"], None, [])


def test_whole_accepts_integral_floats_only():
    assert whole("f", "n", 3.0) == 3 and isinstance(whole("f", "n", 3.0), int)
    for bad in (1.5, float("nan"), float("inf")):
        with pytest.raises(LeadflowRuntimeError, match="n must be a whole number"):
            whole("f", "n", bad)
    assert str(fail("f", "oops")) == "runtime error: `f`: oops"
