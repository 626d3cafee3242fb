"""The checked program: what the checker learnt, handed on to the compiler.

The AST stays as parsed; everything the checker resolves lives in side tables
keyed by node identity (`id(node)`): the type of every expression and what
every bare name refers to. The compiler reads these instead of re-deriving
them, so compiled code needs no name lookups at run time.
"""

from __future__ import annotations

import attrs

from typing import TYPE_CHECKING

from leadflow.check.types import Type
from leadflow.syntax import ast

if TYPE_CHECKING:
    from leadflow.check.workflows import WorkflowInfo
    from leadflow.diagnostics import Diagnostic


@attrs.define
class Property:
    name: str
    type: Type  # nullable unless the property has a default
    default: ast.Expr | None = None
    builtin: bool = False  # id, email, created_at, updated_at
    readonly: bool = False
    reverse_of: tuple[str, str] | None = None  # (object, property) for a reverse association


@attrs.define
class ObjectSchema:
    name: str
    properties: dict[str, Property] = attrs.field(factory=dict)


@attrs.define
class EventSchema:
    name: str
    object_type: str
    fields: dict[str, Type] = attrs.field(factory=dict)
    builtin: bool = False


@attrs.define
class FunctionSignature:
    name: str
    params: tuple[tuple[str, Type], ...]
    result: Type
    decl: ast.FnDecl | ast.ExternFn | None = None

    def text(self) -> str:
        """`name(a: text) -> number`, as messages and completion show it."""
        params = ", ".join(f"{n}: {t}" for n, t in self.params)
        return f"{self.name}({params}) -> {self.result}"


@attrs.frozen
class Resolution:
    """What a bare name means where it appears."""

    kind: str  # "prop", "local", "const", "enum", "event", "self", "secret"
    name: str  # property/local/const name, or the enum member
    object_type: str | None = None  # for "prop" and "self": the record's type


@attrs.define
class RuleInfo:
    rule: ast.Rule
    index: int
    subject: str  # the object type the rule acts on
    title: str  # the rule's name or `rule at file:line`


@attrs.define
class CheckedProgram:
    program: ast.Program
    sources: dict[str, str]
    objects: dict[str, ObjectSchema]
    events: dict[str, EventSchema]
    lists: dict[str, str | None]  # name -> display name
    secrets: set[str]
    emails: dict[str, ast.EmailDecl]
    consts: dict[str, ast.ConstDecl]
    externs: dict[str, FunctionSignature]
    functions: dict[str, FunctionSignature]
    rules: list[RuleInfo]
    types: dict[int, Type]  # id(expr) -> its type
    names: dict[int, Resolution]  # id(Name) -> what it refers to
    warnings: list[Diagnostic] = attrs.field(factory=list)
    workflows: dict[str, WorkflowInfo] = attrs.field(factory=dict)

    def type_of(self, expr: ast.Expr) -> Type:
        return self.types[id(expr)]
