"""One open document, analysed: its diagnostics and the program that
completion and hover read. Free of the protocol, so it is tested directly.

A document is checked together with the other scripts of its project (see
project.py), handed in as `others` ({file: text}, in the project's order),
as `leadflow check` checks the files it is given as one program. Only the
document's own diagnostics are kept: the others' are published when they are
open, each at its own file.

While the document has syntax errors, completion still needs to know its
objects, properties, lists and events, so the model is rebuilt from what
still parses: each declaration that parses on its own (cut where
declarations start, as the parser does to report later errors), plus the
declarations of the last analysis that these do not declare again (the one
being edited is usually the one that does not parse). A neighbour that does
not parse gives the declarations that do. Only the declarations parsed from
the current text have spans that match it, so hover looks only at those.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

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


def analyse_text(
    text: str, file: str, previous: Analysis | None = None, others: Mapping[str, str] | None = None
) -> Analysis:
    """The analysis of the document `file` holding `text`, checked with the scripts `others`
    ({file: text}; the document's own entry, if there, gives its place in the order)."""
    sources = {**(others or {}), file: text}  # the document keeps its place, with its text as it is now
    program, syntax_errors, parsed = parse_recovering(text, file)
    if program is None:
        current = tuple(parsed)
        model = _model(current, previous, file, sources)
        return Analysis(text, tuple(syntax_errors), model, current)
    decls = [
        d for name, source in sources.items() for d in (program.decls if name == file else _declarations(source, name))
    ]
    model, diagnostics = analyse(ast.Program(tuple(decls)), sources)
    own = tuple(d for d in diagnostics if d.span.file == file)
    return Analysis(text, own, model, program.decls)


@lru_cache(maxsize=64)
def _declarations(text: str, file: str) -> tuple[ast.Decl, ...]:
    """A neighbour's declarations, as far as it parses (it is parsed again only once it changes)."""
    return tuple(parse_recovering(text, file)[2])


def _model(current: tuple, previous: Analysis | None, file: str, sources: Mapping[str, str]) -> CheckedProgram | None:
    declared = {_key(d) for d in current}
    kept: tuple[ast.Decl, ...] = ()
    if previous is not None and previous.model is not None:
        kept = tuple(
            d
            for d in previous.model.program.decls
            if not isinstance(d, ast.Rule) and d.span.file == file and _key(d) not in declared
        )
    neighbours = tuple(d for name, source in sources.items() if name != file for d in _declarations(source, name))
    decls = current + kept + neighbours
    if not decls:
        return previous.model if previous is not None else None
    model, _ = analyse(ast.Program(decls), dict(sources))
    return model


def _key(decl) -> tuple:
    """What a declaration declares (rules are never carried over, so theirs does not matter)."""
    return type(decl).__name__, getattr(decl, "name", None)
