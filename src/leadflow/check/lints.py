"""Lints: warnings about scripts that check but likely do not do what their
author means. They run once type checking has found no error, on the checked
program (the type and meaning of every expression), and never stop a script
from running.

  W301  a declaration nothing uses
  W401  a condition that can never be true (see `facts` for how that is known)
  W402  a `matching` rule whose own write turns its condition false, so it can
        fire again (see `rearm`)
  W405  text interpolated into a webhook URL's query unencoded (see `url_lints`)

A declaration whose name starts with `_` is never reported as unused: that
is how a script keeps one on purpose. Properties and objects are never
reported: records come from imports and event files as well as from rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from leadflow.check.facts import Conditions, guarded, rule_filters
from leadflow.check.program import CheckedProgram
from leadflow.check.rearm import rearming_writes
from leadflow.diagnostics import Diagnostic
from leadflow.syntax import ast
from leadflow.syntax.span import Span
from leadflow.syntax.walk import walk
from leadflow.check.workflow_lints import workflow_lints
from leadflow.check.url_lints import unencoded_url_queries


def lint(checked: CheckedProgram) -> list[Diagnostic]:
    conditions = Conditions(checked)
    return (
        unused_declarations(checked)
        + never_true_conditions(conditions)
        + rearming_writes(conditions)
        + workflow_lints(checked.program, warning)
        + unencoded_url_queries(checked, warning)
    )


def warning(code: str, message: str, span: Span, label: str = "", notes: tuple[str, ...] = ()) -> Diagnostic:
    return Diagnostic(code, message, span, label, notes, severity="warning")


# ---- W301: declarations never used ------------------------------------------------
# kind shown, why it counts as unused, what to do
UNUSED = {
    ast.ListDecl: (
        "list",
        "no rule or workflow adds to it, removes from it or listens to it",
        "use it (`add to {name}`) or remove it",
    ),
    ast.EventDecl: (
        "event",
        "no rule is triggered by it, so its events change nothing",
        "add a rule (`when {name} then ...`) or remove it",
    ),
    ast.EmailDecl: ("email", "no rule sends it", "send it (`send email {name}`) or remove it"),
    ast.ConstDecl: ("const", "nothing reads it", "remove it"),
    ast.FnDecl: ("fn", "nothing calls it", "remove it"),
    ast.ExternFn: ("extern fn", "nothing calls it, so the host need not provide it", "remove it"),
    ast.SecretDecl: ("secret", "no webhook uses it in `auth bearer` or `sign with`", "remove it"),
    ast.TypeDecl: ("type", "no declaration names it", "remove it"),
}
KEEP_UNUSED = "a name starting with `_` is never reported as unused"


def unused_declarations(checked: CheckedProgram) -> list[Diagnostic]:
    used = _uses(checked)
    found = []
    for decl in checked.program.decls:
        entry = UNUSED.get(type(decl))
        if entry is None or isinstance(decl, ast.Rule) or decl.name.startswith("_") or (type(decl), decl.name) in used:
            continue
        kind, why, todo = entry
        found.append(
            warning(
                "W301",
                f"{kind} `{decl.name}` is never used",
                decl.name_span.or_else(decl.span),
                why,
                (todo.format(name=decl.name) + "; " + KEEP_UNUSED,),
            )
        )
    return found


def _uses(checked: CheckedProgram) -> set[tuple[type, str | None]]:
    """(declaration kind, name) for every declaration something names."""
    used: set[tuple[type, str | None]] = set()
    for node in walk(checked.program):
        if isinstance(node, (ast.ListAction, ast.ListTrigger, ast.Suppress)):
            used.add((ast.ListDecl, node.list_name))
        elif isinstance(node, ast.SendEmail):
            used.add((ast.EmailDecl, node.template))
        elif isinstance(node, (ast.EventTrigger, ast.WaitFor, ast.Happened)):
            used.add((ast.EventDecl, node.event))
        elif isinstance(node, ast.Call):
            used |= {(ast.FnDecl, node.func), (ast.ExternFn, node.func)}
        elif isinstance(node, ast.Webhook):
            used |= {(ast.SecretDecl, node.auth_secret), (ast.SecretDecl, node.sign_secret)}
        elif isinstance(node, ast.NamedType):
            used.add((ast.TypeDecl, node.name))
        elif isinstance(node, ast.Name):
            resolution = checked.names.get(id(node))  # `limit`, and `const.limit` (kept on the `const`)
            if resolution is not None and resolution.kind == "const":
                used.add((ast.ConstDecl, resolution.name))
    return used


# ---- W401: conditions that can never be true ---------------------------------------
def never_true_conditions(conditions: Conditions) -> list[Diagnostic]:
    found: list[Diagnostic] = []

    def check(condition: ast.Expr, context: list[dict[Any, Any]], what: str = "this condition") -> bool:
        """Report `condition` if it can never hold; True if it was reported."""
        why = conditions.never_true(condition, context)
        if why is not None:
            found.append(warning("W401", f"{what} is never true", condition.span, why))
        return why is not None

    for info in conditions.checked.rules:
        _rule_conditions(conditions, info.rule, check)
    program = conditions.checked.program
    _chains(program, ast.IfExpr, lambda e: e.condition, lambda e: e.otherwise, conditions, check)
    _chains(
        program,
        ast.IfStmt,
        lambda s: s.condition,
        lambda s: s.otherwise[0] if s.otherwise and len(s.otherwise) == 1 else None,
        conditions,
        check,
    )
    return found


def _rule_conditions(conditions: Conditions, rule: ast.Rule, check: Callable[..., bool]) -> None:
    """A rule's trigger filter and `if` hold together; inside its actions, so do
    the branches of an `if` taken so far, except for what the actions write."""
    context: list[dict[Any, Any]] = [{}]
    for condition in rule_filters(rule):
        if check(condition, context):
            return
        context = conditions.assume(condition, context)
    written = _written_keys(rule.actions)
    for step in guarded(rule.actions):
        if step.is_condition:
            # an empty context (a branch around this one is never true) reports nothing again
            known = _forget(conditions.assume_all(step.outer, context), written)
            known = conditions.assume_all(((c, False) for c in step.failed), known)
            check(step.node, known, "this branch's condition")


def _chains(
    program: ast.Program,
    kind: type[Any],
    condition_of: Callable[[Any], ast.Expr],
    next_of: Callable[[Any], Any],
    conditions: Conditions,
    check: Callable[..., bool],
) -> None:
    """`if a ... else if b ...` expressions and statements: b is read knowing a failed."""
    nodes = [n for n in walk(program) if isinstance(n, kind)]
    continued = {id(next_of(n)) for n in nodes if isinstance(next_of(n), kind)}
    for node in nodes:
        if id(node) in continued:
            continue
        context: list[dict[Any, Any]] = [{}]
        while isinstance(node, kind):
            check(condition_of(node), context)
            context = conditions.assume(condition_of(node), context, holds=False)
            node = next_of(node)


def _written_keys(actions: Iterable[ast.Action]) -> set[tuple[str, ...]]:
    """Subjects that a rule's actions may change, named as `Conditions.subject_key` names them.
    `set x.p` could be any of three keys; naming all of them only forgets more."""
    written: set[tuple[str, ...]] = set()
    for node in (n for action in actions for n in walk(action)):
        if isinstance(node, (ast.SetAction, ast.ClearAction, ast.IncrementAction)):
            *owner, name = node.target
            written.add(("prop", name))
            if owner:
                written |= {("prop", *owner, name), ("local", *owner, name)}
        elif isinstance(node, ast.LetAction):
            written.add(("local", node.name))
        elif isinstance(node, ast.CreateRecord) and node.alias:
            written.add(("local", node.alias))
    return written


def _forget(states: list[dict[Any, Any]], written: set[tuple[str, ...]]) -> list[dict[Any, Any]]:
    """The alternatives without what they say about subjects that may have been written."""

    def stale(key: tuple[str, ...]) -> bool:
        return any(key[: len(w)] == w for w in written)

    return [{k: v for k, v in state.items() if not stale(k)} for state in states]
