"""AST -> canonical Leadflow source.

`format_program(parse(source))` is the canonical form of a script, and
`parse(format_program(program)) == program` for every program the parser can
produce. Layout is fixed (one declaration per block, two-space indentation,
one entry or action per line); only the meaning of the AST is kept.

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
from decimal import Decimal

from leadflow.syntax import ast

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
    "??": (COALESCE, SUM, COALESCE),
    "+": (SUM, SUM, PRODUCT),
    "-": (SUM, SUM, PRODUCT),
    "*": (PRODUCT, PRODUCT, UNARY),
    "/": (PRODUCT, PRODUCT, UNARY),
    "%": (PRODUCT, PRODUCT, UNARY),
}

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
UNITS = frozenset({"minute", "hour", "day", "week", "month", "year", "second"})
UNIT_WORD = re.compile(r"(minute|hour|day|week|month|year|second)s?(?![A-Za-z0-9_])")  # the grammar's UNIT

TEXT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "{": "{{", "}": "}}"}


# ---- public API ------------------------------------------------------------------
def format_program(program: ast.Program) -> str:
    """The canonical source of a whole script: declarations separated by a blank line."""
    return "".join(("\n" if i else "") + format_decl(decl) + "\n" for i, decl in enumerate(program.decls))


def format_decl(decl: ast.Decl) -> str:
    return "\n".join(_decl_lines(decl))


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
        where = f" where {format_expr(trigger.where)}" if trigger.where is not None else ""
        return trigger.event + where
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
    raise TypeError(f"not a trigger: {trigger!r}")


def format_action(action: ast.Action) -> str:
    """One action; `if` and webhook actions span several lines, indented from column 0."""
    return "\n".join(_action_lines(action))


# ---- declarations ------------------------------------------------------------------
def _decl_lines(decl: ast.Decl) -> list[str]:
    if isinstance(decl, ast.ObjectDecl):
        return _braced(f"object {decl.name}", _entries([_prop(p) for p in decl.props]))
    if isinstance(decl, ast.EventDecl):
        head = f"event {decl.name}" + (f" on {decl.on_object}" if decl.on_object is not None else "")
        if not decl.fields:
            return [head]
        return _braced(head, [_field_type(f) for f in decl.fields])
    if isinstance(decl, ast.ListDecl):
        return [f"list {decl.name}" + (f" {quote(decl.display)}" if decl.display is not None else "")]
    if isinstance(decl, ast.SecretDecl):
        return [f"secret {decl.name}"]
    if isinstance(decl, ast.EmailDecl):
        return _braced(f"email {decl.name}", _entries([f"{_name(f.name)}: {format_expr(f.value)}" for f in decl.fields]))
    if isinstance(decl, ast.ConstDecl):
        return [f"const {decl.name} = {format_expr(decl.value)}"]
    if isinstance(decl, ast.TypeDecl):
        return [f"type {decl.name} = {format_type(decl.type)}"]
    if isinstance(decl, ast.ExternFn):
        return [f"extern fn {_signature(decl)}"]
    if isinstance(decl, ast.FnDecl):
        if isinstance(decl.body, ast.FnBlock):
            body = [line for stmt in decl.body.stmts for line in _stmt_lines(stmt)]
            body.append(f"return {format_expr(decl.body.result)}")
            return _braced(f"fn {_signature(decl)}", body)
        return [f"fn {_signature(decl)} = {format_expr(decl.body)}"]
    if isinstance(decl, ast.Rule):
        return _rule_lines(decl)
    raise TypeError(f"not a declaration: {decl!r}")


def _braced(head: str, body: list[str]) -> list[str]:
    """`head {`, the body indented one step, `}`; `head {}` when empty."""
    if not body:
        return [head + " {}"]
    return [head + " {", *(INDENT + line for line in body), "}"]


def _entries(lines: list[str]) -> list[str]:
    """Body entries, one a line; a comma only where a number would swallow the next
    entry's name as its unit (`= 5` then `days: number` would read `5 days`)."""
    return [
        line + "," if line[-1].isdigit() and UNIT_WORD.match(following) else line
        for line, following in zip(lines, lines[1:] + [""])
    ]


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


def _stmt_lines(stmt: ast.Stmt) -> list[str]:
    if isinstance(stmt, ast.LetStmt):
        return [f"let {stmt.name} = {format_expr(stmt.value)}"]
    if isinstance(stmt, ast.AssignStmt):
        return [f"{stmt.name} = {format_expr(stmt.value)}"]
    if isinstance(stmt, ast.ForStmt):
        return _braced(f"for {stmt.var} in {format_expr(stmt.iterable)}", _stmts(stmt.body))
    if isinstance(stmt, ast.IfStmt):
        lines = _braced(f"if {format_expr(stmt.condition)}", _stmts(stmt.then))
        if stmt.otherwise is not None:
            otherwise = _braced("else", _stmts(stmt.otherwise))
            lines[-1] += " " + otherwise[0]
            lines += otherwise[1:]
        return lines
    raise TypeError(f"not a statement: {stmt!r}")


def _stmts(stmts) -> list[str]:
    return [line for stmt in stmts for line in _stmt_lines(stmt)]


# ---- rules and actions -------------------------------------------------------------
def _rule_lines(rule: ast.Rule) -> list[str]:
    lines = [f"rule {quote(rule.name)}"] if rule.name is not None else []
    head = f"when {format_trigger(rule.trigger)}"
    if rule.condition is not None:
        head += f" if {format_expr(rule.condition)}"
    lines.append(head)
    if rule.block or len(rule.actions) != 1:
        lines += _braced("then", _actions(rule.actions))
    else:
        first, *rest = _action_lines(rule.actions[0])
        lines += [f"then {first}", *rest]
    return lines


def _actions(actions) -> list[str]:
    return [line for action in actions for line in _action_lines(action)]


def _action_lines(action: ast.Action) -> list[str]:
    if isinstance(action, ast.IfAction):
        return _if_action_lines(action)
    if isinstance(action, ast.Webhook):
        return _webhook_lines(action)
    return [_simple_action(action)]


def _if_action_lines(action: ast.IfAction) -> list[str]:
    if not action.branches:
        raise ValueError("an if action needs at least one branch")
    lines: list[str] = []
    for i, (condition, actions) in enumerate(action.branches):
        block = _braced(f"if {format_expr(condition)}", _actions(actions))
        if i:  # `} else if ... {` continues the previous closing line
            lines[-1] += " else " + block[0]
            block = block[1:]
        lines += block
    if action.otherwise is not None:
        block = _braced("else", _actions(action.otherwise))
        lines[-1] += " " + block[0]
        lines += block[1:]
    return lines


def _simple_action(action) -> str:
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


def _webhook_lines(hook: ast.Webhook) -> list[str]:
    """`webhook METHOD URL`, then each option on its own continuation line."""
    parts = [f"webhook {hook.method} {format_expr(hook.url)}"]
    if hook.body is not None:
        parts.append(f"with {format_expr(hook.body)}")
    if hook.headers is not None:
        parts.append(f"headers {format_expr(hook.headers)}")
    if hook.auth_secret is not None:
        parts.append(f"auth bearer {hook.auth_secret}")
    if hook.sign_secret is not None:
        parts.append(f"sign with {hook.sign_secret}")
    if hook.timeout is not None:
        parts.append(f"timeout {format_expr(hook.timeout)}")
    if (hook.alias is None) != (hook.response_type is None):
        raise ValueError("a webhook's `as` needs both a name and a response type")
    if hook.alias is not None:
        parts.append(f"as {hook.alias}: {format_type(hook.response_type)}")
    return [parts[0], *(INDENT + option for option in parts[1:])]


def _path(path: tuple[str, ...]) -> str:
    if not path:
        raise ValueError("an empty property path")
    return ".".join(path)


# ---- expressions -------------------------------------------------------------------
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
    if isinstance(expr, ast.Binary):
        _, left, right = BINARY_LEVELS[expr.op]
        return f"{_expr(expr.left, left, nest)} {expr.op} {_expr(expr.right, right, nest)}"
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
    if isinstance(expr, ast.Field):
        return f"{_expr(expr.subject, POSTFIX, nest)}.{expr.name}"
    if isinstance(expr, ast.Index):
        return f"{_expr(expr.subject, POSTFIX, nest)}[{_expr(expr.index, IF, nest)}]"
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
