"""Flow charts: golden Mermaid and DOT for the nurturing workflow, the shape of
charts (every step drawn, split shares adding up, the ways out of each
decision), label escaping, and SVG through Graphviz.

The golden files are the output of
`leadflow graph docs/diagrams/nurturing.flow [--format dot]`; rewrite them
that way after a deliberate change, and read the diff.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import pytest

from leadflow.graph import GraphvizMissing, charts, names, to_dot, to_mermaid, to_svg
from leadflow.graph.render import dot_text, mermaid_text
from leadflow.syntax import ast
from leadflow.syntax.parser import parse
from leadflow.syntax.printer import format_action

ROOT = Path(__file__).resolve().parents[2]
NURTURING = ROOT / "docs" / "diagrams" / "nurturing.flow"
GOLDEN = Path(__file__).parent / "golden"

VARIANTS = """
workflow variants {
  enroll when added to newsletter
  enroll when form_submitted if persona == buyer
  split random {
    25% { send email variant_a }
    25% { send email variant_b }
    50% { }
  }
  branch on persona {
    buyer, partner { send email pitch }
    student { stop }
  }
  wait for replied where event.kind == "yes" up to 3 days else { send email nudge }
  wait until 09:00 on weekdays
  if score > 50 { notify "sales" "Hot: {email}" }
  clear email
}

rule "Hot leads"
when matching score > 90
if lifecycle == mql
then {
  set lifecycle = sql
  notify "sales" "New SQL"
}

when created then add to everyone
"""


def chart_of(source: str, name: str | None = None):
    (chart,) = charts(parse(source), name)
    return chart


def out_of(chart, node_id: str) -> list:
    return [e for e in chart.edges if e.source == node_id]


def node_with(chart, *lines: str):
    (node,) = [n for n in chart.nodes if n.lines[: len(lines)] == lines]
    return node


# ---- golden outputs ----------------------------------------------------------------------
@pytest.mark.parametrize("fmt, render", [("mmd", to_mermaid), ("dot", to_dot)])
def test_the_nurturing_workflow_matches_its_golden_chart(fmt, render):
    drawn = charts(parse(NURTURING.read_text("utf-8")))
    assert render(drawn) == (GOLDEN / f"nurturing.{fmt}").read_text("utf-8")


# ---- the shape of charts -------------------------------------------------------------------
def simple_steps(steps):
    """Every step that is drawn as one node, however deeply nested."""
    for step in steps:
        if isinstance(step, ast.IfAction):
            for _, block in step.branches:
                yield from simple_steps(block)
            yield from simple_steps(step.otherwise or ())
        elif isinstance(step, ast.Split):
            for arm in step.arms:
                yield from simple_steps(arm.steps)
        elif isinstance(step, ast.Branch):
            for arm in step.arms:
                yield from simple_steps(arm.steps)
            yield from simple_steps(step.otherwise or ())
        elif isinstance(step, ast.WaitFor):
            yield from simple_steps(step.otherwise or ())
        elif not isinstance(step, ast.Stop):
            yield step


@pytest.mark.parametrize("source", [NURTURING.read_text("utf-8"), VARIANTS], ids=["nurturing", "variants"])
def test_every_step_is_a_node_and_every_node_is_reached(source):
    program = parse(source)
    for decl, chart in zip(
        [d for d in program.decls if isinstance(d, (ast.Workflow, ast.Rule))], charts(program), strict=True
    ):
        steps = decl.steps if isinstance(decl, ast.Workflow) else decl.actions
        labels = Counter(n.lines for n in chart.nodes)
        for step in simple_steps(steps):
            assert labels[(format_action(step),)] >= 1, format_action(step)
        ids = {n.id for n in chart.nodes}
        assert all(e.source in ids and e.target in ids for e in chart.edges)
        start = chart.nodes[0]
        assert start.kind == "start"
        reached = {e.target for e in chart.edges}
        assert all(n.id in reached for n in chart.nodes[1:]), chart


def test_the_start_lists_the_enrollment_and_settings_and_the_goal_is_a_note():
    chart = chart_of(NURTURING.read_text("utf-8"))
    assert chart.nodes[0].lines == (
        "workflow nurturing",
        'enroll when ebook_downloaded where event.ebook == "top-10-topics"',
        "reenroll never",
        "suppress trash",
        'window weekdays 09:00-18:00 timezone "Europe/Paris"',
    )
    goal = node_with(chart, "goal lifecycle in [sql, customer]")
    assert goal.kind == "note"
    (attached,) = [e for e in chart.edges if e.target == goal.id]
    assert attached.source == chart.nodes[0].id and attached.dashed


def test_the_shares_of_a_split_add_up_and_empty_arms_go_straight_on():
    chart = chart_of(VARIANTS, "variants")
    split = node_with(chart, "split random")
    shares = [e.label for e in out_of(chart, split.id)]
    assert shares == ["25%", "25%", "50%"]
    assert sum(int(s.rstrip("%")) for s in shares) == 100
    branch = node_with(chart, "branch on persona")
    (straight,) = [e for e in out_of(chart, split.id) if e.label == "50%"]
    assert straight.target == branch.id


def test_a_branch_has_an_edge_per_arm_and_one_for_the_rest():
    chart = chart_of(VARIANTS, "variants")
    branch = node_with(chart, "branch on persona")
    edges = {e.label: e.target for e in out_of(chart, branch.id)}
    assert set(edges) == {"buyer, partner", "student", "else"}
    assert node_with(chart, "send email pitch").id == edges["buyer, partner"]
    stop = node_with(chart, "stop")
    assert stop.kind == "end" and edges["student"] == stop.id and out_of(chart, stop.id) == []
    assert edges["else"] == node_with(chart, 'wait for replied where event.kind == "yes"').id


def test_waiting_for_an_event_arrives_or_times_out_into_its_else_block():
    chart = chart_of(VARIANTS, "variants")
    waiting = node_with(chart, 'wait for replied where event.kind == "yes"')
    assert waiting.lines[1] == "up to 3 days" and waiting.kind == "wait"
    edges = {e.label: e.target for e in out_of(chart, waiting.id)}
    until = node_with(chart, "wait until 09:00 on weekdays")
    assert edges == {"arrived": until.id, "timed out": node_with(chart, "send email nudge").id}


def test_if_edges_carry_the_condition_and_the_else_goes_on():
    chart = chart_of(VARIANTS, "variants")
    (choice,) = [n for n in chart.nodes if n.lines == ("if",)]
    edges = {e.label: e.target for e in out_of(chart, choice.id)}
    notify = node_with(chart, 'notify "sales" "Hot: {email}"')
    clear = node_with(chart, "clear email")
    assert edges == {"score > 50": notify.id, "else": clear.id}
    end = node_with(chart, "end")
    assert [e.target for e in out_of(chart, clear.id)] == [end.id]


def test_a_rule_is_trigger_then_condition_then_actions():
    chart = chart_of(VARIANTS, "Hot leads")
    assert chart.title == 'rule "Hot leads"'
    trigger, condition, first, second = chart.nodes
    assert trigger.lines == ('rule "Hot leads"', "when matching score > 90")
    assert condition.kind == "decision" and condition.lines == ("if lifecycle == mql",)
    assert [(e.source, e.target, e.label) for e in chart.edges] == [
        (trigger.id, condition.id, ""),
        (condition.id, first.id, "yes"),
        (first.id, second.id, ""),
    ]


def test_charts_are_for_every_workflow_and_rule_or_the_one_named():
    program = parse(VARIANTS)
    assert [c.title for c in charts(program)] == ["workflow variants", 'rule "Hot leads"', "when created"]
    assert names(program) == ["variants", "Hot leads"]
    with pytest.raises(LookupError):
        charts(program, "nurturing")


# ---- escaping ------------------------------------------------------------------------------
AWKWARD = 'notify "a\\"b" "{x} <b> & c|d [e] #f *g* `h` {{i}} \\\\"'


def test_labels_are_escaped_for_mermaid():
    assert mermaid_text('say "hi" <b> {x} [y] a|b #1 & *c* `d`') == (
        "say #34;hi#34; #60;b#62; #123;x#125; #91;y#93; a#124;b #35;1 #38; #42;c#42; #96;d#96;"
    )
    text = to_mermaid(charts(parse(f"when e then {AWKWARD}")))
    for line in text.splitlines()[1:]:
        quoted = re.findall(r'"([^"]*)"', line)
        assert all(not set(q) & set("<>{}[]|`*&") for q in quoted), line
        assert line.count('"') % 2 == 0, line


def test_labels_are_escaped_for_dot():
    assert dot_text('a "b" \\n {c} <d>') == 'a \\"b\\" \\\\n {c} <d>'
    text = to_dot(charts(parse(f"when e then {AWKWARD}")))
    (label,) = re.findall(r'g1n2 \[label="((?:[^"\\]|\\.)*)"', text)
    assert label == dot_text(format_action(parse(f"when e then {AWKWARD}").decls[0].actions[0]))


# ---- SVG ------------------------------------------------------------------------------------
def test_svg_through_graphviz():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt-get install graphviz)")
    drawn = charts(parse(VARIANTS + f"\nwhen e then {AWKWARD}\n"))
    svg = ElementTree.fromstring(to_svg(to_dot(drawn)))
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"split random", "25%", "50%", "timed out", 'rule "Hot leads"', "when created"} <= texts
    assert format_action(parse(f"when e then {AWKWARD}").decls[0].actions[0]) in texts


def test_the_readme_svg_draws_the_current_chart():
    """docs/diagrams/nurturing.svg is redrawn with the command in nurturing.flow;
    whatever Graphviz's version, it shows every label of today's chart."""
    svg = ElementTree.fromstring((ROOT / "docs" / "diagrams" / "nurturing.svg").read_bytes())
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    chart = chart_of(NURTURING.read_text("utf-8"))
    wanted = {line for node in chart.nodes for line in node.lines} | {e.label for e in chart.edges if e.label}
    assert wanted <= texts


def test_svg_without_graphviz_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH where there is no `dot`
    with pytest.raises(GraphvizMissing, match=r"install Graphviz.*--format mermaid or --format dot"):
        to_svg("digraph {}")
