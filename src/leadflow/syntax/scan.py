"""Where text that may not parse yet has its strings and comments.

The REPL asks whether what was typed goes on (a bracket or a string still
open); the language server asks whether the cursor is in a comment or in a
string's text, where no name is worth offering. Both read half-written
input the lexer would reject, so this scanner walks it by hand, by the
lexer's rules (STRING and COMMENT in grammar/leadflow.lark): a comment runs
from `#` to the end of the line; a string runs from `"` to `"`, where `\\`
escapes the next character, `{{` is a literal brace, and `{...}` holds an
expression, which may hold plain strings but no braces.
"""

from __future__ import annotations

import enum

import attrs


class Region(enum.Enum):
    CODE = "code"
    COMMENT = "comment"
    TEXT = "text"  # a string's own characters, or those of a plain string inside an interpolation
    INTERPOLATION = "interpolation"  # the expression between a string's `{` and `}`


@attrs.frozen
class Scan:
    code: str  # the characters outside strings and comments, in order: what a bracket count reads
    end: Region  # where the text ends

    @property
    def in_string(self) -> bool:
        """Whether the text ends inside a string: in its text or in one of its `{...}`."""
        return self.end in (Region.TEXT, Region.INTERPOLATION)


def scan(text: str) -> Scan:
    """The code of `text` outside its strings and comments, and where `text` ends."""
    marks, end = _walk(text)
    return Scan("".join(char for char, region in zip(text, marks, strict=False) if region is Region.CODE), end)


def regions(text: str) -> list[Region]:
    """The region of each character of `text`: a string's quotes are its TEXT, a
    comment's `#` its COMMENT, and the newline ending a comment is CODE."""
    return _walk(text)[0]


def _walk(text: str) -> tuple[list[Region], Region]:
    marks: list[Region] = []
    region = Region.CODE
    nested = False  # in a plain string inside an interpolation: its `"` returns to the interpolation
    i = 0
    while i < len(text):
        char, here, width = text[i], region, 1
        if region is Region.CODE:
            if char == '"':
                region = here = Region.TEXT
            elif char == "#":
                region = here = Region.COMMENT
        elif region is Region.COMMENT:
            if char == "\n":
                region = here = Region.CODE
        elif region is Region.TEXT:
            if char == "\\":
                width = 2  # the escaped character is text, whatever it is
            elif char == '"':
                region = Region.INTERPOLATION if nested else Region.CODE
                nested = False
            elif char == "{" and not nested:
                if text.startswith("{{", i):
                    width = 2  # a literal brace
                else:
                    region = Region.INTERPOLATION
        elif char == '"':  # in an interpolation
            region, nested = Region.TEXT, True
            here = Region.TEXT
        elif char == "}":
            region = Region.TEXT
        marks += [here] * width
        i += width
    return marks[: len(text)], region
