"""Constants and property defaults, computed when a script is checked.

The compiler computes them once, before any record exists; a mistake there
(`const rate = 1 / 0`) would otherwise pass `leadflow check` and then fail
every command with a runtime error that names no line. So a checked program
without errors has its constants computed here, by the same compiled code
the engine will run, and a failure is a diagnostic at the expression.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from leadflow.check.program import CheckedProgram
from leadflow.diagnostics import Diagnostic
from leadflow.errors import LeadflowRuntimeError
from leadflow.syntax import ast, walk

FAILURES = (LeadflowRuntimeError, ArithmeticError, ValueError)  # ArithmeticError: a date past year 9999


def evaluate(checked: CheckedProgram) -> list[Diagnostic]:
    """E318 for each constant or default that cannot be computed."""
    from leadflow.interpreter.compile import Codegen  # the compiler imports the checker's modules

    codegen = Codegen(checked, ZoneInfo("UTC"))
    failed: set[str] = set()
    diagnostics = []
    for name, decl in checked.consts.items():
        if _reads(decl.value, failed, checked):
            failed.add(name)  # already reported where it fails
            continue
        try:
            codegen.const_value(name)
        except FAILURES as error:
            failed.add(name)
            diagnostics.append(_cannot(f"constant `{name}`", decl.value, error))
    for object_type in checked.objects.values():
        for prop_name, prop in object_type.properties.items():
            if prop.default is None or _reads(prop.default, failed, checked):
                continue
            try:
                codegen.const_value_of(prop.default)
            except FAILURES as error:
                diagnostics.append(_cannot(f"the default of `{prop_name}`", prop.default, error))
    return diagnostics


def _reads(expr: ast.Expr, failed: set[str], checked: CheckedProgram) -> bool:
    """Whether expr reads a constant that failed."""
    for node in walk.walk(expr):
        if isinstance(node, ast.Name):
            resolution = checked.names.get(id(node))
            if resolution is not None and resolution.kind == "const" and resolution.name in failed:
                return True
    return False


def _cannot(what: str, expr: ast.Expr, error: Exception) -> Diagnostic:
    reason = error.message if isinstance(error, LeadflowRuntimeError) else "the value is out of range"
    return Diagnostic(
        "E318", f"{what} cannot be computed: {reason}", expr.span, "constants are computed before the script runs"
    )
