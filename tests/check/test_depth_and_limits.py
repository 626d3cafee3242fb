"""Scripts at the edges: long flat chains, deep nesting, stray bytes, size caps.

A chain of a thousand terms (generated rules write them) must check, compile
and run; true nesting past the limit is refused where it crosses it, fast;
a NUL byte is refused with its position and a byte-order mark is accepted;
a script or a literal over its cap is refused before it costs memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from leadflow.check.checker import check
from leadflow.errors import ScriptError
from leadflow.syntax.parser import MAX_SCRIPT, parse
from leadflow.syntax.transform import MAX_LITERAL
from leadflow.syntax.reductions import MAX_NESTING

HEAD = "object contact { score: number, name: text, ok: bool }\nevent e {}\n"
TERMS = 1000
CHAINS = {
    "and": ("when e if " + " and ".join(["ok ?? true"] * TERMS) + " then set score = 1", 1),
    "or": ("when e if " + " or ".join(["false"] * (TERMS - 1) + ["true"]) + " then set score = 2", 2),
    "add": ("when e then set score = " + " + ".join(["1"] * TERMS), TERMS),
    "sub": ("when e then set score = " + " - ".join(["1"] * TERMS), 2 - TERMS),
    "div": ("when e then set score = 1024 " + " / 2" * 10 + " / 1" * TERMS, 1),
    "text": ("when e then set name = " + " + ".join(['"ab"'] * TERMS), "ab" * TERMS),
}


def _errors(source: str) -> list:
    try:
        check(parse(source, "case.flow"), {"case.flow": source})
    except ScriptError as error:
        return error.diagnostics
    return []


@pytest.mark.parametrize("shape", sorted(CHAINS))
def test_a_chain_of_a_thousand_terms_checks_compiles_and_runs(shape, tmp_path):
    rule, expected = CHAINS[shape]
    script = tmp_path / "chain.flow"
    script.write_text(HEAD + rule + "\n")
    events = tmp_path / "events.jsonl"
    events.write_text(
        json.dumps({"event": "e", "contact": "ada@example.com", "at": "2026-11-23T09:00:00Z", "data": {}}) + "\n"
    )
    db = tmp_path / "db.sqlite"
    ran = subprocess.run(
        [sys.executable, "-m", "leadflow", "run", str(script), "--events", str(events), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert "1 event(s) applied" in ran.stdout
    import sqlite3

    with sqlite3.connect(db) as connection:
        rows = [json.loads(r[0]) for r in connection.execute("select props from records where type = 'contact'")]
    assert len(rows) == 1
    field = "name" if shape == "text" else "score"
    assert rows[0][field] == expected


def test_chains_of_indexing_and_comparisons_are_checked_without_recursion():
    source = HEAD + "const xs = [1]\nwhen e then set score = xs" + "[0]" * TERMS + "\n"
    codes = [d.code for d in _errors(source)]
    # the first index may be null (E205) and the second applies to a number (E217): each said once
    assert codes == ["E205", "E217"]


@pytest.mark.parametrize(
    "opening, closing", [("(", ")"), ("-", ""), ("not ", ""), ("[", "]"), ("if true then ", " else 1")]
)
def test_nesting_past_the_limit_is_refused_where_it_crosses(opening, closing):
    depth = MAX_NESTING + 10
    source = "const deep = " + opening * depth + "1" + closing * depth + "\n"
    errors = _errors(source)
    assert [d.code for d in errors] == ["E102"]
    assert errors[0].span.line == 1
    # counted from the inside: the crossing is MAX_NESTING levels out from the `1`
    assert 14 <= errors[0].span.column < 14 + len(opening) * depth


def test_nesting_at_the_limit_is_accepted():
    source = "const fine = " + "(" * (MAX_NESTING - 2) + "1 + 2" + ")" * (MAX_NESTING - 2) + "\n"
    assert _errors(source) == []


@pytest.mark.parametrize("depth", [5_000, 20_000])
def test_very_deep_nesting_is_refused_quickly(depth):
    source = "const deep = " + "(" * depth + "1" + ")" * depth + "\n"
    started = time.perf_counter()
    errors = _errors(source)
    assert [d.code for d in errors] == ["E102"]
    assert time.perf_counter() - started < 2.0


def test_a_nul_byte_is_refused_with_its_position():
    errors = _errors("object contact { a: text }\n# a comment \x00 here\n")
    assert [(d.code, d.span.line, d.span.column) for d in errors] == [("E100", 2, 13)]
    assert "U+0000" in errors[0].message
    errors = _errors('const x = "a\x00b"\n')
    assert [(d.code, d.span.line, d.span.column) for d in errors] == [("E100", 1, 13)]


def test_a_byte_order_mark_is_accepted(tmp_path):
    script = tmp_path / "bom.flow"
    script.write_bytes("\ufeffobject contact { score: number }\nwhen created then set score = 1\n".encode())
    done = subprocess.run(
        [sys.executable, "-m", "leadflow", "check", str(script)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 file(s) OK" in done.stdout


def test_a_string_over_the_cap_is_refused():
    errors = _errors('const long = "' + "x" * (MAX_LITERAL + 1) + '"\n')
    assert [(d.code, d.span.line, d.span.column) for d in errors] == [("E103", 1, 14)]


def test_a_script_over_the_cap_is_refused():
    errors = _errors("# " + "x" * MAX_SCRIPT + "\n")
    assert [(d.code, d.span.line) for d in errors] == [("E103", 1)]


def test_a_nul_escape_writes_the_nul_character():
    program = parse('const x = "a\\0b"\n')
    assert program.decls[0].value.parts == ("a\x00b",)


MEMORY_PROBE = textwrap.dedent("""
    import resource, sys
    from leadflow.check.checker import analyse
    from leadflow.syntax.parser import parse
    source = open(sys.argv[1], encoding="utf-8").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    analyse(parse(source, "big.flow"), {"big.flow": source})
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) * 1024)
""")


def test_checking_a_literal_near_the_cap_stays_within_a_small_multiple_of_its_size(tmp_path):
    script = tmp_path / "big.flow"
    size = MAX_LITERAL - 10
    script.write_text('const long = "' + "x" * size + '"\nwhen created then notify "log" long\n')
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(script)], capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr
    grown = int(probe.stdout)
    assert grown < 20 * size, f"checking grew by {grown:,} bytes for a {size:,}-byte literal"


def test_a_long_chain_of_associations_compiles_and_runs():
    from leadflow.interpreter.engine import Engine

    source = (
        "object contact { score: number, referrer: contact }\nevent e {}\n"
        "when e then set score = " + "referrer." * 300 + "score ?? 7\n"
    )
    with Engine.from_source(source, "chain.flow") as engine:
        engine.emit("e", "ada@example.com")
        assert engine.store.get_record(engine.find("ada@example.com")).props["score"] == 7


def test_a_block_is_one_level_of_nesting_not_two():
    """Forty `if` statements inside each other: each block counts once."""
    depth = 40
    source = (
        "object contact { a: number }\nfn f(x: number) -> number {\n"
        + "if x > 0 {\n" * depth
        + "x = 1\n"
        + "}\n" * depth
        + "return x\n}\nwhen created then set a = f(1)\n"
    )
    assert _errors(source) == []
    deeper = source.replace("if x > 0 {\n" * depth, "if x > 0 {\n" * (MAX_NESTING + 5)).replace(
        "}\n" * depth, "}\n" * (MAX_NESTING + 5)
    )
    errors = _errors(deeper)
    assert [d.code for d in errors] == ["E102"]
    assert errors[0].span.line > 3  # where the nesting crosses the limit, not the top of the function
