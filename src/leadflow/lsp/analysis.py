"""One open document, analysed: its diagnostics and the program that
completion and hover read. Free of the protocol, so it is tested directly.

A document is read as one script of its own, as `leadflow check FILE` does.
While it has syntax errors, completion still needs to know its objects,
properties, lists and events, so the model is rebuilt from what still parses:
each declaration that parses on its own (cut where declarations start, as
the parser does to report later errors), plus the declarations of the last
analysis that these do not declare again (the one being edited is usually
the one that does not parse). Only the declarations parsed from the current
text have spans that match it, so hover looks only at those.
"""
from __future__ import annotations

import attrs

from leadflow.check.checker import analyse
from leadflow.check.program import CheckedProgram
from leadflow.diagnostics import Diagnostic
from leadflow.syntax import ast
from leadflow.syntax.parser import parse_recovering


@attrs.frozen
class Analysis:
    text: str
    diagnostics: tuple[Diagnostic, ...]
    model: CheckedProgram | None  # what the script declares, as far as it is known
    current: tuple[ast.Decl, ...]  # the declarations whose spans match `text`

    def rule_info(self, rule: ast.Rule):
        """The checker's RuleInfo (subject, title) of a rule of the model, or None."""
        if self.model is None:
            return None
        return next((info for info in self.model.rules if info.rule is rule), None)


def analyse_text(text: str, file: str, previous: Analysis | None = None) -> Analysis:
    program, syntax_errors, parsed = parse_recovering(text, file)
    if program is None:
        current = tuple(parsed)
        return Analysis(text, tuple(syntax_errors), _model(current, previous, file, text), current)
    model, diagnostics = analyse(program, {file: text})
    return Analysis(text, tuple(diagnostics), model, program.decls)


def _model(current: tuple, previous: Analysis | None, file: str, text: str) -> CheckedProgram | None:
    declared = {_key(d) for d in current}
    kept = ()
    if previous is not None and previous.model is not None:
        kept = tuple(d for d in previous.model.program.decls
                     if not isinstance(d, ast.Rule) and _key(d) not in declared)
    decls = current + kept
    if not decls:
        return previous.model if previous is not None else None
    model, _ = analyse(ast.Program(decls), {file: text})
    return model


def _key(decl) -> tuple:
    """What a declaration declares (rules are never carried over, so theirs does not matter)."""
    return type(decl).__name__, getattr(decl, "name", None)
