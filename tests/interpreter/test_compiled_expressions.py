"""Compiled conditions agree with a plain Python model of the language.

Hypothesis draws a random expression tree over typed contact properties; the
same tree gives the source text (compiled by `engine.condition`) and the
model's answer, computed here with the language's null rules spelt out:
a comparison with null is false (`!=` too), except `== null` / `is known`;
`??` takes its right side on null; `in`/`not in` with a null item is false;
a missing property with a default reads as the default.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_support import CONTACT, START, make_engine

# generated code must not make Python warn (`-1 is None` and the like)
pytestmark = pytest.mark.filterwarnings("error::SyntaxWarning")

UTC = dt.UTC
LIFECYCLE = ("subscriber", "lead", "mql", "sql", "opportunity", "customer")
PERSONA = ("student", "competitor", "partner", "buyer", "other")
DEFAULTS = {"score": 0, "lifecycle": "subscriber", "vip": False}
ENUMS = {"lifecycle": LIFECYCLE, "persona": PERSONA}
MOMENTS = [dt.datetime(2026, 11, d, h, 0, tzinfo=UTC) for d in (18, 20, 22) for h in (0, 10)]
COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}

# ---- the tree: tuples whose first item says what they are ------------------------------------
# ("lit", value, text) ("prop", name) ("null",) ("cmp", op, a, b, enum-or-None) ("and"/"or", a, b)
# ("not", a) ("coalesce", a, b) ("arith", op, a, b) ("div", a, k) ("neg", a) ("if", c, a, b)
# ("in", item, [items], negated) ("known", a, known) ("plus_days", a, n) ("now_minus", n)


def source(t) -> str:
    kind = t[0]
    if kind == "lit":
        return t[2]
    if kind == "prop":
        return t[1]
    if kind == "null":
        return "null"
    if kind == "cmp":
        return f"({source(t[2])} {t[1]} {source(t[3])})"
    if kind in ("and", "or"):
        return f"({source(t[1])} {kind} {source(t[2])})"
    if kind == "not":
        return f"(not {source(t[1])})"
    if kind == "coalesce":
        return f"({source(t[1])} ?? {source(t[2])})"
    if kind == "arith":
        return f"({source(t[2])} {t[1]} {source(t[3])})"
    if kind == "div":
        return f"({source(t[1])} / {t[2]})"
    if kind == "neg":
        return f"(-{source(t[1])})"
    if kind == "if":
        return f"(if {source(t[1])} then {source(t[2])} else {source(t[3])})"
    if kind == "in":
        return f"({source(t[1])} {'not in' if t[3] else 'in'} [{', '.join(source(i) for i in t[2])}])"
    if kind == "known":
        return f"({source(t[1])} is {'known' if t[2] else 'unknown'})"
    if kind == "plus_days":
        return f"({source(t[1])} + {t[2]} days)"
    if kind == "now_minus":
        return f"(now() - {t[1]} days)"
    raise AssertionError(t)


def model(t, record: dict):
    kind = t[0]
    if kind == "lit":
        return t[1]
    if kind == "prop":
        value = record.get(t[1])
        return DEFAULTS.get(t[1]) if value is None else value
    if kind == "null":
        return None
    if kind == "cmp":
        op, enum = t[1], t[4]
        if t[3][0] == "null":  # `x == null`, `x != null`
            return (model(t[2], record) is None) == (op == "==")
        a, b = model(t[2], record), model(t[3], record)
        if a is None or b is None:
            return False
        if enum is not None and op not in ("==", "!="):
            a, b = enum.index(a), enum.index(b)
        return COMPARE[op](a, b)
    if kind == "and":
        return model(t[1], record) and model(t[2], record)
    if kind == "or":
        return model(t[1], record) or model(t[2], record)
    if kind == "not":
        return not model(t[1], record)
    if kind == "coalesce":
        a = model(t[1], record)
        return a if a is not None else model(t[2], record)
    if kind == "arith":
        return ARITH[t[1]](model(t[2], record), model(t[3], record))
    if kind == "div":
        return model(t[1], record) / t[2]
    if kind == "neg":
        return -model(t[1], record)
    if kind == "if":
        return model(t[2], record) if model(t[1], record) else model(t[3], record)
    if kind == "in":
        item = model(t[1], record)
        if item is None:
            return False
        found = item in [model(i, record) for i in t[2]]
        return not found if t[3] else found
    if kind == "known":
        return (model(t[1], record) is not None) == t[2]
    if kind == "plus_days":
        return model(t[1], record) + dt.timedelta(days=t[2])
    if kind == "now_minus":
        return START - dt.timedelta(days=t[1])
    raise AssertionError(t)


# ---- strategies, one per type; `nullable` ones may produce null -------------------------------
def number_literal():
    return st.one_of(
        st.integers(-3, 12).map(lambda n: ("lit", n, str(n)) if n >= 0 else ("neg", ("lit", -n, str(-n)))),
        st.sampled_from([0.5, 2.5]).map(lambda x: ("lit", x, repr(x))),
    )


def numbers(depth: int, nullable: bool = False):
    leaves = [number_literal(), st.just(("prop", "score"))]
    if nullable:
        leaves.append(st.just(("prop", "visits")))
    leaves.append(number_literal().map(lambda k: ("coalesce", ("prop", "visits"), k)))
    if depth <= 0:
        return st.one_of(*leaves)
    inner = numbers(depth - 1)
    branches = [
        st.builds(lambda op, a, b: ("arith", op, a, b), st.sampled_from(sorted(ARITH)), inner, inner),
        st.builds(lambda a, k: ("div", a, k), inner, st.sampled_from([2, 4, 0.5])),
        st.builds(lambda a: ("neg", a), inner),
        st.builds(lambda c, a, b: ("if", c, a, b), conditions(depth - 1), inner, numbers(depth - 1, nullable)),
        st.builds(lambda a, b: ("coalesce", ("prop", "visits"), a), inner, inner),
    ]
    return st.one_of(*leaves, *branches)


def enum_literal(name: str):
    return st.sampled_from(ENUMS[name]).map(lambda m: ("lit", m, m))


def texts():
    literal = st.sampled_from(["Ada", "Bob", ""]).map(lambda s: ("lit", s, f'"{s}"'))
    return literal, st.one_of(
        st.just(("prop", "first_name")), literal.map(lambda k: ("coalesce", ("prop", "first_name"), k))
    )


def datetimes(depth: int):
    literal = st.sampled_from(MOMENTS).map(lambda m: ("lit", m, m.strftime("%Y-%m-%dT%H:%MZ")))
    base = st.one_of(literal, st.integers(0, 6).map(lambda n: ("now_minus", n)))
    known = st.builds(lambda k: ("coalesce", ("prop", "last_activity"), k), base)
    return base, st.one_of(
        st.just(("prop", "last_activity")),
        known,
        st.builds(lambda a, n: ("plus_days", a, n), known, st.integers(1, 3)),
    )


def comparisons(depth: int):
    op = st.sampled_from(sorted(COMPARE))
    text_literal, text_value = texts()
    dt_literal, dt_value = datetimes(depth)
    return st.one_of(
        st.builds(lambda o, a, b: ("cmp", o, a, b, None), op, numbers(depth, True), numbers(depth, True)),
        *[
            st.builds(
                lambda o, a, b, n=name: ("cmp", o, a, b, ENUMS[n]), op, st.just(("prop", name)), enum_literal(name)
            )
            for name in ENUMS
        ],
        st.builds(
            lambda o, a, b: ("cmp", o, a, b, None),
            st.sampled_from(["==", "!="]),
            text_value,
            st.one_of(text_literal, text_value),
        ),
        st.builds(lambda o, a, b: ("cmp", o, a, b, None), op, dt_value, st.one_of(dt_literal, dt_value)),
        st.builds(
            lambda o, b: ("cmp", o, ("prop", "vip"), ("lit", b, str(b).lower()), None),
            st.sampled_from(["==", "!="]),
            st.booleans(),
        ),
        st.builds(
            lambda o, a: ("cmp", o, a, ("null",), None),
            st.sampled_from(["==", "!="]),
            st.sampled_from([("prop", p) for p in ("visits", "first_name", "persona", "last_activity")]),
        ),
    )


def memberships(depth: int):
    text_literal, text_value = texts()
    return st.one_of(
        st.builds(
            lambda item, items, neg: ("in", item, items, neg),
            numbers(0, True),
            st.lists(st.one_of(number_literal(), numbers(0, True), st.just(("null",))), max_size=3),
            st.booleans(),
        ),
        *[
            st.builds(
                lambda items, neg, n=name: ("in", ("prop", n), items, neg),
                st.lists(enum_literal(name), min_size=1, max_size=3),
                st.booleans(),
            )
            for name in ENUMS
        ],
        st.builds(
            lambda item, items, neg: ("in", item, items, neg),
            text_value,
            st.lists(text_literal, min_size=1, max_size=3),
            st.booleans(),
        ),
    )


def conditions(depth: int):
    leaves = [
        comparisons(max(depth - 1, 0)),
        memberships(depth),
        st.builds(
            lambda a, known: ("known", a, known),
            st.one_of(
                numbers(0, True),
                st.sampled_from([("prop", "first_name"), ("prop", "persona"), ("prop", "last_activity")]),
            ),
            st.booleans(),
        ),
        st.just(("prop", "vip")),
    ]
    if depth <= 0:
        return st.one_of(*leaves)
    inner = conditions(depth - 1)
    return st.one_of(
        *leaves,
        st.builds(lambda a, b: ("and", a, b), inner, inner),
        st.builds(lambda a, b: ("or", a, b), inner, inner),
        st.builds(lambda a: ("not", a), inner),
        st.builds(lambda c, a, b: ("if", c, a, b), inner, inner, inner),
    )


records = st.fixed_dictionaries(
    {},
    optional={
        "score": st.one_of(st.integers(-3, 12), st.sampled_from([0.5, 2.5])),
        "visits": st.one_of(st.none(), st.integers(-3, 12)),
        "first_name": st.one_of(st.none(), st.sampled_from(["Ada", "Bob", "", "Zed"])),
        "lifecycle": st.sampled_from(LIFECYCLE),
        "persona": st.one_of(st.none(), st.sampled_from(PERSONA)),
        "vip": st.booleans(),
        "last_activity": st.one_of(st.none(), st.sampled_from(MOMENTS)),
    },
)

ENGINE = make_engine(CONTACT)


@settings(max_examples=300, deadline=None)
@given(tree=conditions(3), samples=st.lists(records, min_size=1, max_size=6))
def test_compiled_conditions_agree_with_the_model(tree, samples):
    text = source(tree)
    predicate = ENGINE.condition(text)
    for record in samples:
        expected = bool(model(tree, record))
        assert bool(predicate(record)) == expected, (text, record, predicate.source)


@pytest.mark.parametrize(
    "text, record, expected",
    [
        ("visits == visits", {}, False),  # both sides null: still a comparison with null
        ("visits == visits", {"visits": 2}, True),
        ("visits != visits", {}, False),
        ("visits != 3", {}, False),
        ("visits == null", {}, True),
        ("not (visits > 3)", {}, True),
        ('first_name != "Ada"', {}, False),
        ("persona not in [buyer]", {}, False),
        ("persona not in [buyer, null]", {"persona": "student"}, True),
        ("visits in [1, null]", {}, False),
        ("lifecycle >= mql", {"lifecycle": "sql"}, True),
        ("lifecycle >= mql", {}, False),
        ("persona < buyer", {}, False),
        ("score > -1", {}, True),
        ("(visits ?? score) == 0", {}, True),
        ("last_activity > now() - 3 days", {"last_activity": START - dt.timedelta(days=2)}, True),
        ("last_activity < now() - 3 days", {}, False),
    ],
)
def test_null_rules(text, record, expected):
    assert ENGINE.condition(text)(record) is expected
