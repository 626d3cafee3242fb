"""Flow charts of workflows and rules, built from the parsed AST.

A chart is nodes (each of a kind, with lines of text) and edges (with an
optional label). Every output format draws the same chart (render.py), so
Mermaid and Graphviz always agree. Labels are source text, written by the
printer, so a chart shows conditions and triggers as the script reads.

A workflow's chart: a start node naming the workflow with its enrollment
triggers and settings, the goal as a note beside it, then each step in
order. A step that splits the flow (`if`, `split random`, `branch on`,
`wait for ... up to`) is a decision whose outgoing edges say when each way
is taken: the condition, the share, the values, "arrived" or "timed out".
The ways join again at the next step; whatever reaches the end of the
steps goes to an end node, and `stop` is an end node itself.
A rule's chart: its trigger, its condition as a decision, its actions.
"""

from __future__ import annotations

import attrs

from leadflow.syntax import ast
from leadflow.syntax.printer import format_action, format_clause, format_expr, format_trigger, quote

KINDS = ("start", "action", "wait", "decision", "end", "note")


@attrs.frozen
class Node:
    id: str
    kind: str  # one of KINDS
    lines: tuple[str, ...]


@attrs.frozen
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False  # a note's attachment, not a way the flow goes


@attrs.frozen
class Chart:
    id: str
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


# Where the flow stands after some steps: (node, label of the edge still to
# draw from it). Several when ways have not joined yet; none after `stop`.
Ends = list[tuple[str, str]]


def charts(program: ast.Program, name: str | None = None) -> list[Chart]:
    """A chart for each workflow and rule of the program, in source order, or for
    those named `name`. Raises LookupError when none is named so."""
    drawable = [d for d in program.decls if isinstance(d, (ast.Workflow, ast.Rule))]
    if name is not None:
        drawable = [d for d in drawable if d.name == name]
        if not drawable:
            raise LookupError(name)
    return [_chart(decl, f"g{i}") for i, decl in enumerate(drawable, 1)]


def names(program: ast.Program) -> list[str]:
    """The names `charts` accepts: workflows' and named rules'."""
    return [d.name for d in program.decls if isinstance(d, (ast.Workflow, ast.Rule)) and d.name is not None]


def _chart(decl: ast.Workflow | ast.Rule, chart_id: str) -> Chart:
    builder = _Builder(chart_id)
    if isinstance(decl, ast.Workflow):
        builder.workflow(decl)
        title = f"workflow {decl.name}"
    else:
        builder.rule(decl)
        title = f"rule {quote(decl.name)}" if decl.name is not None else f"when {format_trigger(decl.trigger)}"
    return Chart(chart_id, title, tuple(builder.nodes), tuple(builder.edges))


class _Builder:
    def __init__(self, chart_id: str):
        self.chart_id = chart_id
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []

    def add(self, kind: str, *lines: str) -> str:
        node_id = f"{self.chart_id}n{len(self.nodes) + 1}"
        self.nodes.append(Node(node_id, kind, lines))
        return node_id

    def link(self, ends: Ends, target: str) -> None:
        self.edges += [Edge(source, target, label) for source, label in ends]

    # ---- declarations -------------------------------------------------------------
    def workflow(self, workflow: ast.Workflow) -> None:
        head = f"workflow {workflow.name}" + (
            f" for {workflow.object_type}" if workflow.object_type != "contact" else ""
        )
        settings = [format_clause(c) for c in workflow.clauses if not isinstance(c, ast.Goal)]
        start = self.add("start", head, *settings)
        for goal in workflow.clauses_of(ast.Goal):
            note = self.add("note", f"goal {format_expr(goal.condition)}", "records leave as soon as it is true")
            self.edges.append(Edge(start, note, dashed=True))
        ends = self.steps(workflow.steps, [(start, "")])
        if ends:
            self.link(ends, self.add("end", "end"))

    def rule(self, rule: ast.Rule) -> None:
        head = [f"rule {quote(rule.name)}"] if rule.name is not None else []
        ends: Ends = [(self.add("start", *head, f"when {format_trigger(rule.trigger)}"), "")]
        if rule.condition is not None:
            condition = self.add("decision", f"if {format_expr(rule.condition)}")
            self.link(ends, condition)
            ends = [(condition, "yes")]
        self.steps(rule.actions, ends)

    # ---- steps --------------------------------------------------------------------
    def steps(self, steps, ends: Ends) -> Ends:
        for step in steps:
            ends = self.step(step, ends)
        return ends

    def step(self, step: ast.Action, ends: Ends) -> Ends:
        if isinstance(step, ast.IfAction):
            choice = self.fork(ends, "if")
            ways = [(actions, format_expr(condition)) for condition, actions in step.branches]
            return self.ways(choice, ways + [(step.otherwise or (), "else")])
        if isinstance(step, ast.Split):
            choice = self.fork(ends, "split random")
            return self.ways(choice, [(arm.steps, format_expr(ast.NumberLit(arm.percent)) + "%") for arm in step.arms])
        if isinstance(step, ast.Branch):
            choice = self.fork(ends, f"branch on {format_expr(step.subject)}")
            ways = [(arm.steps, ", ".join(format_expr(v) for v in arm.values)) for arm in step.arms]
            return self.ways(choice, ways + [(step.otherwise or (), "else")])
        if isinstance(step, ast.WaitFor):
            where = f" where {format_expr(step.where)}" if step.where is not None else ""
            waiting = self.add("wait", f"wait for {step.event}{where}", f"up to {format_expr(step.timeout)}")
            self.link(ends, waiting)
            return self.ways(waiting, [((), "arrived"), (step.otherwise or (), "timed out")])
        if isinstance(step, ast.Stop):
            self.link(ends, self.add("end", "stop"))
            return []
        kind = "wait" if isinstance(step, (ast.Wait, ast.WaitUntil)) else "action"
        node = self.add(kind, *(line.strip() for line in format_action(step).split("\n")))
        self.link(ends, node)
        return [(node, "")]

    def fork(self, ends: Ends, label: str) -> str:
        choice = self.add("decision", label)
        self.link(ends, choice)
        return choice

    def ways(self, choice: str, ways) -> Ends:
        """Each way out of `choice`: its steps, entered by an edge with its label.
        A way without steps leaves that edge to the step after the choice."""
        return [end for steps, label in ways for end in self.steps(steps, [(choice, label)])]
