"""Charts as Mermaid, Graphviz DOT and SVG text.

Both text formats quote every label, and escape what their quoting does not
cover: Mermaid reads `#code;` as a character (and GitHub reads `*` and
backticks as Markdown), so those characters, quotes, `<>`, `&`, braces,
brackets and `|` become codes; DOT needs only `\\` and `"` escaped inside
quotes. SVG is Graphviz's `dot` run on the DOT text, when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess

from leadflow.errors import LeadflowError
from leadflow.graph.model import Chart, Node

# ---- Mermaid ----------------------------------------------------------------------
MERMAID_SHAPES = {  # kind -> (opening, closing) around the quoted label
    "start": ("([", "])"),
    "action": ("[", "]"),
    "wait": ("[/", "/]"),
    "decision": ("{", "}"),
    "end": ("((", "))"),
    "note": (">", "]"),
}
MERMAID_STYLES = {  # class names avoid `end`, a Mermaid keyword
    "start": "fill:#e3f2fd,stroke:#1e88e5",
    "wait": "fill:#fff8e1,stroke:#f9a825",
    "decision": "fill:#f3e5f5,stroke:#8e24aa",
    "end": "fill:#eceff1,stroke:#546e7a",
    "note": "fill:#fffde7,stroke:#fbc02d,stroke-dasharray:4",
}
MERMAID_ESCAPED = set('"#&<>*`|{}[]')


def mermaid_text(text: str) -> str:
    """Text for inside a quoted Mermaid label."""
    return "".join(f"#{ord(ch)};" if ch in MERMAID_ESCAPED else ch for ch in text)


def to_mermaid(charts: list[Chart]) -> str:
    """One `flowchart TD`; several charts each become a titled subgraph."""
    lines = ["flowchart TD"]
    nested = len(charts) > 1
    for chart in charts:
        indent = "        " if nested else "    "
        if nested:
            lines.append(f'    subgraph {chart.id} ["{mermaid_text(chart.title)}"]')
        for node in chart.nodes:
            opening, closing = MERMAID_SHAPES[node.kind]
            label = "<br>".join(mermaid_text(line) for line in node.lines)
            lines.append(f'{indent}{node.id}{opening}"{label}"{closing}')
        for edge in chart.edges:
            arrow = "-.-" if edge.dashed else "-->"
            label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
            lines.append(f"{indent}{edge.source} {arrow}{label} {edge.target}")
        if nested:
            lines.append("    end")
    for kind, style in MERMAID_STYLES.items():
        members = [node.id for chart in charts for node in chart.nodes if node.kind == kind]
        if members:
            lines.append(f"    classDef lf_{kind} {style}")
            lines.append(f"    class {','.join(members)} lf_{kind}")
    return "\n".join(lines) + "\n"


# ---- Graphviz -----------------------------------------------------------------------
DOT_SHAPES = {
    "start": 'shape=box, style="rounded,filled", fillcolor="#e3f2fd", color="#1e88e5"',
    "action": "shape=box",
    "wait": 'shape=parallelogram, style=filled, fillcolor="#fff8e1", color="#f9a825"',
    "decision": 'shape=diamond, style=filled, fillcolor="#f3e5f5", color="#8e24aa"',
    "end": 'shape=circle, style=filled, fillcolor="#eceff1", color="#546e7a"',
    "note": 'shape=note, style=filled, fillcolor="#fffde7", color="#fbc02d"',
}


def dot_text(text: str) -> str:
    """Text for inside a double-quoted DOT string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(charts: list[Chart]) -> str:
    """One `digraph`; several charts each become a titled cluster."""
    nested = len(charts) > 1
    lines = [
        "digraph leadflow {",
        '    graph [fontname="Helvetica", fontsize=12]',
        '    node [fontname="Helvetica", fontsize=11]',
        '    edge [fontname="Helvetica", fontsize=10]',
    ]
    for chart in charts:
        indent = "        " if nested else "    "
        if nested:
            lines.append(f"    subgraph cluster_{chart.id} {{")
            lines.append(f'{indent}label="{dot_text(chart.title)}"')
        for node in chart.nodes:
            lines.append(f"{indent}{node.id} [label={_dot_label(node)}, {DOT_SHAPES[node.kind]}]")
        for edge in chart.edges:
            attributes = [f'label="{dot_text(edge.label)}"'] if edge.label else []
            if edge.dashed:
                attributes += ["style=dashed", "arrowhead=none"]
            suffix = f" [{', '.join(attributes)}]" if attributes else ""
            lines.append(f"{indent}{edge.source} -> {edge.target}{suffix}")
        if nested:
            lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_label(node: Node) -> str:
    return '"' + "\\n".join(dot_text(line) for line in node.lines) + '"'


# ---- SVG --------------------------------------------------------------------------------
class GraphvizMissing(LeadflowError):
    """SVG was asked for and Graphviz's `dot` is not on the PATH."""


def to_svg(dot: str) -> bytes:
    """The DOT text drawn by Graphviz. Raises GraphvizMissing without it."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing(
            "SVG needs Graphviz's `dot` program, which is not installed here: install Graphviz "
            "(apt-get install graphviz, brew install graphviz, or https://graphviz.org/download/), "
            "or use --format mermaid or --format dot"
        )
    # The program found on PATH, fixed arguments, no shell.
    done = subprocess.run([program, "-Tsvg"], input=dot.encode("utf-8"), capture_output=True, timeout=60)  # noqa: S603
    if done.returncode != 0:
        raise LeadflowError(f"Graphviz failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
