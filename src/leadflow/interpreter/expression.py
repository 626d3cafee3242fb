"""Expressions given one at a time, after the script was loaded: the REPL's
input, `:type`, `engine.condition`.

A script's expressions are checked with the whole program at load time.
These arrive later, so the engine checks each in the program's context (its
objects, enums, constants and functions, plus the caller's `let` bindings)
and compiles it with the same Codegen as the rules: an expression typed at
the REPL evaluates exactly as it would in a rule's condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from leadflow import limits
from leadflow.check import types as T
from leadflow.errors import LeadflowError, LeadflowRuntimeError
from leadflow.syntax import ast
from leadflow.syntax.walk import walk

if TYPE_CHECKING:
    from leadflow.diagnostics import Diagnostic
    from leadflow.interpreter.engine import Engine


@attrs.frozen
class CheckedExpression:
    expr: ast.Expr
    type: T.Type
    text: str
    warnings: tuple[Diagnostic, ...]
    reads_record: bool  # evaluating needs a current record (a bare property, or `contact`)


def reads_record(expr: ast.Expr, names: dict[int, Any]) -> bool:
    """Whether an expression reads the current record, by what the checker noted of its names."""
    return any(
        isinstance(node, ast.Name)
        and (resolution := names.get(id(node))) is not None
        and resolution.kind in ("prop", "self")
        for node in walk(expr)
    )


@attrs.frozen
class Expression:
    checked: CheckedExpression
    function: Callable[..., Any] = attrs.field(repr=False)  # the compiled `(p, ev, loc, ctx) -> value`
    engine: Engine = attrs.field(repr=False)

    @property
    def type(self) -> T.Type:
        return self.checked.type

    def evaluate(self, record_id: int | None = None, bindings: Mapping[str, object] | None = None) -> Any:
        """The value, read against the stored record `record_id` (committed state) with
        `bindings` as the `let`s; raises LeadflowError, never a Python error."""
        if record_id is None and self.checked.reads_record:
            raise LeadflowRuntimeError("this expression reads a record's properties, and no record was given")
        props = self.engine.properties(record_id) if record_id is not None else {}
        try:
            return run_compiled(self.engine, self.function, props, bindings, f"expression `{self.checked.text}`")
        except LeadflowRuntimeError as error:
            if error.span is not None and error.span.file == self.checked.expr.span.file:
                error.span = None  # it points into this expression, which the caller has in hand
            raise


def run_compiled(
    engine: Engine,
    function: Callable[..., Any],
    props: dict[str, Any],
    bindings: Mapping[str, object] | None,
    where: str,
) -> Any:
    """Call compiled expression code outside an event (`(p, ev, loc, ctx)`, no event):
    with a fresh step budget, and any failure a LeadflowError."""
    ctx = engine.ctx
    ctx.start(where)
    try:
        return function(props, None, dict(bindings or {}), ctx)
    except LeadflowError:
        raise
    except Exception as error:  # as for a rule: a stray Python error is reported in our words, not raised
        raise limits.python_error(error) from error
