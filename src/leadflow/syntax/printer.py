"""AST -> canonical Leadflow source.

`format_program(parse(source))` is the canonical form of a script, and
`parse(format_program(program)) == program` for every program the parser can
produce. Layout is fixed (one declaration per block, two-space indentation,
one entry or action per line, a line longer than 100 characters broken before
`and`/`or`: wrap.py); only the meaning of the AST is kept.

Three things need care, and are the reason this is more than string joins:

Precedence. Each expression has a binding level taken from the grammar
(loosest first: if-expr, or, and, not, comparison, `??`, `+ -`, `* / %`,
unary minus, postfix, atom). A child is parenthesized only when its level is
looser than the slot it sits in; a slot's level encodes associativity:
`a - (b - c)` because `-`'s right slot is a product, `(a ?? b) ?? c` because
`??`'s left slot is a sum, and comparisons, being non-associative, take a
`??`-level operand on both sides.

Juxtaposition. `notify CHANNEL MESSAGE` puts two expressions side by side,
and the LALR parser resolves the resulting conflicts by shifting: a message
starting with `-`, `[` or `not` would continue the channel (`a - b`, `a[..]`,
`a not in ..`), and one starting with `(` turns a channel ending in a bare
name into a call. The printer parenthesizes whichever side is needed. Match
arms, the other juxtaposition in the grammar, are always separated by commas.
And a number followed by a name spelt like a unit reads as a duration, so an
object or email entry ending in a number gets a comma when the next entry is
named `days`, `week`...

Strings. Literal text is re-escaped (`\\"`, `\\\\`, `\\n`, `\\t`, `\\r`) and
braces doubled; an interpolation is printed as `{expr}`. The STRING token
allows an interpolation to hold no braces and no backslashes outside nested
string literals, and those nested strings may interpolate once more, but the
expressions there may hold no string at all. So an interpolated record
literal or `match`, or a string inside an interpolation inside a nested
string, cannot be written; those raise ValueError. So do other ASTs the parser never builds and the grammar
cannot express (a nested nullable type, a datetime with microseconds, a
webhook alias without a response type, an empty match...).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any
from decimal import Decimal

from leadflow.syntax import ast
from leadflow.syntax.wrap import wrap_line

INDENT = "  "

# Binding levels, loosest first; a slot accepts an expression at its level or tighter.
IF, OR, AND, NOT, COMPARE, COALESCE, SUM, PRODUCT, UNARY, POSTFIX, ATOM = range(11)

# operator -> (level of the node, level of its left slot, level of its right slot)
BINARY_LEVELS = {
    "or": (OR, OR, AND),
    "and": (AND, AND, NOT),
    "==": (COMPARE, COALESCE, COALESCE),
    "!=": (COMPARE, COALESCE, COALESCE),
    "<": (COMPARE, COALESCE, COALESCE),
    "<=": (COMPARE, COALESCE, COALESCE),
    ">": (COMPARE, COALESCE, COALESCE),
    ">=": (COMPARE, COALESCE, COALESCE),
    "??": (COALESCE, COALESCE, SUM),
    "+": (SUM, SUM, PRODUCT),
    "-": (SUM, SUM, PRODUCT),
    "*": (PRODUCT, PRODUCT, UNARY),
    "/": (PRODUCT, PRODUCT, UNARY),
    "%": (PRODUCT, PRODUCT, UNARY),
}

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
UNITS = frozenset({"minute", "hour", "day", "week", "month", "year", "second"})
UNIT_WORD = re.compile(r"(minute|hour|day|week|month|year|second)s?(?![A-Za-z0-9_])")  # the grammar's UNIT

TEXT_ESCAPES = {"\x00": "\\0", "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "{": "{{", "}": "}}"}


# ---- public API ------------------------------------------------------------------
def format_program(program: ast.Program) -> str:
    """The canonical source of a whole script: declarations separated by a blank line."""
    return Printer().program(program)


def format_decl(decl: ast.Decl) -> str:
    return "\n".join(Printer().decl_lines(decl))


def format_expr(expr: ast.Expr) -> str:
    return _expr(expr, IF, 0)


def format_type(type_: ast.TypeExpr) -> str:
    if isinstance(type_, ast.NamedType):
        return type_.name
    if isinstance(type_, ast.NullableTypeExpr):
        if isinstance(type_.inner, ast.NullableTypeExpr):
            raise ValueError("a nullable type cannot be made nullable again")
        return format_type(type_.inner) + "?"
    if isinstance(type_, ast.EnumTypeExpr):
        if not type_.members:
            raise ValueError("an enum needs at least one member")
        return "enum { " + ", ".join(type_.members) + " }"
    if isinstance(type_, ast.ListTypeExpr):
        return f"list<{format_type(type_.element)}>"
    if isinstance(type_, ast.RecordTypeExpr):
        return "{" + ", ".join(_field_type(f) for f in type_.fields) + "}"
    raise TypeError(f"not a type: {type_!r}")


def format_trigger(trigger: ast.Trigger) -> str:
    if isinstance(trigger, ast.EventTrigger):
        return trigger.event + _where(trigger.where)
    if isinstance(trigger, ast.CreatedTrigger):
        # The parser reads a bare `created` as a contact's; print it that way.
        return "created" if trigger.object_type == "contact" else f"{trigger.object_type} created"
    if isinstance(trigger, ast.ChangedTrigger):
        text = f"{_path(trigger.path)} changed"
        if trigger.from_value is not None:
            text += f" from {format_expr(trigger.from_value)}"
        if trigger.to_value is not None:
            text += f" to {format_expr(trigger.to_value)}"
        return text
    if isinstance(trigger, ast.ListTrigger):
        return f"added to {trigger.list_name}" if trigger.added else f"removed from {trigger.list_name}"
    if isinstance(trigger, ast.MatchingTrigger):
        return f"matching {format_expr(trigger.condition)}"
    if isinstance(trigger, ast.ScheduleTrigger):
        day = f" on day {trigger.day}" if trigger.day is not None else ""
        return f"every {trigger.every}{day} at {_time(trigger.at)}" + _where(trigger.where)
    if isinstance(trigger, ast.FixedDateTrigger):
        return f"at {_datetime(trigger.at)}" + _where(trigger.where)
    if isinstance(trigger, ast.DateTrigger):
        if trigger.offset is None:
            head = f"yearly on {trigger.prop}"
        else:
            head = f"{format_expr(trigger.offset)} {'before' if trigger.before else 'after'} {trigger.prop}"
        return f"{head} at {_time(trigger.at)}" + _where(trigger.where)
    raise TypeError(f"not a trigger: {trigger!r}")


def _where(condition: ast.Expr | None) -> str:
    return f" where {format_expr(condition)}" if condition is not None else ""


def format_action(action: ast.Action) -> str:
    """One action; `if` and webhook actions span several lines, indented from column 0."""
    return "\n".join(Printer().action_lines(action))


def format_clause(clause: ast.Clause) -> str:
    """One workflow clause (`enroll when ...`, `goal ...`), on one line."""
    return Printer().clause(clause)


# ---- layout of declarations, rules and workflows --------------------------------------
class Printer:
    """Lays declarations out as lines, one entry, clause, action or statement a line.

    Two hooks do nothing here and let a subclass (the comment-keeping
    formatter) add lines: `anchored` sees the lines of every node that stands
    on its own line(s) in a sequence (a declaration, an object property, an
    event or email field, a statement, a clause, an action or step in a block,
    a split or branch arm, a webhook option), and `braced` sees every block
    with a key naming it: `(node, index)`, the index counting the node's
    blocks in source order (an `if` action's branches, then its `else`).
    """

    def anchored(self, node: object, lines: list[str], part: str | None = None) -> list[str]:
        """The lines of `node` (or of its `part`, for a webhook option or a branch's
        `else`) as they stand in their sequence."""
        return lines

    def braced(self, head: str, body: list[str], block: tuple[Any, ...] | None = None) -> list[str]:
        """`head {`, the body indented one step, `}`; `head {}` when empty."""
        if not body:
            return [head + " {}"]
        return [head + " {", *(INDENT + line if line else "" for line in body), "}"]

    def program(self, program: ast.Program) -> str:
        """The whole script, its long lines wrapped at `and`/`or` (see wrap.py)."""
        lines = [wrapped for line in self.program_lines(program) for wrapped in wrap_line(line)]
        return "\n".join(lines) + "\n" if lines else ""

    def program_lines(self, program: ast.Program) -> list[str]:
        lines: list[str] = []
        for decl in program.decls:
            if lines:
                lines.append("")
            lines += self.anchored(decl, self.decl_lines(decl))
        return lines

    # ---- declarations ----------------------------------------------------------
    def decl_lines(self, decl: ast.Decl) -> list[str]:
        if isinstance(decl, ast.ObjectDecl):
            return self.braced(
                f"object {decl.name}", self._entries(decl.props, [_prop(p) for p in decl.props]), (decl, 0)
            )
        if isinstance(decl, ast.EventDecl):
            head = f"event {decl.name}" + (f" on {decl.on_object}" if decl.on_object is not None else "")
            if not decl.fields:
                return [head]
            fields = [line for f in decl.fields for line in self.anchored(f, [_field_type(f)])]
            return self.braced(head, fields, (decl, 0))
        if isinstance(decl, ast.ListDecl):
            return [f"list {decl.name}" + (f" {quote(decl.display)}" if decl.display is not None else "")]
        if isinstance(decl, ast.SecretDecl):
            return [f"secret {decl.name}"]
        if isinstance(decl, ast.EmailDecl):
            fields = [f"{_name(f.name)}: {format_expr(f.value)}" for f in decl.fields]
            return self.braced(f"email {decl.name}", self._entries(decl.fields, fields), (decl, 0))
        if isinstance(decl, ast.ConstDecl):
            return [f"const {decl.name} = {format_expr(decl.value)}"]
        if isinstance(decl, ast.TypeDecl):
            return [f"type {decl.name} = {format_type(decl.type)}"]
        if isinstance(decl, ast.ExternFn):
            return [f"extern fn {_signature(decl)}"]
        if isinstance(decl, ast.FnDecl):
            if isinstance(decl.body, ast.FnBlock):
                result = decl.body.result
                body = self._stmts(decl.body.stmts) + self.anchored(result, [f"return {format_expr(result)}"])
                return self.braced(f"fn {_signature(decl)}", body, (decl, 0))
            return [f"fn {_signature(decl)} = {format_expr(decl.body)}"]
        if isinstance(decl, ast.Rule):
            return self._rule_lines(decl)
        if isinstance(decl, ast.Workflow):
            return self._workflow_lines(decl)
        raise TypeError(f"not a declaration: {decl!r}")

    def _entries(self, nodes: Sequence[object], lines: list[str]) -> list[str]:
        """Body entries, one a line; a comma only where a number would swallow the next
        entry's name as its unit (`= 5` then `days: number` would read `5 days`)."""
        with_commas = [
            line + "," if line[-1].isdigit() and UNIT_WORD.match(following) else line
            for line, following in zip(lines, lines[1:] + [""], strict=False)
        ]
        return [out for node, line in zip(nodes, with_commas, strict=True) for out in self.anchored(node, [line])]

    def _stmt_lines(self, stmt: ast.Stmt) -> list[str]:
        if isinstance(stmt, ast.LetStmt):
            return [f"let {stmt.name} = {format_expr(stmt.value)}"]
        if isinstance(stmt, ast.AssignStmt):
            return [f"{stmt.name} = {format_expr(stmt.value)}"]
        if isinstance(stmt, ast.ForStmt):
            return self.braced(f"for {stmt.var} in {format_expr(stmt.iterable)}", self._stmts(stmt.body), (stmt, 0))
        if isinstance(stmt, ast.IfStmt):
            lines = self.braced(f"if {format_expr(stmt.condition)}", self._stmts(stmt.then), (stmt, 0))
            if stmt.otherwise is not None:
                otherwise = self.braced("else", self._stmts(stmt.otherwise), (stmt, 1))
                lines[-1] += " " + otherwise[0]
                lines += otherwise[1:]
            return lines
        raise TypeError(f"not a statement: {stmt!r}")

    def _stmts(self, stmts: Sequence[ast.Stmt]) -> list[str]:
        return [line for stmt in stmts for line in self.anchored(stmt, self._stmt_lines(stmt))]

    # ---- rules and workflows ---------------------------------------------------------
    def _rule_lines(self, rule: ast.Rule) -> list[str]:
        lines = [f"rule {quote(rule.name)}"] if rule.name is not None else []
        head = f"when {format_trigger(rule.trigger)}"
        if rule.condition is not None:
            head += f" if {format_expr(rule.condition)}"
        lines.append(head)
        if rule.block or len(rule.actions) != 1:
            lines += self.braced("then", self._actions(rule.actions), (rule, 0))
        else:  # `then ACTION`: the action is part of the rule's lines, not anchored on its own
            first, *rest = self.action_lines(rule.actions[0])
            lines += [f"then {first}", *rest]
        return lines

    def _workflow_lines(self, workflow: ast.Workflow) -> list[str]:
        head = f"workflow {workflow.name}"
        if workflow.object_type != "contact":
            head += f" for {workflow.object_type}"
        clauses = [line for c in workflow.clauses for line in self.anchored(c, [self.clause(c)])]
        steps = self._actions(workflow.steps)
        return self.braced(head, clauses + ([""] if clauses and steps else []) + steps, (workflow, 0))

    def clause(self, clause: ast.Clause) -> str:
        if isinstance(clause, ast.Enrollment):
            condition = f" if {format_expr(clause.condition)}" if clause.condition is not None else ""
            return f"enroll when {format_trigger(clause.trigger)}{condition}"
        if isinstance(clause, ast.Reenroll):
            if clause.mode == "after":
                assert clause.after is not None  # `reenroll after` has its duration
                return f"reenroll after {format_expr(clause.after)}"
            if clause.mode == "when":
                assert clause.trigger is not None  # `reenroll when` has its trigger
                return f"reenroll when {format_trigger(clause.trigger)}"
            return "reenroll never"
        if isinstance(clause, ast.Goal):
            return f"goal {format_expr(clause.condition)}"
        if isinstance(clause, ast.Suppress):
            return f"suppress {clause.list_name}"
        if isinstance(clause, ast.UnenrollWhen):
            return f"unenroll when {format_expr(clause.condition)}"
        if isinstance(clause, ast.Window):
            zone = f" timezone {quote(clause.timezone)}" if clause.timezone is not None else ""
            return f"window {', '.join(clause.days)} {_time(clause.start)}-{_time(clause.end)}{zone}"
        raise TypeError(f"not a workflow clause: {clause!r}")

    # ---- actions and steps -------------------------------------------------------------
    def _actions(self, actions: Sequence[ast.Action]) -> list[str]:
        return [line for action in actions for line in self.anchored(action, self.action_lines(action))]

    def action_lines(self, action: ast.Action) -> list[str]:
        if isinstance(action, ast.IfAction):
            return self._if_action_lines(action)
        if isinstance(action, ast.Webhook):
            return self._webhook_lines(action)
        return self._step_lines(action) or [_simple_action(action)]

    def _step_lines(self, step: ast.Action) -> list[str] | None:
        """The steps that only workflows hold; None for an ordinary action."""
        if isinstance(step, ast.WaitFor):
            head = f"wait for {step.event}{_where(step.where)} up to {format_expr(step.timeout)}"
            return (
                [head]
                if step.otherwise is None
                else self.braced(head + " else", self._actions(step.otherwise), (step, 0))
            )
        if isinstance(step, ast.Split):
            arms = [
                line
                for arm in step.arms
                for line in self.anchored(
                    arm, self.braced(f"{_number(arm.percent)}%", self._actions(arm.steps), (arm, 0))
                )
            ]
            return self.braced("split random", arms, (step, 0))
        if isinstance(step, ast.Branch):
            arms = [
                line
                for arm in step.arms
                for line in self.anchored(
                    arm, self.braced(", ".join(format_expr(v) for v in arm.values), self._actions(arm.steps), (arm, 0))
                )
            ]
            if step.otherwise is not None:
                arms += self.anchored(step, self.braced("else", self._actions(step.otherwise), (step, 1)), "else")
            return self.braced(f"branch on {format_expr(step.subject)}", arms, (step, 0))
        if isinstance(step, ast.Wait):
            return [f"wait {format_expr(step.duration)}"]
        if isinstance(step, ast.WaitUntil):
            days = f" on {', '.join(step.days)}" if step.days is not None else ""
            return [f"wait until {format_expr(step.target)}{days}"]
        if isinstance(step, ast.Stop):
            return ["stop"]
        return None

    def _if_action_lines(self, action: ast.IfAction) -> list[str]:
        if not action.branches:
            raise ValueError("an if action needs at least one branch")
        lines: list[str] = []
        for i, (condition, actions) in enumerate(action.branches):
            block = self.braced(f"if {format_expr(condition)}", self._actions(actions), (action, i))
            if i:  # `} else if ... {` continues the previous closing line
                lines[-1] += " else " + block[0]
                block = block[1:]
            lines += block
        if action.otherwise is not None:
            block = self.braced("else", self._actions(action.otherwise), (action, len(action.branches)))
            lines[-1] += " " + block[0]
            lines += block[1:]
        return lines

    def _webhook_lines(self, hook: ast.Webhook) -> list[str]:
        """`webhook METHOD URL`, then each option on its own continuation line."""
        options = []
        if hook.body is not None:
            options.append(("with", f"with {format_expr(hook.body)}"))
        if hook.headers is not None:
            options.append(("headers", f"headers {format_expr(hook.headers)}"))
        if hook.auth_secret is not None:
            options.append(("auth", f"auth bearer {hook.auth_secret}"))
        if hook.sign_secret is not None:
            options.append(("sign", f"sign with {hook.sign_secret}"))
        if hook.timeout is not None:
            options.append(("timeout", f"timeout {format_expr(hook.timeout)}"))
        if (hook.alias is None) != (hook.response_type is None):
            raise ValueError("a webhook's `as` needs both a name and a response type")
        if hook.alias is not None and hook.response_type is not None:  # both or neither (above)
            options.append(("as", f"as {hook.alias}: {format_type(hook.response_type)}"))
        lines = [f"webhook {hook.method} {format_expr(hook.url)}"]
        for part, text in options:
            lines += [INDENT + line if line else "" for line in self.anchored(hook, [text], part)]
        return lines


def _prop(prop: ast.PropDecl) -> str:
    text = f"{prop.name}: {format_type(prop.type)}"
    if prop.default is not None:
        text += f" = {format_expr(prop.default)}"
    if prop.reverse is not None:
        text += f" reverse {prop.reverse}"
    return text


def _field_type(field: ast.FieldType) -> str:
    return f"{field.name}: {format_type(field.type)}"


def _signature(fn: ast.ExternFn | ast.FnDecl) -> str:
    params = ", ".join(f"{p.name}: {format_type(p.type)}" for p in fn.params)
    return f"{fn.name}({params}) -> {format_type(fn.result)}"


def _simple_action(action: ast.Action) -> str:
    if isinstance(action, ast.SetAction):
        return f"set {_path(action.target)} = {format_expr(action.value)}"
    if isinstance(action, ast.ClearAction):
        return f"clear {_path(action.target)}"
    if isinstance(action, ast.IncrementAction):
        verb = "decrement" if action.decrement else "increment"
        by = f" by {format_expr(action.amount)}" if action.amount is not None else ""
        return f"{verb} {_path(action.target)}{by}"
    if isinstance(action, ast.ListAction):
        return f"add to {action.list_name}" if action.add else f"remove from {action.list_name}"
    if isinstance(action, ast.SendEmail):
        to = f" to {format_expr(action.to)}" if action.to is not None else ""
        return f"send email {action.template}{to}"
    if isinstance(action, ast.Notify):
        return "notify " + _juxtaposed(action.channel, action.message)
    if isinstance(action, ast.CreateRecord):
        alias = f" as {action.alias}" if action.alias is not None else ""
        return f"create {action.object_type} {_expr(action.fields, ATOM, 0)}{alias}"
    if isinstance(action, ast.LetAction):
        return f"let {action.name} = {format_expr(action.value)}"
    if isinstance(action, ast.DoAction):
        return f"do {_expr(action.call, POSTFIX, 0)}"
    if isinstance(action, ast.EnrollAction):
        return f"enroll in {action.workflow}" if action.enroll else f"unenroll from {action.workflow}"
    raise TypeError(f"not an action: {action!r}")


def _juxtaposed(first: ast.Expr, second: ast.Expr) -> str:
    """Two expressions side by side, parenthesized so the parser splits them here."""
    left, right = format_expr(first), format_expr(second)
    if right.startswith(("-", "[", "not ")):
        right = f"({right})"
    if right.startswith("(") and _ends_with_word(left):
        left = f"({left})"  # `channel (x)` would read as a call `channel(x)`
    elif right[0].isalpha() and _ends_with_number(left):
        right = f"({right})"  # `5 days` would read as a duration
    return f"{left} {right}"


def _ends_with_word(text: str) -> bool:
    return text[-1].isalnum() or text[-1] == "_"


def _ends_with_number(text: str) -> bool:
    """A number, not a name such as `v_0`: `v_0 (null)` would read as a call."""
    word = re.search(r"\w+$", text)
    return word is not None and word.group()[0].isdigit()


def _path(path: tuple[str, ...]) -> str:
    if not path:
        raise ValueError("an empty property path")
    return ".".join(path)


# ---- expressions -------------------------------------------------------------------
def _chain(expr: ast.Binary | ast.Field | ast.Index, nest: int) -> str:
    """A binary operation, field or index, and the chain of them on its left
    (`a + b - c`, `xs[0].name`) that prints without parentheses, in one loop:
    a chain may have thousands of terms, more than Python would recurse."""
    tails = []
    node = expr
    while True:
        if isinstance(node, ast.Binary):
            _, slot, right = BINARY_LEVELS[node.op]
            tails.append(f" {node.op} {_expr(node.right, right, nest)}")
            first = node.left
        elif isinstance(node, ast.Field):
            slot = POSTFIX
            tails.append(f".{node.name}")
            first = node.subject
        else:
            slot = POSTFIX
            tails.append(f"[{_expr(node.index, IF, nest)}]")
            first = node.subject
        if not isinstance(first, (ast.Binary, ast.Field, ast.Index)) or _level(first) < slot:
            break
        node = first
    return _expr(first, slot, nest) + "".join(reversed(tails))


def _level(expr: ast.Expr) -> int:
    if isinstance(expr, ast.IfExpr):
        return IF
    if isinstance(expr, ast.Binary):
        return BINARY_LEVELS[expr.op][0]
    if isinstance(expr, ast.Unary):
        return NOT if expr.op == "not" else UNARY
    if isinstance(expr, (ast.In, ast.IsKnown)):
        return COMPARE
    if isinstance(expr, (ast.Field, ast.Index, ast.Call)):
        return POSTFIX
    if isinstance(expr, ast.NumberLit) and expr.value < 0:
        return UNARY  # printed as `-N`, which reads back as a negation
    if isinstance(expr, ast.DurationLit) and expr.amount < 0:
        return UNARY
    return ATOM


def _expr(expr: ast.Expr, slot: int, nest: int) -> str:
    """`expr` as source for a slot binding at `slot`; nest counts enclosing `{...}`."""
    text = _bare(expr, nest)
    return f"({text})" if _level(expr) < slot else text


def _bare(expr: ast.Expr, nest: int) -> str:
    if isinstance(expr, (ast.Binary, ast.Field, ast.Index)):
        return _chain(expr, nest)
    if isinstance(expr, ast.Unary):
        if expr.op == "not":
            return f"not {_expr(expr.operand, NOT, nest)}"
        if expr.op == "-":
            return f"-{_expr(expr.operand, UNARY, nest)}"
        raise ValueError(f"unknown unary operator {expr.op!r}")
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.NumberLit):
        return _number(expr.value)
    if isinstance(expr, ast.TextLit):
        return _text(expr, nest)
    if isinstance(expr, ast.BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, ast.NullLit):
        return "null"
    if isinstance(expr, ast.Call):
        args = [_expr(a, IF, nest) for a in expr.args]
        args += [f"{k.name}: {_expr(k.value, IF, nest)}" for k in expr.kwargs]
        return f"{expr.func}({', '.join(args)})"
    if isinstance(expr, ast.In):
        op = "not in" if expr.negated else "in"
        return f"{_expr(expr.item, COALESCE, nest)} {op} {_expr(expr.container, COALESCE, nest)}"
    if isinstance(expr, ast.IsKnown):
        return f"{_expr(expr.operand, COALESCE, nest)} is {'known' if expr.known else 'unknown'}"
    if isinstance(expr, ast.IfExpr):
        return (
            f"if {_expr(expr.condition, IF, nest)} then {_expr(expr.then, IF, nest)}"
            f" else {_expr(expr.otherwise, IF, nest)}"
        )
    if isinstance(expr, ast.ListLit):
        return "[" + ", ".join(_expr(item, IF, nest) for item in expr.items) + "]"
    if isinstance(expr, ast.RecordLit):
        _no_braces_in_interpolation(nest, "a record literal")
        return "{" + ", ".join(f"{_field_name(f.name)}: {_expr(f.value, IF, nest)}" for f in expr.fields) + "}"
    if isinstance(expr, ast.Match):
        return _match(expr, nest)
    if isinstance(expr, ast.Happened):
        since = f", since: {_expr(expr.since, IF, nest)}" if expr.since is not None else ""
        where = f" where {_expr(expr.where, IF, nest)}" if expr.where is not None else ""
        return f"happened({expr.event}{where}{since})"
    if isinstance(expr, ast.DateLit):
        return expr.value.isoformat()
    if isinstance(expr, ast.DateTimeLit):
        return _datetime(expr.value)
    if isinstance(expr, ast.TimeLit):
        return _time(expr.value)
    if isinstance(expr, ast.DurationLit):
        if expr.unit not in UNITS:
            raise ValueError(f"unknown duration unit {expr.unit!r}")
        plural = "s" if expr.amount != 1 else ""
        return f"{_number(expr.amount)} {expr.unit}{plural}"
    raise TypeError(f"not an expression: {expr!r}")


def _match(match: ast.Match, nest: int) -> str:
    _no_braces_in_interpolation(nest, "a match")
    arms = []
    for case in match.cases:
        if not case.patterns:
            raise ValueError("a match case needs at least one pattern")
        patterns = ", ".join(_expr(p, IF, nest) for p in case.patterns)
        arms.append(f"{patterns} => {_expr(case.value, IF, nest)}")
    if match.default is not None:
        arms.append(f"else => {_expr(match.default, IF, nest)}")
    if not arms:
        raise ValueError("a match needs at least one arm")
    # Commas are optional between arms, but without one an arm starting with
    # `-`, `[` or `(` would continue the previous arm's value.
    return f"match {_expr(match.subject, IF, nest)} {{ {', '.join(arms)} }}"


def _no_braces_in_interpolation(nest: int, what: str) -> None:
    if nest:
        raise ValueError(f"{what} cannot appear inside a string interpolation")


def _field_name(name: str) -> str:
    """A record field's name: bare when it is an identifier, else quoted (`{"X-Source": ...}`)."""
    return name if IDENTIFIER.fullmatch(name) else quote(name)


def _name(name: str) -> str:
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(f"{name!r} is not a name")
    return name


# ---- literals ----------------------------------------------------------------------
def quote(text: str) -> str:
    """A plain string literal: escapes re-applied and braces doubled."""
    return '"' + "".join(TEXT_ESCAPES.get(ch, ch) for ch in text) + '"'


def _text(lit: ast.TextLit, nest: int) -> str:
    if nest >= 2:
        raise ValueError("a string cannot appear two interpolations deep")
    out = ['"']
    for part in lit.parts:
        if isinstance(part, str):
            out.extend(TEXT_ESCAPES.get(ch, ch) for ch in part)
        else:
            out.append("{" + _expr(part, IF, nest + 1) + "}")
    out.append('"')
    return "".join(out)


def _number(value: int | float) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    if value < 0:
        return "-" + _number(-value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} has no literal")
    # repr is the shortest text that reads back as the same float; write it
    # out positionally because the grammar's NUMBER has no exponent.
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _datetime(value: dt.datetime) -> str:
    if value.microsecond:
        raise ValueError("a datetime literal has no fractions of a second")
    text = f"{value.date().isoformat()}T{value.hour:02d}:{value.minute:02d}"
    if value.second:
        text += f":{value.second:02d}"
    offset = value.utcoffset()
    if offset is None:
        return text
    if not offset:
        return text + "Z"
    minutes, rest = divmod(offset.total_seconds(), 60)
    if rest:
        raise ValueError("a UTC offset must be whole minutes")
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(int(minutes)), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _time(value: dt.time) -> str:
    if value.second or value.microsecond or value.tzinfo is not None:
        raise ValueError("a time literal is HH:MM")
    return f"{value.hour:02d}:{value.minute:02d}"
