"""Canonical layout that keeps comments: what `leadflow fmt` writes.

The layout is the printer's (printer.py); this module only puts the
comments back, which the AST does not hold. Design notes:

Anchors. A comment belongs to the nearest node that stands on its own
line(s) in a sequence: a declaration, an object property, an event or email
field, a statement or `return` of a function, a workflow clause, an action or
step in a block, a split or branch arm (and a branch's `else`), a webhook
option. These are the nodes the printer passes through its `anchored` hook.
Blocks (`{ ... }`) are what the printer passes through `braced`.

Placing a comment. Start at the file's sequence of declarations. If the
comment lies inside an anchor, go into the block of that anchor it lies in
and repeat; inside an anchor but in no block (within a multi-line
expression, between `when` and `then`), it becomes a leading comment of that
anchor, above it. In a sequence, with P the last anchor before the comment
and N the first after it:
  - on the line where P ends: a trailing comment of P, after its last line;
  - on the line of the block's `{`, before any anchor: kept after the `{`;
  - otherwise, when there is an N: a leading comment of N, on its own line;
  - otherwise: at the end of its block, before `}` (or of the file).
A comment after a `}` that closes one block of an anchor and before the next
(`} # c` then `else {`) stays at the end of the block it follows.
The blocks' braces are where the recording parser saw them (Layout.braces).

Why this is idempotent. Each placement, printed, reads back as the same
placement: a leading comment is printed right above its node, a trailing one
after its node's last line, an end-of-block one after the block's last
anchor. Blank lines are kept, one at most, only before a comment or between
a leading comment and its node; the printer's own blank lines (between
declarations, between a workflow's clauses and steps) may add one where
there was none, which the next run keeps.

Safety. The result is parsed again: if its AST or its multiset of comments
differs from the source's, a FormatError is raised rather than a file
rewritten wrongly. The normal parser never sees comments, so `parse` stays
as fast as it was.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from leadflow.errors import LeadflowError
from leadflow.syntax import ast
from leadflow.syntax.parser import Comment, Layout, Position, parse_with_comments
from leadflow.syntax.printer import Printer
from leadflow.syntax.span import Span


class FormatError(LeadflowError):
    """The formatter cannot lay this script out without changing it (a bug in Leadflow)."""


def format_source(source: str, file: str = "<script>") -> str:
    """The canonical layout of a script, comments kept. Raises ScriptError on a syntax error."""
    program, layout = parse_with_comments(source, file)
    try:
        text = CommentPrinter(program, layout, source).program(program)
    except (ValueError, TypeError) as error:
        raise FormatError(f"{file}: cannot format this script: {error}") from None
    _check_same(program, layout, text, file)
    return text


def _check_same(program: ast.Program, layout: Layout, text: str, file: str) -> None:
    again, again_layout = parse_with_comments(text, file)
    if again != program:
        raise FormatError(f"{file}: formatting would change the script's meaning; left as it is")
    if Counter(c.text for c in again_layout.comments) != Counter(c.text for c in layout.comments):
        raise FormatError(f"{file}: formatting would lose or split a comment; left as it is")


# ---- where comments go --------------------------------------------------------------
@attrs.frozen
class Scope:
    """A sequence of anchors: the file, a block between braces, or a webhook's options.

    `key` is the block's key as the printer passes it to `braced` (None for the
    file and for options, which have no braces); `open` and `close` are the
    positions of its braces, or the bounds of the options."""

    key: tuple[Any, ...] | None
    open: Position | None
    close: Position | None
    items: tuple[Anchor, ...]

    def holds(self, at: Position) -> bool:
        return self.open is not None and self.close is not None and self.open < at < self.close

    @property
    def braced(self) -> bool:
        return self.key is not None


@attrs.frozen
class Anchor:
    key: tuple[Any, ...]  # (id(node), part) as the printer passes it to `anchored`
    start: Position
    end: Position
    scopes: tuple[Scope, ...] = ()


@attrs.define
class Notes:
    """The comments that go with one anchor."""

    leading: list[tuple[Position, str, bool]] = attrs.Factory(list)  # (where, text, blank line before)
    blank_before_node: bool = False
    trailing: str | None = None


@attrs.define
class BlockNotes:
    """The comments that go with one block: after its `{`, and before its `}`."""

    head: str | None = None
    end: list[tuple[str, bool]] = attrs.Factory(list)


def _start(span: Span) -> Position:
    return (span.line, span.column)


def _end(span: Span) -> Position:
    return (span.end_line, span.end_column)


class Placement:
    """Decides where each comment of a source goes (see the module's notes)."""

    def __init__(self, program: ast.Program, layout: Layout, source: str):
        self.braces = layout.braces
        self.opens = sorted(layout.braces)
        self.lines = source.split("\n")
        self.anchors: dict[tuple[Any, ...], Notes] = {}
        self.blocks: dict[tuple[Any, ...], BlockNotes] = {}
        self.end_of_file: list[tuple[str, bool]] = []
        root = Scope(None, None, None, tuple(self._anchor(d) for d in program.decls))
        for comment in layout.comments:
            self._place(comment, root, None)

    # ---- the scopes of the source -------------------------------------------------
    def _anchor(self, node: Any, part: str | None = None) -> Anchor:
        return Anchor((id(node), part), _start(node.span), _end(node.span), tuple(self._scopes(node)))

    def _anchors(self, nodes: Iterable[Any]) -> tuple[Anchor, ...]:
        return tuple(self._anchor(n) for n in nodes)

    def _block(self, node: Any, index: int, after: Position, items: tuple[Anchor, ...]) -> Scope | None:
        """The block of `node` whose `{` is the first one at or after `after`."""
        i = bisect_left(self.opens, after)
        if i == len(self.opens) or self.opens[i] >= _end(node.span):
            return None
        opened = self.opens[i]
        return Scope((id(node), index), opened, self.braces[opened], tuple(items))

    def _scopes(self, node: Any) -> list[Scope]:
        return [s for s in self._blocks_of(node) if s is not None]

    def _blocks_of(self, node: Any) -> list[Scope | None]:
        if isinstance(node, ast.ObjectDecl):
            return [self._block(node, 0, _end(node.name_span), self._anchors(node.props))]
        if isinstance(node, ast.EventDecl):
            # Without fields the printer writes no braces: comments there go above the event.
            if not node.fields:
                return []
            after = _end(node.on_span if node.on_object is not None else node.name_span)
            return [self._block(node, 0, after, self._anchors(node.fields))]
        if isinstance(node, ast.EmailDecl):
            return [self._block(node, 0, _end(node.name_span), self._anchors(node.fields))]
        if isinstance(node, ast.FnDecl) and isinstance(node.body, ast.FnBlock):
            items = self._anchors(node.body.stmts) + (self._anchor(node.body.result),)
            return [self._block(node, 0, _start(node.body.span), items)]
        if isinstance(node, ast.ForStmt):
            return [self._block(node, 0, _end(node.iterable.span), self._anchors(node.body))]
        if isinstance(node, ast.IfStmt):
            blocks = [self._block(node, 0, _end(node.condition.span), self._anchors(node.then))]
            first = blocks[0]
            if node.otherwise is not None and first is not None and first.close is not None:
                blocks.append(self._block(node, 1, first.close, self._anchors(node.otherwise)))
            return blocks
        if isinstance(node, ast.Rule):
            if node.block:
                after = _end((node.condition if node.condition is not None else node.trigger).span)
                return [self._block(node, 0, after, self._anchors(node.actions))]
            # `then ACTION`: the action is not anchored, but its blocks are the rule's.
            return self._blocks_of(node.actions[0])
        if isinstance(node, ast.Workflow):
            after = max(_end(node.name_span), _end(node.object_span))
            return [self._block(node, 0, after, self._anchors(node.clauses + node.steps))]
        if isinstance(node, ast.IfAction):
            return self._if_blocks(node)
        if isinstance(node, ast.WaitFor):
            if node.otherwise is None:
                return []
            return [self._block(node, 0, _end(node.timeout.span), self._anchors(node.otherwise))]
        if isinstance(node, (ast.Split, ast.SplitArm)):
            children: tuple[Any, ...] = node.arms if isinstance(node, ast.Split) else node.steps
            return [self._block(node, 0, _start(node.span), self._anchors(children))]
        if isinstance(node, ast.Branch):
            return [self._branch_block(node)]
        if isinstance(node, ast.BranchArm):
            return [self._block(node, 0, _end(node.values[-1].span), self._anchors(node.steps))]
        if isinstance(node, ast.Webhook):
            return [self._webhook_options(node)]
        return []

    def _if_blocks(self, node: ast.IfAction) -> list[Scope | None]:
        blocks: list[Scope | None] = []
        for i, (condition, actions) in enumerate(node.branches):
            blocks.append(self._block(node, i, _end(condition.span), self._anchors(actions)))
        last = blocks[-1]
        if node.otherwise is not None and last is not None and last.close is not None:
            blocks.append(self._block(node, len(node.branches), last.close, self._anchors(node.otherwise)))
        return blocks

    def _branch_block(self, node: ast.Branch) -> Scope | None:
        """`branch on X { ARM... else { } }`: the arms, and the `else` as one more
        anchor (keyed `(branch, "else")`) around its own block."""
        outer = self._block(node, 0, _end(node.subject.span), ())
        if outer is None:
            return None
        assert outer.open is not None  # a block has its braces
        arms = self._anchors(node.arms)
        if node.otherwise is not None:
            after = arms[-1].end if arms else (outer.open[0], outer.open[1] + 1)
            block = self._block(node, 1, after, self._anchors(node.otherwise))
            if block is not None:
                assert block.open is not None and block.close is not None  # a block has its braces
                end = (block.close[0], block.close[1] + 1)
                arms += (Anchor((id(node), "else"), block.open, end, (block,)),)
        return attrs.evolve(outer, items=arms)

    def _webhook_options(self, hook: ast.Webhook) -> Scope:
        options = [
            ("with", hook.body.span if hook.body is not None else None),
            ("headers", hook.headers.span if hook.headers is not None else None),
            ("auth", hook.auth_span if hook.auth_secret is not None else None),
            ("sign", hook.sign_span if hook.sign_secret is not None else None),
            ("timeout", hook.timeout.span if hook.timeout is not None else None),
            ("as", hook.response_type.span if hook.response_type is not None else None),
        ]
        items = tuple(Anchor((id(hook), part), _start(span), _end(span)) for part, span in options if span)
        return Scope(None, _end(hook.url.span), _end(hook.span), items)

    # ---- placing one comment ------------------------------------------------------
    def _place(self, comment: Comment, scope: Scope, owner: Anchor | None) -> None:
        at = comment.start
        for item in scope.items:
            if item.start < at < item.end:
                return self._place_inside(comment, item)
        before = [i for i in scope.items if i.end <= at]
        after = [i for i in scope.items if i.start > at]
        previous = max(before, key=lambda i: i.end) if before else None
        following = min(after, key=lambda i: i.start) if after else None
        if previous is not None and previous.end[0] == comment.span.line:
            self._notes(previous).trailing = comment.text
        elif (
            previous is None and scope.key is not None and scope.open is not None and scope.open[0] == comment.span.line
        ):
            self.blocks.setdefault(scope.key, BlockNotes()).head = comment.text
        elif following is not None:
            notes = self._notes(following)
            notes.leading.append((at, comment.text, self._blank_before(comment.span.line)))
            notes.blank_before_node = self._blank_before(following.start[0])
        elif scope.key is not None:  # braced
            self.blocks.setdefault(scope.key, BlockNotes()).end.append(
                (comment.text, self._blank_before(comment.span.line))
            )
        elif owner is None:
            self.end_of_file.append((comment.text, self._blank_before(comment.span.line)))
        else:  # after a webhook's last option, which ends the webhook: cannot happen
            self._notes(owner).leading.append((at, comment.text, False))

    def _place_inside(self, comment: Comment, anchor: Anchor) -> None:
        at = comment.start
        for scope in anchor.scopes:
            if scope.holds(at):
                return self._place(comment, scope, anchor)
        closed_here = [
            s.key
            for s in anchor.scopes
            if s.key is not None and s.close is not None and s.close < at and s.close[0] == comment.span.line
        ]
        if closed_here:  # `}  # c` then `else {`: the end of the block it follows
            self.blocks.setdefault(closed_here[-1], BlockNotes()).end.append((comment.text, False))
        else:  # within the anchor's own text: above it
            notes = self._notes(anchor)
            notes.leading.append((at, comment.text, False))
            notes.blank_before_node = False

    def _notes(self, anchor: Anchor) -> Notes:
        return self.anchors.setdefault(anchor.key, Notes())

    def _blank_before(self, line: int) -> bool:
        return line >= 2 and not self.lines[line - 2].strip()


# ---- printing them ----------------------------------------------------------------
class CommentPrinter(Printer):
    """The printer, with each comment written where the Placement put it."""

    def __init__(self, program: ast.Program, layout: Layout, source: str):
        self.placement = Placement(program, layout, source)
        self.unwritten = len(layout.comments)

    def anchored(self, node: object, lines: list[str], part: str | None = None) -> list[str]:
        notes = self.placement.anchors.get((id(node), part))
        if notes is None:
            return lines
        out: list[str] = []
        for _, text, blank in sorted(notes.leading, key=lambda n: n[0]):
            out += ["", text] if blank else [text]
        if notes.leading and notes.blank_before_node:
            out.append("")
        out += lines
        if notes.trailing is not None:
            out[-1] += "  " + notes.trailing
        self.unwritten -= len(notes.leading) + (notes.trailing is not None)
        return out

    def braced(self, head: str, body: list[str], block: tuple[Any, ...] | None = None) -> list[str]:
        notes = self.placement.blocks.get((id(block[0]), block[1])) if block else None
        if notes is None:
            return super().braced(head, body)
        for text, blank in notes.end:
            body = body + (["", text] if blank else [text])
        lines = super().braced(head, _without_leading_blanks(body)) if body else [head + " {", "}"]
        if notes.head is not None:
            lines[0] += "  " + notes.head
        self.unwritten -= len(notes.end) + (notes.head is not None)
        return lines

    def program_lines(self, program: ast.Program) -> list[str]:
        lines = super().program_lines(program)
        for text, blank in self.placement.end_of_file:
            lines += ["", text] if blank else [text]
        self.unwritten -= len(self.placement.end_of_file)
        if self.unwritten:
            raise ValueError(f"{self.unwritten} comment(s) found no place")
        return _single_blank_lines(_without_leading_blanks(lines))


def _without_leading_blanks(lines: list[str]) -> list[str]:
    start = 0
    while start < len(lines) and not lines[start]:
        start += 1
    return lines[start:]


def _single_blank_lines(lines: list[str]) -> list[str]:
    """At most one blank line in a row (the printer's and the comments' may meet)."""
    return [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]
