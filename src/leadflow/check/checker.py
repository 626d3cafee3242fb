"""The checker: names, types, enums, nullability and effects, in one pass
that collects every error (in the manner of starlark-go's resolver).

Declarations are gathered first, in any order, so a rule may use an object,
list or function declared below it. Then every declaration body is checked.
The result is a CheckedProgram: the AST plus side tables the compiler needs.
Errors are Diagnostics with stable codes; if any is an error, `check` raises
ScriptError carrying all of them. A program without errors is then linted
(`check.lints`), which only adds warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.check import constants
from leadflow.check import types as T
from leadflow.check.actions import check_actions
from leadflow.check.expressions import ExprChecker
from leadflow.check.lints import lint
from leadflow.check.program import (
    CheckedProgram,
    EventSchema,
    FunctionSignature,
    ObjectSchema,
    Property,
    RuleInfo,
)
from leadflow.check.scope import Scope
from leadflow.check.workflows import check_timed_trigger, check_workflow
from leadflow.diagnostics import Diagnostic, suggestion_label
from leadflow.errors import ScriptError
from leadflow.syntax import ast, walk
from leadflow.syntax.span import Span

EMAIL_FIELDS = {"subject": True, "body": True, "html": False, "from": False}
BUILTIN_EVENTS = ("upsert",)


def builtin_properties() -> dict[str, Property]:
    return {
        "id": Property("id", T.NUMBER, builtin=True, readonly=True),
        "created_at": Property("created_at", T.DATETIME, builtin=True, readonly=True),
        "updated_at": Property("updated_at", T.DATETIME, builtin=True, readonly=True),
    }


def check(program: ast.Program, sources: dict[str, str] | None = None) -> CheckedProgram:
    """Check a parsed program; raise ScriptError listing every error found."""
    checked, diagnostics = analyse(program, sources)
    if any(d.severity == "error" for d in diagnostics):
        raise ScriptError(diagnostics)
    return checked


def analyse(program: ast.Program, sources: dict[str, str] | None = None) -> tuple[CheckedProgram, list[Diagnostic]]:
    """Check without raising: the checked program (partial if there are errors,
    which editors still use) and every diagnostic, sorted by position.

    Lints run only on a program without errors: they read the types and
    names the checker resolved, which an error leaves incomplete."""
    checker = Checker(program, sources or {})
    checked = checker.run()
    if not any(d.severity == "error" for d in checker.diagnostics):
        checker.diagnostics += constants.evaluate(checked)
    if not any(d.severity == "error" for d in checker.diagnostics):
        checker.diagnostics += lint(checked)
    diagnostics = sorted(checker.diagnostics, key=_position)
    checked.warnings = [d for d in diagnostics if d.severity == "warning"]
    return checked, diagnostics


def _position(d: Diagnostic) -> tuple[str, int, int]:
    return (d.span.file, d.span.line, d.span.column)


class Checker:
    def __init__(self, program: ast.Program, sources: dict[str, str]):
        self.program = program
        self.sources = sources
        self.diagnostics: list[Diagnostic] = []
        self.types: dict[int, T.Type] = {}
        self.names: dict[int, Any] = {}
        contact = ObjectSchema("contact", builtin_properties())
        contact.properties["email"] = Property("email", T.nullable(T.EMAIL), builtin=True)
        self.objects: dict[str, ObjectSchema] = {"contact": contact}
        self.events: dict[str, EventSchema] = {
            "upsert": EventSchema("upsert", "contact", {}, builtin=True),
        }
        self.lists: dict[str, str | None] = {}
        self.secrets: set[str] = set()
        self.emails: dict[str, ast.EmailDecl] = {}
        self.consts: dict[str, ast.ConstDecl] = {}
        self.type_aliases: dict[str, ast.TypeDecl] = {}
        self.externs: dict[str, FunctionSignature] = {}
        self.functions: dict[str, FunctionSignature] = {}
        self.rules: list[RuleInfo] = []
        self.workflow_decls: dict[str, ast.Workflow] = {}
        self.workflows: dict[str, Any] = {}
        self.calls: list[tuple[str, str, Span]] = []  # (caller, callee, where) for the recursion check
        self._declared: dict[str, Span] = {}
        self._duplicates: set[int] = set()  # id() of declarations already reported as duplicates
        self._alias_types: dict[str, T.Type] = {}
        self._const_types: dict[str, T.Type] = {}
        self._resolving_consts: list[str] = []
        self._resolving_aliases: list[str] = []
        self.exprs = ExprChecker(self)

    # ---- reporting ---------------------------------------------------------------
    def error(self, code: str, message: str, span: Span, label: str = "", notes: tuple[str, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, label, tuple(notes)))

    def warning(self, code: str, message: str, span: Span, label: str = "") -> None:
        self.diagnostics.append(Diagnostic(code, message, span, label, severity="warning"))

    # ---- the pass ------------------------------------------------------------------
    def run(self) -> CheckedProgram:
        for decl in self.program.decls:
            self._declare(decl)
        # A duplicate is reported once, where it is declared; checking its body
        # too would only repeat the mistake (`property ... is declared twice`).
        decls = [d for d in self.program.decls if id(d) not in self._duplicates]
        for decl in decls:
            if isinstance(decl, ast.TypeDecl):  # report a bad alias even if nothing uses it
                self._alias_type(decl.name)
        # object properties first: everything else reads them
        for decl in decls:
            if isinstance(decl, ast.ObjectDecl):
                self._object(decl)
        self._reverse_associations(decls)
        for decl in decls:
            if isinstance(decl, ast.EventDecl):
                self._event(decl)
            elif isinstance(decl, (ast.ExternFn, ast.FnDecl)):
                self._signature(decl)
        for decl in decls:
            if isinstance(decl, ast.ConstDecl):
                self.const_type(decl.name)
            elif isinstance(decl, ast.ObjectDecl):
                self._defaults(decl)
            elif isinstance(decl, ast.EmailDecl):
                self._email(decl)
            elif isinstance(decl, ast.FnDecl):
                self._fn_body(decl)
        for decl in decls:
            if isinstance(decl, ast.Rule):
                self._rule(decl, len(self.rules))
            elif isinstance(decl, ast.Workflow):
                self.workflows[decl.name] = check_workflow(self, decl)
        self._no_recursion()
        return CheckedProgram(
            program=self.program,
            sources=self.sources,
            objects=self.objects,
            events=self.events,
            lists=self.lists,
            secrets=self.secrets,
            emails=self.emails,
            consts=self.consts,
            externs=self.externs,
            functions=self.functions,
            rules=self.rules,
            types=self.types,
            names=self.names,
            warnings=[d for d in self.diagnostics if d.severity == "warning"],
            workflows=self.workflows,
        )

    def _declare(self, decl: ast.Decl) -> None:
        if isinstance(decl, ast.Rule):
            # Runtime errors and logs name a rule: two of one name could not be told apart.
            key = f"rule {decl.name}"
            if decl.name is not None and key in self._declared:
                self.error(
                    "E300",
                    f'rule "{decl.name}" is declared twice (first at {self._declared[key]})',
                    decl.span,
                    "rename one of them",
                )
            elif decl.name is not None:
                self._declared[key] = decl.span
            return
        where = decl.name_span.or_else(decl.span)
        if isinstance(decl, ast.ObjectDecl) and decl.name == "contact":
            if "object contact" in self._declared:
                first = self._declared["object contact"]
                self.error(
                    "E300",
                    f"`contact` is declared twice (first at {first})",
                    where,
                    "declare all of contact's properties in one `object contact { ... }`",
                )
                self._duplicates.add(id(decl))
            self._declared.setdefault("object contact", decl.span)
            return
        kind = "event" if isinstance(decl, ast.EventDecl) else "workflow" if isinstance(decl, ast.Workflow) else "name"
        key = f"{kind} {decl.name}"
        if key in self._declared or (kind == "event" and decl.name in BUILTIN_EVENTS):
            earlier = self._declared.get(key)
            why = f" (first at {earlier})" if earlier else " (it is built in)"
            self.error(
                "E300",
                f"`{decl.name}` is declared twice{why}",
                where,
                "rename one of them" if earlier else "rename yours",
            )
            self._duplicates.add(id(decl))
            return
        self._declared[key] = decl.span
        if isinstance(decl, ast.ObjectDecl):
            self.objects[decl.name] = ObjectSchema(decl.name, builtin_properties())
        elif isinstance(decl, ast.ListDecl):
            self.lists[decl.name] = decl.display
        elif isinstance(decl, ast.SecretDecl):
            self.secrets.add(decl.name)
        elif isinstance(decl, ast.EmailDecl):
            self.emails[decl.name] = decl
        elif isinstance(decl, ast.ConstDecl):
            self.consts[decl.name] = decl
        elif isinstance(decl, ast.TypeDecl):
            self.type_aliases[decl.name] = decl
        elif isinstance(decl, ast.Workflow):
            self.workflow_decls[decl.name] = decl

    # ---- types -----------------------------------------------------------------------
    def resolve_type(self, expr: ast.TypeExpr) -> T.Type:
        if isinstance(expr, ast.NullableTypeExpr):
            return T.nullable(self.resolve_type(expr.inner))
        if isinstance(expr, ast.EnumTypeExpr):
            twice = sorted({m for m in expr.members if expr.members.count(m) > 1})
            if twice:
                self.error("E300", f"an enum member is listed twice: {', '.join(twice)}", expr.span)
            return T.EnumType(tuple(dict.fromkeys(expr.members)))
        if isinstance(expr, ast.ListTypeExpr):
            return T.ListType(self.resolve_type(expr.element))
        if isinstance(expr, ast.RecordTypeExpr):
            return T.RecordType(tuple((f.name, self.resolve_type(f.type)) for f in expr.fields))
        name = expr.name
        if name in T.PRIMITIVES:
            return T.PRIMITIVES[name]
        if name in self.objects:
            return T.ObjectType(name)
        if name in self.type_aliases:
            if name in self._resolving_aliases:
                cycle = " -> ".join(self._resolving_aliases[self._resolving_aliases.index(name) :] + [name])
                self.error("E302", f"type `{name}` is defined in terms of itself: {cycle}", expr.span)
                return T.ANY
            return self._alias_type(name)
        known = list(T.PRIMITIVES) + list(self.objects) + list(self.type_aliases)
        self.error("E215", f"unknown type `{name}`", expr.span, suggestion_label(name, known))
        return T.ANY

    def _alias_type(self, name: str) -> T.Type:
        """The type a `type` declaration names, resolved (and its errors reported) once."""
        if name not in self._alias_types:
            self._resolving_aliases.append(name)
            resolved = self.resolve_type(self.type_aliases[name].type)
            self._resolving_aliases.pop()
            if isinstance(resolved, T.EnumType):
                resolved = T.EnumType(resolved.members, name)
            self._alias_types[name] = resolved
        return self._alias_types[name]

    # ---- declarations -----------------------------------------------------------------
    def _object(self, decl: ast.ObjectDecl) -> None:
        schema = self.objects[decl.name]
        for prop in decl.props:
            existing = schema.properties.get(prop.name)
            declared = self.resolve_type(prop.type)
            if isinstance(declared, T.EnumType) and declared.name is None:
                declared = T.EnumType(declared.members, f"{prop.name}'s enum")
            if existing is not None and not (
                existing.builtin and prop.name == "email" and T.strip_null(declared) == T.EMAIL
            ):
                why = "is built in" if existing.builtin else "is declared twice"
                self.error("E300", f"property `{prop.name}` of {decl.name} {why}", prop.span)
                continue
            if prop.reverse and not isinstance(T.strip_null(declared), T.ObjectType):
                self.error(
                    "E309",
                    "only an association (a property of object type) can have `reverse`",
                    prop.span,
                    "`reverse` names the list on the other object: `owner: contact reverse deals`",
                )
            value_type = declared if prop.default is not None else T.nullable(declared)
            schema.properties[prop.name] = Property(prop.name, value_type, prop.default)

    def _reverse_associations(self, decls: Sequence[ast.Decl]) -> None:
        for decl in decls:
            if not isinstance(decl, ast.ObjectDecl):
                continue
            for prop in decl.props:
                target = T.strip_null(self.objects[decl.name].properties.get(prop.name, Property("", T.ANY)).type)
                if prop.reverse and isinstance(target, T.ObjectType):
                    other = self.objects[target.name]
                    if prop.reverse in other.properties:
                        self.error("E300", f"{target.name} already has a property `{prop.reverse}`", prop.span)
                        continue
                    other.properties[prop.reverse] = Property(
                        prop.reverse,
                        T.ListType(T.ObjectType(decl.name)),
                        readonly=True,
                        reverse_of=(decl.name, prop.name),
                    )

    def _defaults(self, decl: ast.ObjectDecl) -> None:
        for prop in decl.props:
            if prop.default is None:
                continue
            target = self.objects[decl.name].properties.get(prop.name)
            if target is None or target.builtin:
                continue
            self.exprs.expect(
                prop.default, Scope(None, where=f"default of {prop.name}"), target.type, f"the default of `{prop.name}`"
            )
            if not is_constant(prop.default):
                self.error(
                    "E308", "a default must be a constant value", prop.default.span, "use a literal or a `const`"
                )

    def _event(self, decl: ast.EventDecl) -> None:
        object_type = decl.on_object or "contact"
        if object_type not in self.objects:
            self.error(
                "E213",
                f"unknown object type `{object_type}`",
                decl.on_span.or_else(decl.span),
                suggestion_label(object_type, self.objects),
                notes=(f"declare it: `object {object_type} {{ ... }}`",),
            )
            object_type = "contact"
        fields: dict[str, T.Type] = {}
        for f in decl.fields:
            if f.name in fields:
                self.error("E300", f"field `{f.name}` is declared twice", f.span)
            fields[f.name] = self.resolve_type(f.type)
        self.events[decl.name] = EventSchema(decl.name, object_type, fields)

    def _signature(self, decl: ast.ExternFn | ast.FnDecl) -> None:
        params: list[tuple[str, T.Type]] = []
        for p in decl.params:
            if p.name in dict(params):
                self.error("E300", f"parameter `{p.name}` is declared twice", p.span)
            params.append((p.name, self.resolve_type(p.type)))
        signature = FunctionSignature(decl.name, tuple(params), self.resolve_type(decl.result), decl)
        table = self.externs if isinstance(decl, ast.ExternFn) else self.functions
        table[decl.name] = signature

    def const_type(self, name: str) -> T.Type:
        if name in self._const_types:
            return self._const_types[name]
        decl = self.consts[name]
        if name in self._resolving_consts:
            cycle = " -> ".join(self._resolving_consts[self._resolving_consts.index(name) :] + [name])
            self.error(
                "E302", f"constant `{name}` is defined in terms of itself: {cycle}", decl.name_span.or_else(decl.span)
            )
            return T.ANY
        self._resolving_consts.append(name)
        result = self.exprs.check(decl.value, Scope(None, where=f"const {name}"))
        self._resolving_consts.pop()
        if not is_constant(decl.value):
            self.error("E308", "a constant must be computed from literals and other constants", decl.value.span)
        self._const_types[name] = result
        return result

    def _email(self, decl: ast.EmailDecl) -> None:
        scope = Scope("contact", where=f"email {decl.name}")
        given = set()
        for f in decl.fields:
            if f.name not in EMAIL_FIELDS:
                self.error(
                    "E303",
                    f"an email has no field `{f.name}`",
                    f.span,
                    suggestion_label(f.name, EMAIL_FIELDS),
                    notes=("an email has " + ", ".join(EMAIL_FIELDS),),
                )
                continue
            given.add(f.name)
            self.exprs.expect(f.value, scope, T.TEXT, f"the email's `{f.name}`")
        for name, required in EMAIL_FIELDS.items():
            if required and name not in given:
                self.error(
                    "E303",
                    f"email `{decl.name}` has no `{name}`",
                    decl.name_span.or_else(decl.span),
                    f'add `{name}: "..."`',
                )

    def _fn_body(self, decl: ast.FnDecl) -> None:
        signature = self.functions[decl.name]
        scope = Scope(None, where=decl.name, in_function=True, locals=dict(signature.params))
        if isinstance(decl.body, ast.FnBlock):
            self._stmts(decl.body.stmts, scope)
            body = decl.body.result
        else:
            body = decl.body
        self.exprs.expect(body, scope, signature.result, f"the result of `{decl.name}`")

    def _stmts(self, stmts: Sequence[ast.Stmt], scope: Scope) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.LetStmt):
                scope.locals[stmt.name] = self.exprs.check(stmt.value, scope)
            elif isinstance(stmt, ast.AssignStmt):
                if stmt.name not in scope.locals:
                    self.error(
                        "E200",
                        f"`{stmt.name}` is not a local variable",
                        stmt.span,
                        f"declare it first: `let {stmt.name} = ...`",
                    )
                    continue
                self.exprs.expect(stmt.value, scope, scope.locals[stmt.name], f"`{stmt.name}`")
            elif isinstance(stmt, ast.ForStmt):
                iterable = self.exprs.value(stmt.iterable, scope, "`for`")
                inner = scope.child()
                if isinstance(iterable, T.ListType):
                    inner.locals[stmt.var] = iterable.element
                else:
                    if iterable != T.ANY:
                        self.error("E207", f"`for` goes over a list, not {iterable}", stmt.iterable.span)
                    inner.locals[stmt.var] = T.ANY
                self._stmts(stmt.body, inner)
            elif isinstance(stmt, ast.IfStmt):
                self.exprs.expect_condition(stmt.condition, scope)
                for block in (stmt.then, stmt.otherwise or ()):
                    self._stmts(block, scope.child())  # a block's `let`s stay inside it

    def _no_recursion(self) -> None:
        graph: dict[str, list[tuple[str, Span]]] = {}
        for caller, callee, span in self.calls:
            if callee in self.functions and caller in self.functions:
                graph.setdefault(caller, []).append((callee, span))
        reported = set()

        def visit(name: str, path: list[str]) -> None:
            for callee, span in graph.get(name, []):
                if callee in path:
                    cycle = path[path.index(callee) :] + [callee]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.error(
                            "E301",
                            "recursion is not allowed: " + " -> ".join(cycle),
                            span,
                            "every evaluation must terminate; use `for` over a list instead",
                        )
                    continue
                visit(callee, path + [callee])

        for name in graph:
            visit(name, [name])

    def name_is_bound(self, name: str, scope: Scope) -> bool:
        if name in scope.locals or name in self.consts or (name == "event" and scope.event):
            return True
        return scope.subject is not None and (name in self.objects[scope.subject].properties or name == scope.subject)

    def source_text(self, span: Span, longest: int = 40) -> str | None:
        """The source an expression is written as, to quote it in a message:
        None when it spans lines, is long, or the source is not at hand."""
        source = self.sources.get(span.file)
        if source is None or span.line < 1 or span.line != span.end_line:
            return None
        lines = source.splitlines()
        text = lines[span.line - 1][span.column - 1 : span.end_column - 1] if span.line <= len(lines) else ""
        return text if 0 < len(text) <= longest else None

    def all_property_names(self) -> set[str]:
        return {p for schema in self.objects.values() for p in schema.properties}

    # ---- rules ------------------------------------------------------------------------
    def _rule(self, rule: ast.Rule, index: int) -> None:
        title = f'rule "{rule.name}"' if rule.name else f"rule at {rule.span}"
        scope = Scope("contact", where=title)
        self.check_trigger(rule.trigger, scope)
        if rule.condition is not None:
            self.exprs.expect_condition(rule.condition, scope)
        check_actions(self, rule.actions, scope)
        assert scope.subject is not None  # "contact" unless the trigger names another type
        self.rules.append(RuleInfo(rule, index, scope.subject, title))

    def check_trigger(self, trigger: ast.Trigger, scope: Scope) -> None:
        """Check a rule's or enrollment's trigger; set the scope's subject and event."""
        if isinstance(trigger, ast.EventTrigger):
            schema = self.events.get(trigger.event)
            if schema is None:
                where = trigger.name_span.or_else(trigger.span)
                if trigger.event in self.objects:
                    self.error(
                        "E210",
                        f"`{trigger.event}` is an object, not an event",
                        where,
                        f"write `{trigger.event} created` or `{trigger.event}.PROPERTY changed`",
                    )
                else:
                    self.error(
                        "E210",
                        f"unknown event `{trigger.event}`",
                        where,
                        suggestion_label(trigger.event, self.events),
                        notes=("declare it: `event " + trigger.event + " { ... }`",),
                    )
                scope.locals["event"] = T.ANY  # so `event.x` in the rule is not reported again
                return
            scope.subject, scope.event = schema.object_type, schema
            if trigger.where is not None:
                self.exprs.expect_condition(trigger.where, scope)
        elif isinstance(trigger, ast.CreatedTrigger):
            if trigger.object_type not in self.objects:
                self.error(
                    "E213",
                    f"unknown object type `{trigger.object_type}`",
                    trigger.name_span.or_else(trigger.span),
                    suggestion_label(trigger.object_type, self.objects),
                )
                return
            scope.subject = trigger.object_type
        elif isinstance(trigger, ast.ChangedTrigger):
            path = trigger.path
            if len(path) == 2 and path[0] in self.objects:
                scope.subject = path[0]
            elif len(path) != 1:
                self.error(
                    "E202",
                    "write `PROPERTY changed` or `OBJECT.PROPERTY changed`",
                    trigger.path_span.or_else(trigger.span),
                )
                return
            assert scope.subject is not None  # a rule's scope starts at "contact"
            prop = self.objects[scope.subject].properties.get(path[-1])
            if prop is None:
                names = self.objects[scope.subject].properties
                self.error(
                    "E202",
                    f"{scope.subject} has no property `{path[-1]}`",
                    trigger.path_span.or_else(trigger.span),
                    suggestion_label(path[-1], names),
                )
                return
            for value in (trigger.from_value, trigger.to_value):
                if value is not None:
                    self.exprs.expect(value, scope, T.nullable(T.strip_null(prop.type)), f"a value of `{prop.name}`")
        elif isinstance(trigger, ast.ListTrigger):
            self.check_list(trigger.list_name, trigger.name_span.or_else(trigger.span))
        elif isinstance(trigger, ast.MatchingTrigger):
            self.exprs.expect_condition(trigger.condition, scope)
        elif isinstance(trigger, ast.TIMED_TRIGGERS):
            check_timed_trigger(self, trigger, scope)

    def check_list(self, name: str, span: Span) -> None:
        if name not in self.lists:
            self.error(
                "E211",
                f"unknown list `{name}`",
                span,
                suggestion_label(name, self.lists),
                notes=(f"declare it: `list {name}`",),
            )


CONSTANT_NODES = (
    ast.NumberLit,
    ast.BoolLit,
    ast.NullLit,
    ast.DateLit,
    ast.DateTimeLit,
    ast.TimeLit,
    ast.DurationLit,
    ast.TextLit,
    ast.ListLit,
    ast.RecordLit,
    ast.RecordField,
    ast.Name,
    ast.Binary,
    ast.Unary,
    ast.IfExpr,
)


def is_constant(expr: ast.Expr) -> bool:
    """Literals, constants and operators over them: computable before any record exists.
    (Names are consts and enum members; anything else was already reported.)"""
    for node in walk.walk(expr):  # iterative: a constant may be a chain of a thousand terms
        if isinstance(node, ast.Field):
            if not (isinstance(node.subject, ast.Name) and node.subject.name == "const"):
                return False
        elif not isinstance(node, CONSTANT_NODES):
            return False
    return True
