"""Hover: what the thing under the cursor is, and its type.

The innermost node under the cursor is found by span among the declarations
parsed from the current text, and described from the checker's side tables:
the type of every expression and what every bare name means. A name written
inside a node (a rule's event, an action's list, a declaration's own name)
has a span of its own, so hovering it describes what it names.
"""

from __future__ import annotations

from leadflow.check import types as T
from leadflow.check.program import CheckedProgram, Property, RuleInfo
from leadflow.check.targets import written_object
from leadflow.lsp.analysis import Analysis
from leadflow.lsp.describe import event_text, signature_text, type_text
from leadflow.stdlib import REGISTRY
from leadflow.syntax import ast
from leadflow.syntax.printer import format_expr
from leadflow.syntax.span import Span
from leadflow.syntax.walk import children

EXPRESSIONS = (
    ast.NumberLit,
    ast.BoolLit,
    ast.NullLit,
    ast.TextLit,
    ast.DateLit,
    ast.DateTimeLit,
    ast.TimeLit,
    ast.DurationLit,
    ast.ListLit,
    ast.RecordLit,
    ast.Index,
    ast.Unary,
    ast.Binary,
    ast.In,
    ast.IsKnown,
    ast.IfExpr,
    ast.Match,
)


def hover(analysis: Analysis, line: int, column: int) -> tuple[str, Span] | None:
    """(Markdown, the span it is about) for the position, or None."""
    model = analysis.model
    if model is None:
        return None
    path = path_at(analysis.current, line, column)
    rule = path[0] if path and isinstance(path[0], ast.Rule) else None
    info = analysis.rule_info(rule) if rule is not None else None
    for depth in range(len(path) - 1, -1, -1):
        found = _describe(path[depth], path[:depth], model, info, line, column)
        if found is not None:
            return found
    return None


def path_at(decls, line: int, column: int) -> list:
    """The nodes that contain the position, outermost first."""
    path: list = []
    candidates = list(decls)
    while candidates:
        inside = next((n for n in candidates if _contains(n.span, line, column)), None)
        if inside is None:
            # a node built without a span (a tuple of actions...) may still hold one that has it
            unknown = [n for n in candidates if n.span.line == 0]
            candidates = [c for n in unknown for c in children(n)]
            continue
        path.append(inside)
        candidates = list(children(inside))
    return path


def _contains(span: Span, line: int, column: int) -> bool:
    if span.line == 0:
        return False
    return (span.line, span.column) <= (line, column) < (span.end_line, span.end_column)


def _describe(node, parents: list, model: CheckedProgram, info: RuleInfo | None, line: int, column: int):
    def at(span: Span) -> bool:
        return _contains(span, line, column)

    subject = info.subject if info is not None else "contact"
    if isinstance(node, ast.Name):
        return _name(node, parents, model), node.span
    if isinstance(node, ast.Field) and at(node.name_span):
        return _code(f"{format_expr(node)}: {type_text(model.types.get(id(node), T.ANY))}"), node.name_span
    if isinstance(node, ast.Call):  # no argument holds the position: it is on the name
        return _function(node.func, model), node.span
    if isinstance(node, (ast.SetAction, ast.ClearAction, ast.IncrementAction)) and at(node.target_span):
        written = _written_property(node, model, info)
        return (_property(*written), node.target_span) if written else None
    if isinstance(node, ast.ChangedTrigger) and at(node.path_span):
        owner = node.path[0] if len(node.path) == 2 else subject
        prop = _property_of(model, owner, node.path[-1])
        return (_property(prop, owner), node.path_span) if prop else None
    if isinstance(node, (ast.ListAction, ast.ListTrigger)) and at(node.name_span):
        return _list(node.list_name, model), node.name_span
    if isinstance(node, ast.SendEmail) and at(node.name_span):
        return _email(node.template, model), node.name_span
    if isinstance(node, ast.EventTrigger) and at(node.name_span):
        return _event(node.event, model), node.name_span
    if isinstance(node, (ast.CreateRecord, ast.CreatedTrigger)) and at(node.name_span):
        return _object(node.object_type, model), node.name_span
    if isinstance(node, ast.PropDecl) and at(
        name := Span.point(node.span.file, node.span.line, node.span.column, len(node.name))
    ):
        owner = parents[-1].name if parents and isinstance(parents[-1], ast.ObjectDecl) else subject
        prop = _property_of(model, owner, node.name)
        return (_property(prop, owner), name) if prop else None
    if hasattr(node, "name_span") and at(node.name_span):
        text = _declaration(node, model)
        return (text, node.name_span) if text else None
    if isinstance(node, EXPRESSIONS) and id(node) in model.types:
        return _code(type_text(model.types[id(node)])), node.span
    return None


# ---- what names name ---------------------------------------------------------------
def _name(node: ast.Name, parents: list, model: CheckedProgram) -> str:
    resolution = model.names.get(id(node))
    type_ = model.types.get(id(node), T.ANY)
    if resolution is None:
        return _code(f"{node.name}: {type_text(type_)}")
    if resolution.kind == "prop":
        assert resolution.object_type is not None  # a property's owner
        return _property(model.objects[resolution.object_type].properties[resolution.name], resolution.object_type)
    if resolution.kind == "const":
        decl = model.consts.get(resolution.name)
        value = f" = {format_expr(decl.value)}" if decl is not None else ""
        return _code(f"const {resolution.name}: {type_text(type_)}{value}")
    if resolution.kind == "enum":
        enum = _enum_around(node, parents, model)
        where = f"\n\na member of {_code(type_text(enum))}" if enum is not None else ""
        return _code(node.name) + where
    if resolution.kind == "self":
        return _code(f"{node.name}: {node.name}") + "\n\nthe record the rule acts on"
    if resolution.kind == "event":
        return _code(f"event: {type_text(type_)}") + "\n\nthe triggering event's data"
    return _code(f"{resolution.name}: {type_text(type_)}") + "\n\na local value (`let`, a parameter, a loop variable)"


def _enum_around(node, parents: list, model: CheckedProgram) -> T.Type | None:
    """The enum a bare member belongs to, from what it is compared with or stored in."""
    parent = parents[-1] if parents else None
    others: list = []
    if isinstance(parent, ast.Binary):
        others = [parent.left if parent.right is node else parent.right]
    elif isinstance(parent, ast.ListLit) and len(parents) > 1 and isinstance(parents[-2], ast.In):
        others = [parents[-2].item]
    elif isinstance(parent, ast.Match):
        others = [parent.subject]
    elif isinstance(parent, (ast.SetAction, ast.ChangedTrigger)):
        prop_type = model.types.get(id(parent))
        if prop_type is not None:
            return T.strip_null(prop_type)
        others = [parent.from_value] if isinstance(parent, ast.ChangedTrigger) else []
    for other in others:
        found = T.strip_null(model.types.get(id(other), T.ANY))
        if isinstance(found, T.EnumType) and len(found.members) > 1:
            return found
    return None


def _written_property(node, model: CheckedProgram, info) -> tuple[Property, str] | None:
    """The property a `set`/`clear`/`increment` writes, and its object type."""
    target = written_object(model, info, node.target) if info is not None else ("contact", True)
    if target is None:
        return None
    prop = _property_of(model, target[0], node.target[-1])
    return (prop, target[0]) if prop is not None else None


def _property_of(model: CheckedProgram, owner: str, name: str) -> Property | None:
    schema = model.objects.get(owner)
    return schema.properties.get(name) if schema is not None else None


def _property(prop: Property, owner: str) -> str:
    default = f" = {format_expr(prop.default)}" if prop.default is not None else ""
    kind = "read-only property" if prop.readonly else "property"
    return _code(f"{prop.name}: {type_text(prop.type)}{default}") + f"\n\n{kind} of `{owner}`"


def _function(name: str, model: CheckedProgram) -> str:
    signature = signature_text(model, name)
    if signature is None:
        return _code(f"{name}(...)") + "\n\nunknown function"
    if name in model.externs:
        return _code(signature) + "\n\nprovided by the host program"
    builtin = REGISTRY.get(name) if name not in model.functions else None
    return _code(signature) + (f"\n\n{builtin.doc}" if builtin is not None and builtin.doc else "")


def _list(name: str, model: CheckedProgram) -> str:
    display = model.lists.get(name)
    return _code(f"list {name}" + (f' "{display}"' if display else ""))


def _email(name: str, model: CheckedProgram) -> str:
    decl = model.emails.get(name)
    if decl is None:
        return _code(f"email {name}")
    subject = next((f.value for f in decl.fields if f.name == "subject"), None)
    return _code(f"email {name}") + (f"\n\nsubject: {format_expr(subject)}" if subject is not None else "")


def _event(name: str, model: CheckedProgram) -> str:
    schema = model.events.get(name)
    return _code(event_text(schema) if schema is not None else f"event {name}")


def _object(name: str, model: CheckedProgram) -> str:
    schema = model.objects.get(name)
    if schema is None:
        return _code(f"object {name}")
    props = "\n".join(f"  {p.name}: {type_text(p.type)}" for p in schema.properties.values())
    return _code(f"object {name} {{\n{props}\n}}")


def _declaration(decl, model: CheckedProgram) -> str | None:
    if isinstance(decl, ast.ListDecl):
        return _list(decl.name, model)
    if isinstance(decl, ast.EmailDecl):
        return _email(decl.name, model)
    if isinstance(decl, ast.EventDecl):
        return _event(decl.name, model)
    if isinstance(decl, ast.ObjectDecl):
        return _object(decl.name, model)
    if isinstance(decl, (ast.FnDecl, ast.ExternFn)):
        return _function(decl.name, model)
    if isinstance(decl, ast.ConstDecl) and id(decl.value) in model.types:
        return _code(f"const {decl.name}: {type_text(model.types[id(decl.value)])} = {format_expr(decl.value)}")
    if isinstance(decl, ast.SecretDecl):
        return _code(f"secret {decl.name}") + "\n\nits value comes from the host or LEADFLOW_SECRET_" + decl.name
    return None


def _code(text: str) -> str:
    return f"```leadflow\n{text}\n```"
