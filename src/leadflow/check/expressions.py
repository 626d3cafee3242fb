"""Type checking of expressions, bidirectionally.

`check(expr, scope, expected)` returns the expression's type and records it
(and what each bare name means) in the checker's side tables. `expected` is a
hint, not a demand: it lets a bare name resolve against an enum
(`set lifecycle = lead`) and an empty list take an element type. Whether the
result fits is decided by the caller with `expect`, which reports once.

Null rules (design section 3): comparisons accept nullable operands and are
false on null; arithmetic, text operations and function arguments need
values, and the error suggests `x ?? default`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadflow.check import types as T
from leadflow.check.facts import chain_operands
from leadflow.check.program import Resolution
from leadflow.diagnostics import did_you_mean, suggestion_label
from leadflow.stdlib import REGISTRY, signature_result
from leadflow.stdlib import describe as describe_builtin
from leadflow.syntax import ast

if TYPE_CHECKING:
    from leadflow.check.checker import Checker
    from leadflow.check.scope import Scope

ORDERED = (T.NUMBER, T.TEXT, T.DATE, T.DATETIME, T.TIME, T.DURATION, *T.TEXT_KINDS)


def describe(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Name):
        return f"`{expr.name}`"
    if isinstance(expr, ast.Field):
        return f"`{expr.name}`"
    return "this value"


# Nodes whose first operand may be a node of the same kinds: `a + b + c`,
# `xs[0][1]`, `r.a.b`. A chain longer than CHAIN_AT is checked from its
# innermost link outwards, so that a thousand terms do not recurse a thousand
# levels; a short one is checked the plain way, with its type hints.
CHAINS = (ast.Binary, ast.Index, ast.Field)
CHAIN_AT = 32


def _first_operand(expr: ast.Binary | ast.Index | ast.Field) -> ast.Expr:
    return expr.left if isinstance(expr, ast.Binary) else expr.subject


class ExprChecker:
    def __init__(self, checker: Checker):
        self.c = checker
        self._checked_links: dict[int, T.Type] = {}  # id -> type of a chain's links checked ahead

    # ---- entry points ------------------------------------------------------------
    def check(self, expr: ast.Expr, scope: Scope, expected: T.Type | None = None) -> T.Type:
        ahead = self._checked_links.pop(id(expr), None)
        if ahead is not None:
            return ahead
        links = self._links_below(expr) if isinstance(expr, CHAINS) else ()
        for link in reversed(links):
            self._checked_links[id(link)] = self.check(link, scope)
        method = getattr(self, "_" + type(expr).__name__)
        try:
            result: T.Type = method(expr, scope, expected)
        finally:
            for link in links:  # one its parent did not read (`const.x` reads no subject)
                self._checked_links.pop(id(link), None)
        self.c.types[id(expr)] = result
        return result

    def _links_below(self, expr: ast.Binary | ast.Index | ast.Field) -> list[ast.Binary | ast.Index | ast.Field]:
        """The chain under expr, outermost first, when it is longer than CHAIN_AT."""
        links: list[ast.Binary | ast.Index | ast.Field] = []
        node = _first_operand(expr)
        while isinstance(node, CHAINS) and id(node) not in self._checked_links:
            links.append(node)
            node = _first_operand(node)
        return links if len(links) > CHAIN_AT else []

    def expect(self, expr: ast.Expr, scope: Scope, target: T.Type, what: str) -> T.Type:
        """Check expr and report if its type does not fit `target`.

        A record or list literal is checked piece by piece against the
        target's shape, so a mistake is reported at the field or item that
        makes it, not as one mismatch of two long record types."""
        shape = T.strip_null(target)
        if isinstance(expr, ast.RecordLit) and isinstance(shape, T.RecordType):
            return self._expect_record(expr, scope, shape, what)
        if isinstance(expr, ast.ListLit) and isinstance(shape, T.ListType) and expr.items:
            for item in expr.items:
                self.expect(item, scope, shape.element, f"an item of {what}")
            self.c.types[id(expr)] = result = T.ListType(shape.element)
            return result
        actual = self.check(expr, scope, target)
        if not T.assignable(actual, target):
            if T.assignable(T.strip_null(actual), target):
                self.null_error(expr, what)
            else:
                self.c.error(
                    "E204",
                    f"{what} must be {target}, not {actual}",
                    expr.span,
                    quoted_member_hint(expr, T.strip_null(target)),
                )
        return actual

    def _expect_record(self, e: ast.RecordLit, scope: Scope, shape: T.RecordType, what: str) -> T.Type:
        fields: list[tuple[str, T.Type]] = []
        for f in e.fields:
            if f.name in dict(fields):
                self.c.error("E300", f"field `{f.name}` is given twice", f.span)
                self.check(f.value, scope, T.ANY)
                continue
            field_type = shape.field(f.name)
            if field_type is None:
                names = [n for n, _ in shape.fields]
                self.c.error(
                    "E202",
                    f"{what} has no field `{f.name}`",
                    f.span,
                    suggestion_label(f.name, names),
                    notes=(f"{what} is {shape}",),
                )
                fields.append((f.name, self.check(f.value, scope)))
                continue
            fields.append((f.name, self.expect(f.value, scope, field_type, f"field `{f.name}` of {what}")))
        given = dict(fields)
        absent = [n for n, _ in shape.fields if n not in given]
        misspelt = {did_you_mean(n, absent) for n in given if shape.field(n) is None}
        missing = [
            n for n, t in shape.fields if n not in given and n not in misspelt and not T.is_nullable(t) and t != T.ANY
        ]
        if missing:
            needed = ", ".join(f"`{n}`" for n in missing)
            self.c.error("E204", f"{what} needs {needed}", e.span, notes=(f"{what} is {shape}",))
        self.c.types[id(e)] = result = T.RecordType(tuple(fields))
        return result

    def value(self, expr: ast.Expr, scope: Scope, what: str, expected: T.Type | None = None) -> T.Type:
        """Check an operand that must not be null; returns its non-null type."""
        actual = self.check(expr, scope, expected)
        if T.is_nullable(actual):
            self.null_error(expr, what)
        return T.strip_null(actual)

    def null_error(self, expr: ast.Expr, what: str) -> None:
        text = self.c.source_text(expr.span)
        name = f"`{text}`" if text else describe(expr)
        example = text or (expr.name if isinstance(expr, (ast.Name, ast.Field)) else "x")
        self.c.error(
            "E205",
            f"{name} may be null, but {what} needs a value",
            expr.span,
            f"give a default: `{example} ?? ...`",
        )

    # ---- literals ----------------------------------------------------------------
    def _NumberLit(self, e: ast.NumberLit, scope: Scope, expected: T.Type | None) -> T.Type:
        return T.NUMBER

    def _BoolLit(self, e: ast.BoolLit, scope: Scope, expected: T.Type | None) -> T.Type:
        return T.BOOL

    def _NullLit(self, e: ast.NullLit, scope: Scope, expected: T.Type | None) -> T.Type:
        return T.NULL

    def _DateLit(self, e: ast.DateLit, scope: Scope, expected: T.Type | None) -> T.Type:
        return T.DATE

    def _DateTimeLit(self, e: ast.DateTimeLit, scope: Scope, expected: T.Type | None) -> T.Type:
        return T.DATETIME

    def _TimeLit(self, e: ast.TimeLit, scope: Scope, expected: T.Type | None) -> T.Type:
        return T.TIME

    def _DurationLit(self, e: ast.DurationLit, scope: Scope, expected: T.Type | None) -> T.Type:
        if e.unit in ("month", "year") and e.amount != int(e.amount):
            self.c.error(
                "E219",
                f"{e.unit}s are calendar units and must be whole: `{e.amount:g} {e.unit}s`",
                e.span,
                "write whole months, or days: `45 days`",
            )
        return T.DURATION

    def _TextLit(self, e: ast.TextLit, scope: Scope, expected: T.Type | None) -> T.Type:
        for part in e.parts:
            if not isinstance(part, str):
                # Interpolating null renders nothing; anything else renders as text.
                self.check(part, scope)
        return T.TEXT

    def _ListLit(self, e: ast.ListLit, scope: Scope, expected: T.Type | None) -> T.Type:
        hint = T.strip_null(expected) if expected else None
        element_hint = hint.element if isinstance(hint, T.ListType) else None
        element: T.Type | None = None
        for item in e.items:
            item_type = self.check(item, scope, element_hint)
            if element is None:
                element = item_type
                continue
            joined = T.join(element, item_type)
            if joined is None:
                self.c.error("E204", f"list items must share a type: {element} and {item_type}", item.span)
                joined = T.ANY
            element = joined
        return T.ListType(element if element is not None else (element_hint or T.ANY))

    def _RecordLit(self, e: ast.RecordLit, scope: Scope, expected: T.Type | None) -> T.Type:
        hint = T.strip_null(expected) if expected else None
        fields = []
        seen = set()
        for f in e.fields:
            if f.name in seen:
                self.c.error("E300", f"field `{f.name}` is given twice", f.span)
            seen.add(f.name)
            field_hint = hint.field(f.name) if isinstance(hint, T.RecordType) else None
            fields.append((f.name, self.check(f.value, scope, field_hint)))
        return T.RecordType(tuple(fields))

    # ---- names -------------------------------------------------------------------
    def _Name(self, e: ast.Name, scope: Scope, expected: T.Type | None) -> T.Type:
        name = e.name
        enum = T.strip_null(expected) if expected else None
        if isinstance(enum, T.EnumType) and name in enum.members:
            self.c.names[id(e)] = Resolution("enum", name)
            return T.EnumType((name,))
        if name in scope.locals:
            self.c.names[id(e)] = Resolution("local", name)
            return scope.locals[name]
        if scope.subject is not None:
            prop = self.c.objects[scope.subject].properties.get(name)
            if prop is not None:
                self.c.names[id(e)] = Resolution("prop", name, scope.subject)
                return prop.type
            if name == scope.subject:
                self.c.names[id(e)] = Resolution("self", name, scope.subject)
                return T.ObjectType(name)
        if name == "event" and scope.event is not None:
            self.c.names[id(e)] = Resolution("event", name)
            return T.RecordType(tuple(scope.event.fields.items()))
        if name in self.c.consts:
            self.c.names[id(e)] = Resolution("const", name)
            return self.c.const_type(name)
        if name in self.c.secrets:
            self.c.error(
                "E214",
                f"secret `{name}` cannot be used as a value",
                e.span,
                f"secrets go only in `auth bearer {name}` or `sign with {name}`, so they never reach logs",
            )
            return T.ANY
        if isinstance(enum, T.EnumType):
            label = suggestion_label(name, enum.members)
            self.c.error(
                "E201",
                f"`{name}` is not a member of {enum}",
                e.span,
                label,
                notes=("members are " + ", ".join(enum.members),),
            )
            return T.ANY
        if expected == T.ANY:
            # What this name is compared with or stored into was already
            # reported (`lifecycl == lead`, `set lifecyle = lead`): the name is
            # most likely one of its enum members, not a second mistake.
            return T.ANY
        where = f" on {scope.subject}" if scope.subject else ""
        hint = suggestion_label(name, self._known_names(scope))
        if not hint and scope.subject is None and name in self.c.all_property_names():
            if scope.in_function:
                hint = "functions see only their parameters: pass the value in"
            else:  # a `const` or a property's default
                hint = "constants and defaults are computed before any record exists"
        if not hint and name == "event":
            hint = "`event` exists only in rules triggered by an event"
        self.c.error("E200", f"unknown name `{name}`{where}", e.span, hint)
        return T.ANY

    def _known_names(self, scope: Scope) -> list[str]:
        names = list(scope.locals) + list(self.c.consts)
        if scope.subject is not None:
            names += list(self.c.objects[scope.subject].properties)
        return names

    def _Field(self, e: ast.Field, scope: Scope, expected: T.Type | None) -> T.Type:
        if isinstance(e.subject, ast.Name) and e.subject.name == "const" and "const" not in scope.locals:
            if e.name in self.c.consts:
                self.c.names[id(e.subject)] = Resolution("const", e.name)
                return self.c.const_type(e.name)
            self.c.error("E200", f"no constant named `{e.name}`", e.span, suggestion_label(e.name, self.c.consts))
            return T.ANY
        checked = self.check(e.subject, scope)
        subject = T.strip_null(checked)
        where = e.name_span.or_else(e.span)
        if subject == T.ANY:
            return T.ANY
        if isinstance(subject, T.RecordType):
            result = subject.field(e.name)
            if result is None:
                names = [n for n, _ in subject.fields]
                self.c.error("E202", f"no field `{e.name}` in {subject}", where, suggestion_label(e.name, names))
                return T.ANY
        elif isinstance(subject, T.ObjectType):
            prop = self.c.objects[subject.name].properties.get(e.name)
            if prop is None:
                names = list(self.c.objects[subject.name].properties)
                self.c.error(
                    "E202", f"{subject.name} has no property `{e.name}`", where, suggestion_label(e.name, names)
                )
                return T.ANY
            result = prop.type
        else:
            self.c.error("E207", f"{subject} has no fields", where)
            return T.ANY
        # Reported after the field is known to exist: a misspelt field on a
        # nullable record is one mistake, not two.
        if T.is_nullable(checked):
            if isinstance(subject, T.ObjectType):
                # Through an association that may be unset, a read gives null,
                # as a CRM filter on "the deal's contact's score" would.
                return T.nullable(result)
            self.null_error(e.subject, "reading a field")
        return result

    def _Index(self, e: ast.Index, scope: Scope, expected: T.Type | None) -> T.Type:
        subject = self.value(e.subject, scope, "indexing")
        self.expect_value(e.index, scope, T.NUMBER, "a list index")
        if isinstance(subject, T.ListType):
            return T.nullable(subject.element)  # out of range gives null
        if subject == T.ANY:
            return T.ANY
        self.c.error("E217", f"only lists can be indexed, not {subject}", e.subject.span)
        return T.ANY

    def expect_value(self, expr: ast.Expr, scope: Scope, target: T.Type, what: str) -> T.Type:
        actual = self.value(expr, scope, what, target)
        if not T.assignable(actual, target):
            self.c.error("E204", f"{what} must be {target}, not {actual}", expr.span)
        return actual

    # ---- calls -------------------------------------------------------------------
    def _Call(self, e: ast.Call, scope: Scope, expected: T.Type | None) -> T.Type:
        signature = self.c.externs.get(e.func) or self.c.functions.get(e.func)
        if signature is not None:
            self.c.calls.append((scope.where, e.func, e.span))
        if e.kwargs and (signature is not None or e.func in REGISTRY):
            # Said once; counting or typing the arguments would only repeat it.
            self.c.error(
                "E216",
                f"`{e.func}` takes no named arguments",
                e.kwargs[0].span,
                f"pass `{e.kwargs[0].name}` by position",
            )
            for arg in (*e.args, *(k.value for k in e.kwargs)):
                self.check(arg, scope)
            return signature.result if signature is not None else T.ANY
        if signature is not None:
            if len(e.args) != len(signature.params):
                self.c.error(
                    "E206",
                    f"`{e.func}` takes {len(signature.params)} argument(s), got {len(e.args)}",
                    e.span,
                    "signature: " + signature.text(),
                )
            for arg, (pname, ptype) in zip(
                e.args, signature.params, strict=False
            ):  # E206 above for a count that differs
                what = f"argument `{pname}` of `{e.func}`"
                if T.is_nullable(ptype):
                    self.expect(arg, scope, ptype, what)
                else:
                    self.expect_value(arg, scope, ptype, what)
            return signature.result
        builtin = REGISTRY.get(e.func)
        if builtin is None:
            known = list(REGISTRY) + list(self.c.externs) + list(self.c.functions)
            self.c.error(
                "E203",
                f"unknown function `{e.func}`",
                e.span,
                suggestion_label(e.func, known),
                notes=(f"a host function is declared with `extern fn {e.func}(...) -> TYPE`",),
            )
            for arg in e.args:
                self.check(arg, scope)
            return T.ANY
        arg_types = []
        for position, arg in enumerate(e.args, 1):
            param = builtin.params[min(position, len(builtin.params)) - 1] if builtin.params else None
            actual = self.check(arg, scope, param.type if param else None)
            if (
                param is not None
                and isinstance(actual, T.Nullable)
                and not all(isinstance(t, T.Nullable) for t in param.types)
            ):
                # Said here, as for every other null mistake, naming the value;
                # the registry then checks the rest with the value's own type.
                self.null_error(arg, f"argument {position} of `{e.func}`")
                actual = T.strip_null(actual)
            arg_types.append(actual)
        result = signature_result(builtin, arg_types)
        if isinstance(result, str):
            described = describe_builtin(builtin)
            notes = () if described in result else (f"signature: {described}",)
            self.c.error("E206", result, e.span, notes=notes)
            return T.ANY
        return result

    # ---- operators -----------------------------------------------------------------
    def _Unary(self, e: ast.Unary, scope: Scope, expected: T.Type | None) -> T.Type:
        if e.op == "not":
            self.expect_condition(e.operand, scope)
            return T.BOOL
        operand = self.value(e.operand, scope, "negation")
        if operand not in (T.NUMBER, T.DURATION, T.ANY):
            self.c.error("E207", f"cannot negate {operand}", e.span)
            return T.ANY
        return operand

    def _Happened(self, e: ast.Happened, scope: Scope, expected: T.Type | None) -> T.Type:
        """`happened(EVENT [where COND], since: T)`: asks the event log about the current record."""
        event_scope = scope.child()
        event_scope.locals.pop("event", None)
        schema = self.c.events.get(e.event)
        if scope.subject is None:
            self.c.error(
                "E215",
                "`happened` asks about the current record's events; a function has none",
                e.span,
                "pass what you need as a parameter",
            )
        if schema is None:
            self.c.error(
                "E210",
                f"unknown event `{e.event}`",
                e.name_span.or_else(e.span),
                suggestion_label(e.event, self.c.events),
                notes=(f"declare it: `event {e.event} {{ ... }}`",),
            )
            event_scope.locals["event"] = T.ANY
        else:
            if scope.subject is not None and schema.object_type != scope.subject:
                self.c.error(
                    "E310",
                    f"`{e.event}` events are about {schema.object_type} records, not {scope.subject}s",
                    e.name_span.or_else(e.span),
                )
            event_scope.event = schema
        if e.where is not None:
            self.expect_condition(e.where, event_scope)
        if e.since is not None:
            self.expect_value(e.since, scope, T.DATETIME, "`since`")
        return T.BOOL

    def expect_condition(self, expr: ast.Expr, scope: Scope) -> None:
        actual = self.check(expr, scope, T.BOOL)
        if T.strip_null(actual) not in (T.BOOL, T.ANY):
            self.c.error(
                "E204",
                f"a condition must be bool, not {actual}",
                expr.span,
                "compare the value: `score > 0`, `name is known`, `stage == won`",
            )

    def _Binary(self, e: ast.Binary, scope: Scope, expected: T.Type | None) -> T.Type:
        op = e.op
        if op in ("and", "or"):
            self.expect_condition(e.left, scope)
            self.expect_condition(e.right, scope)
            return T.BOOL
        if op == "??":
            left = self.check(e.left, scope, expected)
            right = self.check(e.right, scope, T.strip_null(left) if left not in (T.NULL, T.ANY) else expected)
            joined = T.join(T.strip_null(left), right)
            if joined is None:
                self.c.error(
                    "E204", f"`??` needs a default of the same type: {T.strip_null(left)}, not {right}", e.right.span
                )
                return T.ANY
            if not T.is_nullable(left) and left != T.ANY:
                text = self.c.source_text(e.left.span)
                name = f"`{text}`" if text else describe(e.left)
                self.c.warning("W201", f"{name} is never null, so `??` has no effect", e.span, "drop `?? ...`")
            return joined
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return self._comparison(e, scope)
        return self._arithmetic(e, scope)

    def _operands_with_enum_hint(
        self, left_expr: ast.Expr, right_expr: ast.Expr, scope: Scope
    ) -> tuple[T.Type, T.Type]:
        """Type both sides; a bare enum member on either side resolves against the other.

        The side that is not a bare unknown name is typed first. When both are
        (`lifecycl == lead`), the one spelt like a known name goes first: it is
        the mistake, and the other is then taken for a member of its enum."""
        unbound = [self._yields_unbound_name(x, scope) for x in (left_expr, right_expr)]
        if all(unbound) and isinstance(left_expr, ast.Name) and isinstance(right_expr, ast.Name):
            known = self._known_names(scope)
            unbound[0] = (
                did_you_mean(left_expr.name, known) is None and did_you_mean(right_expr.name, known) is not None
            )
        if unbound[0]:
            right = self.check(right_expr, scope)
            left = self.check(left_expr, scope, right)
        else:
            left = self.check(left_expr, scope)
            right = self.check(right_expr, scope, left)
        return left, right

    def _yields_unbound_name(self, expr: ast.Expr, scope: Scope) -> bool:
        """Whether a value of expr may be a bare name only an enum can explain:
        `mql`, `if vip then lead else mql`, `match x { 1 => lead else => mql }`."""
        if isinstance(expr, ast.Name):
            return not self.c.name_is_bound(expr.name, scope)
        if isinstance(expr, ast.IfExpr):
            return any(self._yields_unbound_name(x, scope) for x in (expr.then, expr.otherwise))
        if isinstance(expr, ast.Match):
            values = [c.value for c in expr.cases] + ([expr.default] if expr.default is not None else [])
            return any(self._yields_unbound_name(x, scope) for x in values)
        if isinstance(expr, ast.Binary) and expr.op == "??":
            return any(self._yields_unbound_name(x, scope) for x in chain_operands(expr))
        return False

    def _comparison(self, e: ast.Binary, scope: Scope) -> T.Type:
        left, right = self._operands_with_enum_hint(e.left, e.right, scope)
        a, b = T.strip_null(left), T.strip_null(right)
        if T.ANY in (a, b) or T.NULL in (a, b):
            if e.op not in ("==", "!=") and T.NULL in (a, b):
                self.c.error("E207", f"`{e.op}` with null is always false", e.span, "use `is known` or `is unknown`")
            return T.BOOL
        if T.join(a, b) is None or not enums_comparable(a, b):
            enum_on_left = isinstance(a, T.EnumType)
            label = quoted_member_hint(e.right if enum_on_left else e.left, a if enum_on_left else b)
            if not label and {a, b} == {T.DATE, T.DATETIME}:
                label = "`date_of(x)` gives a datetime's date"
            self.c.error("E204", f"cannot compare {left} with {right}", e.span, label)
        elif e.op not in ("==", "!=") and not (
            (a in ORDERED and b in ORDERED) or (isinstance(a, T.EnumType) and isinstance(b, T.EnumType))
        ):
            self.c.error("E207", f"`{e.op}` does not apply to {a}", e.span)
        return T.BOOL

    def _arithmetic(self, e: ast.Binary, scope: Scope) -> T.Type:
        what = f"`{e.op}`"
        left = self.value(e.left, scope, what)
        right = self.value(e.right, scope, what)
        result = arithmetic_result(e.op, left, right)
        if result is None:
            self.c.error(
                "E207", f"cannot apply `{e.op}` to {left} and {right}", e.span, arithmetic_hint(e.op, left, right)
            )
            return T.ANY
        return result

    def _In(self, e: ast.In, scope: Scope, expected: T.Type | None) -> T.Type:
        if isinstance(e.container, ast.ListLit):
            # the item's type resolves bare enum members in the literal: `persona in [buyer, other]`
            item = self.check(e.item, scope)
            container = self.check(e.container, scope, T.ListType(T.strip_null(item)))
        else:
            container = self.check(e.container, scope)
            shape = T.strip_null(container)
            hint = shape.element if isinstance(shape, T.ListType) else None
            item = self.check(e.item, scope, hint)
        if T.is_nullable(container):
            self.null_error(e.container, "`in`")
            container = T.strip_null(container)
        if isinstance(container, T.ListType):
            element, wanted = T.strip_null(item), container.element
            if T.join(element, wanted) is None or not enums_comparable(element, wanted):
                self.c.error("E204", f"a {item} is never in a {container}", e.span)
        elif T.is_textual(container):
            if not T.is_textual(T.strip_null(item)) and item != T.ANY:
                self.c.error("E204", f"only text can be found in text, not {item}", e.item.span)
        elif container != T.ANY:
            self.c.error("E207", f"`in` needs a list or text, not {container}", e.container.span)
        return T.BOOL

    def _IsKnown(self, e: ast.IsKnown, scope: Scope, expected: T.Type | None) -> T.Type:
        self.check(e.operand, scope)
        return T.BOOL

    def _IfExpr(self, e: ast.IfExpr, scope: Scope, expected: T.Type | None) -> T.Type:
        self.expect_condition(e.condition, scope)
        then = self.check(e.then, scope, expected)
        otherwise = self.check(e.otherwise, scope, expected or then)
        joined = T.join(then, otherwise)
        if joined is None:
            self.c.error(
                "E204",
                f"both branches must have one type: {then} and {otherwise}",
                e.otherwise.span,
                f"the `then` branch is {then}",
            )
            return T.ANY
        return joined

    def _Match(self, e: ast.Match, scope: Scope, expected: T.Type | None) -> T.Type:
        subject = self.check(e.subject, scope)
        result: T.Type | None = None
        covered: set[str] = set()
        for case in e.cases:
            for pattern in case.patterns:
                pattern_type = self.check(pattern, scope, subject)
                if T.join(T.strip_null(subject), pattern_type) is None:
                    self.c.error("E204", f"a {pattern_type} pattern never matches a {subject}", pattern.span)
                resolution = self.c.names.get(id(pattern))
                if resolution and resolution.kind == "enum":
                    covered.add(resolution.name)
            value = self.check(case.value, scope, expected or result)
            result = (
                value if result is None else (T.join(result, value) or self._branch_error(case.value, result, value))
            )
        if e.default is not None:
            value = self.check(e.default, scope, expected or result)
            result = (
                value if result is None else (T.join(result, value) or self._branch_error(e.default, result, value))
            )
        elif subject != T.ANY:  # an unknown subject was reported; its arms cannot be judged
            enum = T.strip_null(subject)
            missing = [m for m in enum.members if m not in covered] if isinstance(enum, T.EnumType) else None
            if missing is None or missing or T.is_nullable(subject):
                detail = f"; not covered: {', '.join(missing)}" if missing else ""
                self.c.error("E218", f"this `match` needs an `else` arm{detail}", e.span, "add `else => VALUE`")
        return result or T.ANY

    def _branch_error(self, expr: ast.Expr, a: T.Type, b: T.Type) -> T.Type:
        self.c.error("E204", f"every arm must have one type: {a} and {b}", expr.span)
        return T.ANY


def quoted_member_hint(expr: ast.Expr, enum: T.Type) -> str:
    """`set lifecycle = "lead"`: the member is written bare."""
    if (
        isinstance(enum, T.EnumType)
        and isinstance(expr, ast.TextLit)
        and len(expr.parts) == 1
        and expr.parts[0] in enum.members
    ):
        return f"write the member without quotes: `{expr.parts[0]}`"
    return ""


def enums_comparable(a: T.Type, b: T.Type) -> bool:
    """Two enums compare when one holds the other's members: `lifecycle == lead`
    (a bare member is an enum of one), not `lifecycle == persona`."""
    if isinstance(a, T.EnumType) and isinstance(b, T.EnumType):
        return T.assignable(a, b) or T.assignable(b, a)
    return True


def arithmetic_result(op: str, a: T.Type, b: T.Type) -> T.Type | None:
    if T.ANY in (a, b):
        return T.ANY
    if a == T.NUMBER and b == T.NUMBER:
        return T.NUMBER
    if op == "+" and T.is_textual(a) and T.is_textual(b):
        return T.TEXT
    if op in ("+", "-") and a in (T.DATE, T.DATETIME) and b == T.DURATION:
        return a
    if op == "+" and a == T.DURATION and b in (T.DATE, T.DATETIME):
        return b
    if op in ("+", "-") and a == b == T.DURATION:
        return T.DURATION
    if op == "-" and a == b and a in (T.DATE, T.DATETIME):
        return T.DURATION
    if op == "*" and {a, b} == {T.NUMBER, T.DURATION}:
        return T.DURATION
    return None


def arithmetic_hint(op: str, a: T.Type, b: T.Type) -> str:
    if op == "+" and (T.is_textual(a) or T.is_textual(b)):
        return 'build text with interpolation: "{a}{b}"'
    if T.DURATION in (a, b) or a in (T.DATE, T.DATETIME):
        return "dates and datetimes add durations: `now() - 6 weeks`"
    return ""
