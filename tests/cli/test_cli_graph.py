"""`leadflow graph SCRIPT [NAME] --format mermaid|dot|svg [-o FILE]` as a user runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import LIFECYCLE, leadflow, leadflow_process

ROOT = Path(__file__).resolve().parents[2]
NURTURING = ROOT / "docs" / "diagrams" / "nurturing.flow"
GOLDEN = ROOT / "tests" / "graph" / "golden"


@pytest.mark.parametrize("fmt, golden", [("mermaid", "nurturing.mmd"), ("dot", "nurturing.dot")])
def test_graph_prints_the_chart(fmt, golden):
    result = leadflow("graph", NURTURING, "--format", fmt)
    assert result.code == 0
    assert result.stdout == (GOLDEN / golden).read_text("utf-8")


def test_mermaid_is_the_default_and_output_goes_to_a_file(tmp_path):
    target = tmp_path / "chart.mmd"
    result = leadflow("graph", NURTURING, "nurturing", "-o", target)
    assert result.code == 0
    assert result.stdout == f"wrote {target}\n"
    assert target.read_text("utf-8") == (GOLDEN / "nurturing.mmd").read_text("utf-8")


def test_without_a_name_every_rule_is_drawn_in_its_own_subgraph():
    result = leadflow("graph", LIFECYCLE / "lifecycle.flow")
    assert result.code == 0
    titles = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("subgraph")]
    assert titles == [
        'subgraph g1 ["rule #34;Activity counts#34;"]',
        'subgraph g2 ["rule #34;Page views count a little#34;"]',
        'subgraph g3 ["rule #34;Any form makes a lead#34;"]',
        'subgraph g4 ["rule #34;Qualify marketing leads#34;"]',
        'subgraph g5 ["rule #34;MQL to SQL#34;"]',
    ]


def test_a_rule_is_chosen_by_its_name():
    result = leadflow("graph", LIFECYCLE / "lifecycle.flow", "MQL to SQL", "--format", "dot")
    assert result.code == 0
    assert 'label="rule \\"MQL to SQL\\"\\nwhen matching lifecycle == mql and score > 90' in result.stdout
    assert "subgraph" not in result.stdout


def test_an_unknown_name_is_a_usage_error_with_a_suggestion():
    result = leadflow("graph", NURTURING, "nurturin")
    assert result.code == 2
    assert "no workflow or rule named 'nurturin'" in result.stderr
    assert "did you mean 'nurturing'?" in result.stderr


def test_a_script_with_nothing_to_draw_or_a_syntax_error(tmp_path):
    empty = tmp_path / "empty.flow"
    empty.write_text("list trash\n", "utf-8")
    result = leadflow("graph", empty)
    assert result.code == 2 and "has no workflow or rule to draw" in result.stderr
    broken = tmp_path / "broken.flow"
    broken.write_text("workflow w {\n  wait\n}\n", "utf-8")
    result = leadflow("graph", broken)
    assert result.code == 1 and f"{broken}:3:1: error[E100]" in result.stderr


def test_svg_from_a_shell(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt-get install graphviz)")
    target = tmp_path / "nurturing.svg"
    result = leadflow_process("graph", NURTURING, "--format", "svg", "-o", target)
    assert result.code == 0, result.stderr
    assert target.read_bytes().lstrip().startswith(b"<?xml")
    assert b"wait 5 days" in target.read_bytes()


def test_svg_without_graphviz_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # the shell finds no `dot` there
    result = leadflow_process("graph", NURTURING, "--format", "svg")
    assert result.code == 2
    assert result.stdout == ""
    assert "SVG needs Graphviz's `dot` program, which is not installed here" in result.stderr
    assert "use --format mermaid or --format dot" in result.stderr
