"""Source positions. Every AST node and every diagnostic carries a Span."""

from __future__ import annotations

import attrs


@attrs.frozen
class Span:
    """A region of one source file: 1-based lines and columns, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, file: str, line: int, column: int, width: int = 1) -> Span:
        return cls(file, line, column, line, column + width)

    def to(self, other: Span) -> Span:
        """The span from the start of self to the end of other."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)

    def or_else(self, fallback: Span) -> Span:
        """This span, or `fallback` when this one is unknown (a node built without a source)."""
        return self if self.line else fallback

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Span("<builtin>", 0, 0, 0, 0)
