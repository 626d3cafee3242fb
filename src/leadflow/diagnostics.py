"""Diagnostics: what went wrong, where, and what to do about it.

A diagnostic has a stable code (E1xx syntax, E2xx names and types, E3xx
declarations and effects; warnings W2xx from type checking, and the lints of
`check.lints`: W3xx declarations, W4xx conditions and rules), a span, a message, an optional
label printed under the caret (usually the "did you mean" hint) and notes.
Rendering follows the rustc layout the language design shows:

    nurture.flow:14:19: error[E201]: `leed` is not a member of lifecycle's enum
       |
    14 |   then set lifecycle = leed
       |                        ^^^^ did you mean `lead`?
       = note: members are subscriber, lead, mql, sql, opportunity, customer
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable

import attrs

from leadflow.syntax.span import Span


@attrs.frozen
class Diagnostic:
    code: str
    message: str
    span: Span
    label: str = ""
    notes: tuple[str, ...] = ()
    severity: str = "error"  # or "warning"

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "label": self.label,
            "notes": list(self.notes),
        }


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, if any is close enough."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggestion_label(name: str, candidates: Iterable[str]) -> str:
    best = did_you_mean(name, candidates)
    return f"did you mean `{best}`?" if best else ""


def render(diag: Diagnostic, source: str | None) -> str:
    span = diag.span
    head = f"{span}: {diag.severity}[{diag.code}]: {diag.message}"
    lines = [head]
    source_lines = source.splitlines() if source is not None else []
    if 1 <= span.line <= len(source_lines):
        text = source_lines[span.line - 1].expandtabs(1)
        gutter = " " * len(str(span.line))
        if span.end_line == span.line:
            width = max(1, span.end_column - span.column)
        else:
            width = max(1, len(text) - span.column + 1)
        caret = " " * (span.column - 1) + "^" * width
        label = f" {diag.label}" if diag.label else ""
        lines += [f"{gutter} |", f"{span.line} | {text}", f"{gutter} | {caret}{label}"]
        for note in diag.notes:
            lines.append(f"{gutter} = note: {note}")
    else:
        if diag.label:
            lines.append(f"  = help: {diag.label}")
        lines += [f"  = note: {note}" for note in diag.notes]
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], sources: dict[str, str]) -> str:
    return "\n\n".join(render(d, sources.get(d.span.file)) for d in diagnostics)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diagnostics], indent=2)
