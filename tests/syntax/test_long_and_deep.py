"""Properties over long chains and deep nesting, through every stage.

Generated rules chain hundreds of terms (`a and b and ...`, `1 + 1 + ...`);
the fuzzing that found the checker and compiler failing on them is kept
here as Hypothesis strategies: a chain of up to 1,200 terms of any binary
operator must parse, check, compile, run and print back to itself; nesting
of any kind either fits the limit or is one E102, never an exception of
Python's own.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.check.checker import check
from leadflow.errors import LeadflowError, ScriptError
from leadflow.interpreter.engine import Engine
from leadflow.syntax import ast
from leadflow.syntax.parser import parse, parse_expr
from leadflow.syntax.printer import format_expr

SLOW = settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
HEAD = "object contact { n: number, t: text, b: bool }\nevent e {}\n"

# operator -> (operand, property set, the value of `n ops` in plain Python)
CHAINS = {
    "+": ("2", "n", lambda n: 2 * n),
    "-": ("2", "n", lambda n: 2 - 2 * (n - 1)),
    "*": ("1", "n", lambda n: 1),
    "/": ("1", "n", lambda n: 1),
    "%": ("7", "n", lambda n: 7 if n == 1 else 0),
    "and": ("true", "b", lambda n: True),
    "or": ("false", "b", lambda n: False),
    "??": ("n", "n", lambda n: None),
}


def _run(source: str) -> dict:
    with Engine.from_source(source, "chain.flow") as engine:
        engine.emit("e", "ada@example.com")
        return engine.store.get_record(engine.find("ada@example.com")).props


@SLOW
@given(op=st.sampled_from(sorted(CHAINS)), terms=st.integers(1, 1200))
def test_a_chain_of_any_operator_checks_compiles_and_runs(op, terms):
    operand, prop, value = CHAINS[op]
    chain = f" {op} ".join([operand] * terms)
    source = HEAD + f"when e then set {prop} = {chain}\n"
    assert _run(source).get(prop) == value(terms)


@SLOW
@given(terms=st.integers(1, 1200))
def test_a_long_chain_prints_back_to_itself(terms):
    for op in ("+", "and", "-", "??"):
        expr = parse_expr(f" {op} ".join(["a"] * terms))
        again = parse_expr(format_expr(expr))
        assert again == expr
        assert hash(again) == hash(expr)
    indexed = parse_expr("xs" + "[0]" * terms + ".name" * 3)
    assert parse_expr(format_expr(indexed)) == indexed


OPENERS = [
    ("(", ")"),
    ("-", ""),
    ("not ", ""),
    ("[", "]"),
    ("if b then ", " else 1"),
    ("f(", ")"),
    ("match 1 { 1 => ", " }"),
    ('"{', '}"'),
    ("{a: ", "}"),
    ("a ?? ", ""),
]


@SLOW
@given(
    layers=st.lists(st.sampled_from(OPENERS), min_size=1, max_size=400), core=st.sampled_from(["1", "a + a", "x[0]"])
)
def test_nesting_of_any_kind_fits_or_is_one_e102(layers, core):
    text = "".join(o for o, _ in layers) + core + "".join(c for _, c in reversed(layers))
    source = HEAD + f"const deep = {text}\n"
    try:
        program = parse(source, "deep.flow")
    except ScriptError as error:
        codes = {d.code for d in error.diagnostics}
        assert codes <= {"E100", "E102"}, codes
        return
    # A type error is fine: what matters is that nothing but Leadflow's errors comes out.
    with contextlib.suppress(LeadflowError):
        check(program, {"deep.flow": source})


@pytest.mark.parametrize(
    "shape", ["a and " * 400 + "a", "1 + " * 400 + "1", '"a" + ' * 400 + '"a"', "xs" + "[0]" * 400]
)
def test_the_fuzzed_shapes_check_without_recursion_errors(shape):
    source = (
        "object contact { a: bool, xs: list<number> }\nconst c = 1\nwhen created if true then set a = " + shape + "\n"
    )
    try:
        check(parse(source, "f.flow"), {"f.flow": source})
    except ScriptError as error:
        assert all(d.code.startswith("E2") for d in error.diagnostics)


def test_chain_nodes_compare_like_the_attrs_nodes_they_are():
    a = ast.Binary("+", ast.Name("x"), ast.NumberLit(1))
    assert a == ast.Binary("+", ast.Name("x"), ast.NumberLit(1))
    assert a != ast.Binary("-", ast.Name("x"), ast.NumberLit(1))
    assert a != ast.Binary("+", ast.Name("y"), ast.NumberLit(1))
    assert ast.Field(ast.Name("r"), "a") != ast.Field(ast.Name("r"), "b")
    assert ast.Index(ast.Name("r"), ast.NumberLit(0)) != ast.Field(ast.Name("r"), "a")
    assert len({a, ast.Binary("+", ast.Name("x"), ast.NumberLit(1))}) == 1
