"""Between Leadflow's spans and diagnostics and the protocol's.

Leadflow counts lines and columns from 1, in characters (code points), and
lines end at "\\n" only (as Lark counts them). The protocol counts from 0, in
the units the client and server agreed on at initialization: UTF-16 code
units unless the client offers another. pygls's position codec does that
last conversion; the lines handed to it are cut at "\\n" like Lark's, so a
stray "\\r" or U+2028 inside a string does not shift every later line.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

from leadflow.diagnostics import Diagnostic
from leadflow.syntax.span import Span

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def to_range(span: Span, lines: list[str], codec: PositionCodec) -> types.Range:
    if span.line < 1:  # a node built without a source: the start of the file is the honest answer
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    start = _position(span.line, span.column, lines, codec)
    end = _position(span.end_line, span.end_column, lines, codec)
    return types.Range(start, end)


def _position(line: int, column: int, lines: list[str], codec: PositionCodec) -> types.Position:
    row = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[row] if lines else ""
    character = min(max(column - 1, 0), len(text))
    return codec.position_to_client_units(lines, ServerTextPosition(row, character))


def from_position(position: types.Position, lines: list[str], codec: PositionCodec) -> tuple[int, int]:
    """A client position as Leadflow's (line, column), both from 1."""
    server = codec.position_from_client_units(lines, types.Position(position.line, position.character))
    return server.line + 1, server.character + 1


def to_diagnostic(diagnostic: Diagnostic, lines: list[str], codec: PositionCodec) -> types.Diagnostic:
    """The label (the hint under the caret) and notes follow the message, as `check` prints them."""
    message = diagnostic.message
    if diagnostic.label:
        message += "\n" + diagnostic.label
    message += "".join(f"\nnote: {note}" for note in diagnostic.notes)
    return types.Diagnostic(
        range=to_range(diagnostic.span, lines, codec),
        message=message,
        severity=SEVERITY.get(diagnostic.severity, types.DiagnosticSeverity.Error),
        code=diagnostic.code,
        source="leadflow",
    )
