"""Lints (W301, W401, W402) beyond the golden cases: when they run, how they
reach `leadflow check`, and that W401 is sound: a condition it calls never
true is false for every record a brute-force evaluation tries."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadflow
from leadflow import Engine, SimulatedClock
from leadflow.check import types as T
from leadflow.check.facts import Facts
from leadflow.cli import main

EXAMPLES = Path(leadflow.__file__).parent / "examples"


def codes(source: str) -> list[tuple[int, str]]:
    return [(d.span.line, d.code) for d in leadflow.check(source, "t.flow").warnings]


def test_bundled_examples_have_no_warnings():
    scripts = sorted(EXAMPLES.glob("*/*.flow"))
    assert len(scripts) >= 4
    for script in scripts:
        assert leadflow.check(script.read_text("utf-8"), script.name).warnings == [], script.name


def test_lints_wait_for_a_program_without_errors():
    with pytest.raises(leadflow.ScriptError) as caught:
        leadflow.check("list unused\nwhen created then add to missing\n", "t.flow")
    assert [d.code for d in caught.value.diagnostics] == ["E211"]


def test_warnings_are_sorted_by_position():
    source = (
        "object contact { score: number = 0, note: text }\n"
        "const a = 1\n"
        'when created if score > 2 and score < 1 then set note = "{score ?? 0}"\n'
        "list b\n"
    )
    assert codes(source) == [(2, "W301"), (3, "W401"), (3, "W201"), (4, "W301")]


def test_engine_runs_a_script_with_warnings():
    engine = Engine.from_source(
        'list unused\nevent ping\nwhen ping then notify "x" "y"\n',
        "t.flow",
        clock=SimulatedClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    )
    assert engine.emit("ping", contact="a@example.com").fired


def test_cli_check_prints_lints_and_exits_0(tmp_path):
    path = tmp_path / "rules.flow"
    path.write_text(
        "object contact { score: number = 0 }\nlist vips\nwhen matching score > 90 then set score = 0\n", "utf-8"
    )
    text = CliRunner().invoke(main, ["check", str(path)])
    assert text.exit_code == 0
    assert f"{path}:2:6: warning[W301]: list `vips` is never used" in text.stderr
    assert f"{path}:3:31: warning[W402]" in text.stderr
    assert "1 file(s): 0 error(s), 2 warning(s)" in text.stdout
    as_json = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    assert as_json.exit_code == 0
    assert [
        (d["code"], d["severity"], d["line"], d["column"], d["end_column"]) for d in json.loads(as_json.stdout)
    ] == [
        ("W301", "warning", 2, 6, 10),
        ("W402", "warning", 3, 31, 44),
    ]


# ---- the facts behind W401 ------------------------------------------------------------
def test_facts_of_a_number_narrow_to_nothing():
    facts = Facts.of_type(T.NUMBER).narrowed(">", 5, True).narrowed("<", 3, True)
    assert not facts.possible()
    assert Facts.of_type(T.NUMBER).narrowed(">=", 3, True).narrowed("<=", 3, True).possible()
    assert (
        not Facts.of_type(T.NUMBER).narrowed(">=", 3, True).narrowed("<=", 3, True).narrowed("!=", 3, True).possible()
    )


def test_dates_are_whole_days_and_null_stays_possible_until_a_value_is_needed():
    day = dt.date(2026, 1, 1)
    facts = Facts.of_type(T.nullable(T.DATE)).narrowed(">", day, False).narrowed("<", day + dt.timedelta(days=1), False)
    assert facts.possible() and not facts.has_value()  # only null is left
    assert not facts.narrowed("known", None, False).possible()


def test_enum_order_follows_the_declaration():
    stage = T.EnumType(("open", "won", "lost"))
    assert Facts.of_type(stage).narrowed(">", "open", True).narrowed("<", "lost", True).possible()
    assert not Facts.of_type(stage).narrowed(">", "lost", True).possible()


# ---- soundness of W401 against brute force ----------------------------------------------
SCRIPT = """object contact {
  score: number
  level: number = 0
  stage: enum { a, b, c }
  flag: bool
  note: text
}
event ping
when ping if COND then set note = "x"
"""
SAMPLES = {
    "score": [None, -1, 0, 2.5, 3, 4, 10],
    "level": [-1, 0, 3, 4, 10],
    "stage": [None, "a", "b", "c"],
    "flag": [None, True, False],
    "note": [None, "", "x"],
}


def atoms():
    number = st.sampled_from(["score", "level"])
    value = st.sampled_from(["0", "3", "4", "-1", "2.5"])
    comparisons = st.builds(
        lambda n, op, v: f"{n} {op} {v}", number, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), value
    )
    members = st.lists(st.sampled_from(["a", "b", "c"]), max_size=3).map(", ".join)
    return st.one_of(
        comparisons,
        st.builds(
            lambda op, m: f"stage {op} {m}", st.sampled_from(["==", "!=", "<", ">=", ">"]), st.sampled_from("abc")
        ),
        st.builds(lambda op, ms: f"stage {op} [{ms}]", st.sampled_from(["in", "not in"]), members),
        st.builds(
            lambda n, k: f"{n} is {k}",
            st.sampled_from(["score", "stage", "flag", "note", "level"]),
            st.sampled_from(["known", "unknown"]),
        ),
        st.sampled_from(["flag", "score == null", "note != null", 'note == "x"', "true", "false"]),
    )


conditions = st.recursive(
    atoms(),
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a} and {b})", inner, inner),
        st.builds(lambda a, b: f"({a} or {b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def engine():
    return Engine.from_source(
        SCRIPT.replace("COND", "true"), "t.flow", clock=SimulatedClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=conditions)
def test_a_condition_called_never_true_is_false_for_every_record(engine, condition):
    warnings = leadflow.check(SCRIPT.replace("COND", condition), "t.flow").warnings
    if not any(w.code == "W401" for w in warnings):
        return
    predicate = engine.condition(condition)
    for values in itertools.product(*SAMPLES.values()):
        record = {name: value for name, value in zip(SAMPLES, values, strict=True) if value is not None}
        assert not predicate(record), (condition, record)


def test_w403_warns_once_per_branch_of_the_docs_demo_workflow():
    language = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text("utf-8")
    start = language.rindex("```leadflow\n", 0, language.index("workflow demo_follow_up"))
    source = language[start + len("```leadflow\n") : language.index("```", start + 3)]
    lost = [d for d in leadflow.check(source, "demo.flow").warnings if d.code == "W403"]
    lines = source.splitlines()
    assert [lines[d.span.line - 1].split()[0] for d in lost] == ["split", "wait", "branch"]
    assert all(d.message.startswith("a contact can leave the workflow") for d in lost)
    assert lost[1].label == (
        "the way on when the event arrives and the `else` when the wait times out end with"
        " nothing that marks the contact"
    )
