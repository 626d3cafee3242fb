"""`leadflow graph`: workflows and rules drawn as flow charts.

model.py builds one chart model from the parsed AST (no type check needed);
render.py writes it as Mermaid, Graphviz DOT, or SVG through Graphviz.
"""

from leadflow.graph.model import Chart, Edge, Node, charts, names
from leadflow.graph.render import GraphvizMissing, to_dot, to_mermaid, to_svg

__all__ = ["Chart", "Edge", "Node", "GraphvizMissing", "charts", "names", "to_dot", "to_mermaid", "to_svg"]
