"""Source files to a checked program: the front half of the pipeline, without
the engine, so `leadflow check` and editors load no store, no compiler and no
effects."""

from __future__ import annotations

from collections.abc import Mapping

from leadflow.check.checker import check
from leadflow.check.program import CheckedProgram
from leadflow.diagnostics import Diagnostic
from leadflow.errors import ScriptError
from leadflow.syntax import ast
from leadflow.syntax.parser import parse


def load_program(sources: Mapping[str, str]) -> CheckedProgram:
    """Parse and check several files as one program; ScriptError lists every problem."""
    decls: list[ast.Decl] = []
    syntax_errors: list[Diagnostic] = []
    for name, text in sources.items():
        try:
            decls.extend(parse(text, name).decls)
        except ScriptError as error:  # keep going: every file's syntax errors are reported at once
            syntax_errors.extend(error.diagnostics)
    if syntax_errors:
        raise ScriptError(syntax_errors)
    return check(ast.Program(tuple(decls)), dict(sources))
