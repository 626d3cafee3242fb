"""Long lines of the canonical layout, wrapped at `and` and `or`.

The printer writes each expression on one line, which for a long condition
makes a line of a couple of hundred characters. A line whose code is longer
than WIDTH is broken before its `and`/`or` operators, one operand a line,
each continuation indented two steps past the line's own indentation (one
step would read as a block's body):

    when form_submitted if lifecycle == lead
        and score > 50
        and last_activity > now() - 6 weeks

Which operators: those in the fewest brackets, and among them the `or`s
when there are any (the loosest binary operator, so each piece is an
operand); a piece still too long is wrapped the same way, its continuations
one step further in than its own line (for the first piece, than the
`or`s that follow it). Inside a string or a comment nothing is an operator, and a trailing
comment stays at the end of the last piece.

Why this is safe: Leadflow ignores white space, newlines included, so a
line broken between two tokens parses to the same AST. Why it is
idempotent: the wrapping is a function of the printed line alone, and the
printer prints the same line from the same AST; a continuation line starts
with spaces, so no declaration seems to start there.
"""

from __future__ import annotations

import re

from leadflow.syntax.scan import Region, regions

WIDTH = 100
CONTINUATION = "    "  # two steps of the printer's indentation
OPERATOR = re.compile(r"(?<= )(and|or)(?= )")
OPENERS, CLOSERS = "([{", ")]}"


def wrap_line(line: str, width: int = WIDTH, step: str = CONTINUATION) -> list[str]:
    """The line, broken before `and`/`or` where its code is longer than `width`;
    continuation lines are indented `step` past the line's own indentation."""
    marks = regions(line)
    comment = next((i for i, region in enumerate(marks) if region is Region.COMMENT), len(line))
    code = line[:comment].rstrip()
    if len(code) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    cuts = _cuts(code, marks, len(indent))
    if not cuts:
        return [line]
    pieces = [code[start:end].strip() for start, end in zip([0, *cuts], [*cuts, len(code)], strict=True)]
    lines = [indent + pieces[0]] + [indent + step + piece for piece in pieces[1:]]
    lines[-1] += line[len(code) :]  # the trailing comment, with the spaces before it
    # the first piece's own operators bind tighter than those cut: one step further in
    return wrap_line(lines[0], width, step + CONTINUATION) + [
        out for piece in lines[1:] for out in wrap_line(piece, width)
    ]


def _cuts(code: str, marks: list[Region], start: int) -> list[int]:
    """Where to break: before each operator in the fewest brackets (the `or`s among them
    if any), leaving one at the very start of the code (a continuation's own)."""
    depths, depth = [], 0
    for char, region in zip(code, marks, strict=False):
        if region is Region.CODE and char in OPENERS:
            depth += 1
        elif region is Region.CODE and char in CLOSERS:
            depth -= 1
        depths.append(depth)
    found = [
        (depths[m.start()], m.group(1), m.start())
        for m in OPERATOR.finditer(code)
        if m.start() > start and marks[m.start()] is Region.CODE
    ]
    if not found:
        return []
    shallowest = min(depth for depth, _, _ in found)
    level = [(word, at) for depth, word, at in found if depth == shallowest]
    word = "or" if any(w == "or" for w, _ in level) else "and"
    return [at for w, at in level if w == word]
