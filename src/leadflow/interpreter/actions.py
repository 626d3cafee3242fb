"""Compile actions (design section 6) into closures over compiled expressions.

An action closure is `run(tx, act)`: `tx` is the engine's open transaction
(store writes, outbox, cascade bookkeeping) and `act` the activation (the
record, event payload, local bindings, cause and idempotency key of this
rule run). Expressions inside were compiled once by Codegen; here we only
wire them to their effects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from leadflow import limits
from leadflow.check import types as T
from leadflow.check.program import CheckedProgram
from leadflow.errors import LeadflowError, LeadflowRuntimeError
from leadflow.interpreter.compile import Codegen
from leadflow.interpreter.validate import validate_value, validator
from leadflow.limits import MAX_NUMBER
from leadflow.syntax import ast

if TYPE_CHECKING:
    from leadflow.interpreter.transaction import Transaction

ActionFn = Callable[["Transaction", "Activation"], None]
# A compiled expression, `(p, ev, loc, ctx) -> value`: its value is whatever the script computes.
ValueFn = Callable[..., Any]


class Activation:
    """One run of a rule or a workflow step on one record.

    A plain slotted class: one is made for every rule that fires. Its `key`,
    the idempotency prefix of its effects (event key, rules fired before,
    rule), is written out only if an effect asks for it."""

    __slots__ = ("record_id", "object_type", "p", "ev", "cause", "_key", "loc")

    def __init__(
        self,
        record_id: int,
        object_type: str,
        p: dict[str, Any],
        ev: dict[str, Any] | None,
        cause: str,
        key: str | tuple[str, int, int],
        loc: dict[str, Any] | None = None,
    ) -> None:
        self.record_id = record_id
        self.object_type = object_type
        self.p = p  # the record's properties, kept current by the transaction
        self.ev = ev
        self.cause = cause
        self._key = key  # text, or the parts of it: (event key, rules fired before, rule index)
        self.loc = {} if loc is None else loc

    @property
    def key(self) -> str:
        key = self._key
        if type(key) is tuple:
            event_key, fired, index = key
            key = self._key = f"{event_key}:{fired}:r{index}"
        assert isinstance(key, str)
        return key


class ActionCompiler:
    """Compiles action blocks. With a `probe` (test coverage), every block calls
    `probe(where)` when it starts: `r3` for the actions of rule index 3, `r3/0/if1` for the
    second arm of the `if` that is its first action, `r3/0/else` for its else,
    written or not. Without one the compiled code has no trace of it."""

    def __init__(self, checked: CheckedProgram, gen: Codegen, probe: Callable[[str], None] | None = None):
        self.checked = checked
        self.gen = gen
        self.probe = probe
        self.email_templates: dict[str, dict[str, ValueFn]] = {}

    def block(self, actions: Iterable[ast.Action], where: str) -> ActionFn:
        compiled = [(self.action(a, f"{where}/{i}"), a.span) for i, a in enumerate(actions)]

        def run(tx: Transaction, act: Activation) -> None:
            for action, span in compiled:
                try:
                    action(tx, act)
                except LeadflowRuntimeError as error:
                    if error.span is None:  # nothing inside said where: the action did it
                        error.span = span
                    raise
                except LeadflowError:
                    raise
                except Exception as error:  # Python's own wording never reaches a user
                    raise limits.locate(error, span) from error

        probe = self.probe
        if probe is None:
            return run

        def probed(tx: Transaction, act: Activation) -> None:
            probe(where)
            run(tx, act)

        return probed

    def action(self, a: ast.Action, path: str) -> ActionFn:
        compile_action: Callable[[ast.Action, str], ActionFn] = getattr(self, "_" + type(a).__name__)
        return compile_action(a, path)

    def expr(self, e: ast.Expr) -> ValueFn:
        return self.gen.function(e)

    def _target(self, target: tuple[str, ...]) -> tuple[Callable[[Transaction, Activation], int], str]:
        """Where a property write goes: (function giving the record id, property name)."""
        name = target[-1]
        if len(target) == 1:
            return (lambda tx, act: act.record_id), name
        owner = target[0]

        def record_of(tx: Transaction, act: Activation) -> int:
            if owner in act.loc:  # `create ... as d` then `set d.stage = won`
                created: int = act.loc[owner]
                return created
            if owner == act.object_type:
                return act.record_id
            linked: int | None = act.p.get(owner)  # an association: `set contact.lifecycle = customer`
            if linked is None:
                raise LeadflowRuntimeError(
                    f"this {act.object_type} has no `{owner}`, so `{'.'.join(target)}` cannot be set"
                )
            return linked

        return record_of, name

    def _SetAction(self, a: ast.SetAction, path: str) -> ActionFn:
        record_of, name = self._target(a.target)
        value_of = self.expr(a.value)
        valid = _bounded(validator(self.checked.types.get(id(a), T.ANY), name), self.checked.types.get(id(a), T.ANY))
        own = len(a.target) == 1  # the rule's own record, the usual case: no call to find it

        def run(tx: Transaction, act: Activation) -> None:
            value = value_of(act.p, act.ev, act.loc, tx.ctx)
            tx.set_prop(act.record_id if own else record_of(tx, act), name, valid(value), act.cause)

        return run

    def _ClearAction(self, a: ast.ClearAction, path: str) -> ActionFn:
        record_of, name = self._target(a.target)
        return lambda tx, act: tx.set_prop(record_of(tx, act), name, None, act.cause)

    def _IncrementAction(self, a: ast.IncrementAction, path: str) -> ActionFn:
        record_of, name = self._target(a.target)
        amount_of = self.expr(a.amount) if a.amount is not None else (lambda p, ev, loc, ctx: 1)
        sign = -1 if a.decrement else 1
        own = len(a.target) == 1

        def run(tx: Transaction, act: Activation) -> None:
            record_id = act.record_id if own else record_of(tx, act)
            current = tx.props(record_id).get(name) or 0
            total = current + sign * amount_of(act.p, act.ev, act.loc, tx.ctx)
            if not -MAX_NUMBER <= total <= MAX_NUMBER:
                raise limits.number_out_of_range(total)
            tx.set_prop(record_id, name, total, act.cause)

        return run

    def _ListAction(self, a: ast.ListAction, path: str) -> ActionFn:
        list_name, add = a.list_name, a.add
        return lambda tx, act: tx.change_list(act.record_id, list_name, add, act.cause)

    def _SendEmail(self, a: ast.SendEmail, path: str) -> ActionFn:
        template = self._template(a.template)
        to_of = self.expr(a.to) if a.to is not None else None
        name = a.template

        def run(tx: Transaction, act: Activation) -> None:
            to = to_of(act.p, act.ev, act.loc, tx.ctx) if to_of else act.p.get("email")
            if to_of is not None:
                to = validate_value(to, T.EMAIL, f"the recipient of email {name}")
            if not to:
                tx.note(act.record_id, f"email {name} not sent: the contact has no email address", act.cause)
                return
            payload: dict[str, Any] = {"to": to, "template": name, "record_id": act.record_id}
            for field, render in template.items():
                payload[field] = render(act.p, act.ev, act.loc, tx.ctx)
            payload.setdefault("html", None)
            payload.setdefault("from", tx.engine.sender)
            payload["text"] = payload.pop("body")
            tx.enqueue("email", payload, f"{act.key}:{path}:{act.record_id}")

        return run

    def _template(self, name: str) -> dict[str, ValueFn]:
        if name not in self.email_templates:
            compiled: dict[str, ValueFn] = {}
            for f in self.checked.emails[name].fields:
                self.gen.escape_html = f.name == "html"
                try:
                    compiled[f.name] = self.expr(f.value)
                finally:
                    self.gen.escape_html = False
            self.email_templates[name] = compiled
        return self.email_templates[name]

    def _Notify(self, a: ast.Notify, path: str) -> ActionFn:
        channel_of, message_of = self.expr(a.channel), self.expr(a.message)

        def run(tx: Transaction, act: Activation) -> None:
            payload = {
                "channel": channel_of(act.p, act.ev, act.loc, tx.ctx),
                "message": message_of(act.p, act.ev, act.loc, tx.ctx),
                "record_id": act.record_id,
            }
            tx.enqueue("notify", payload, f"{act.key}:{path}:{act.record_id}")

        return run

    def _CreateRecord(self, a: ast.CreateRecord, path: str) -> ActionFn:
        object_type, alias = a.object_type, a.alias
        schema = self.checked.objects[object_type]
        fields = [
            (
                f.name,
                self.expr(f.value),
                _bounded(validator(schema.properties[f.name].type, f.name), schema.properties[f.name].type),
            )
            for f in a.fields.fields
        ]
        given = {f.name for f in a.fields.fields}
        # An association back to the current record is filled in when not given:
        # "create deal { ... }" in a contact rule links the deal to that contact.
        links = {
            prop.name: linked.name
            for prop in schema.properties.values()
            if isinstance(linked := T.strip_null(prop.type), T.ObjectType) and prop.name not in given
        }

        def run(tx: Transaction, act: Activation) -> None:
            props = {name: valid(f(act.p, act.ev, act.loc, tx.ctx)) for name, f, valid in fields}
            for prop_name, target_type in links.items():
                if target_type == act.object_type:
                    props[prop_name] = act.record_id
            record_id = tx.create(object_type, props, act.cause)
            if alias:
                act.loc[alias] = record_id

        return run

    def _LetAction(self, a: ast.LetAction, path: str) -> ActionFn:
        name, value_of = a.name, self.expr(a.value)
        if _is_composite(self.gen.type_of(a.value)):  # a workflow keeps its `let`s in the store
            value_of = _bounded_expr(value_of)

        def run(tx: Transaction, act: Activation) -> None:
            act.loc[name] = value_of(act.p, act.ev, act.loc, tx.ctx)

        return run

    def _DoAction(self, a: ast.DoAction, path: str) -> ActionFn:
        call = self.expr(a.call)
        return lambda tx, act: call(act.p, act.ev, act.loc, tx.ctx)

    def _Webhook(self, a: ast.Webhook, path: str) -> ActionFn:
        url_of = self.expr(a.url)
        body_of = self.expr(a.body) if a.body is not None else None
        headers_of = self.expr(a.headers) if a.headers is not None else None
        timeout_of = self.expr(a.timeout) if a.timeout is not None else None
        method, auth, sign = a.method.upper(), a.auth_secret, a.sign_secret

        def run(tx: Transaction, act: Activation) -> None:
            args = (act.p, act.ev, act.loc, tx.ctx)
            url = validate_value(url_of(*args), T.URL, "the webhook URL")
            timeout = timeout_of(*args).total_seconds() if timeout_of else None
            payload = {
                "method": method,
                "url": url,
                "body": tx.jsonable(body_of(*args)) if body_of else None,
                "headers": {k: str(v) for k, v in (headers_of(*args) if headers_of else {}).items() if v is not None},
                "auth_bearer": auth,
                "sign_with": sign,
                "timeout": timeout,
            }
            tx.enqueue("webhook", payload, f"{act.key}:{path}:{act.record_id}")

        return run

    def _IfAction(self, a: ast.IfAction, path: str) -> ActionFn:
        branches = [(self.expr(cond), self.block(block, f"{path}/if{i}")) for i, (cond, block) in enumerate(a.branches)]
        otherwise: ActionFn | None = None
        if a.otherwise is not None or self.probe is not None:  # a probe sees the unwritten else taken too
            otherwise = self.block(a.otherwise or (), f"{path}/else")

        def run(tx: Transaction, act: Activation) -> None:
            for condition, block in branches:
                if condition(act.p, act.ev, act.loc, tx.ctx):
                    block(tx, act)
                    return
            if otherwise is not None:
                otherwise(tx, act)

        return run

    def _EnrollAction(self, a: ast.EnrollAction, path: str) -> ActionFn:
        name, enroll = a.workflow, a.enroll

        def run(tx: Transaction, act: Activation) -> None:
            runtime = tx.engine.workflows
            if enroll:
                runtime.enroll(tx, name, act.record_id, f"enroll in, by {act.cause}", manual=True)
            else:
                runtime.unenroll(tx, name, act.record_id, f"unenroll from, by {act.cause}")

        return run


def _is_composite(type_: T.Type) -> bool:
    return isinstance(T.strip_null(type_), (T.ListType, T.RecordType)) or type_ == T.ANY


def _bounded(valid: Callable[[object], object], type_: T.Type) -> Callable[[object], object]:
    """`valid`, and for a list or record the size it will be stored at: its parts may be
    shared, so a value small in memory can stand for a huge text (scalars were bounded
    as they were built, and pay nothing here)."""
    if not _is_composite(type_):
        return valid

    def checked(value: object) -> object:
        return valid(limits.fit_value(value))

    return checked


def _bounded_expr(value_of: ValueFn) -> ValueFn:
    return lambda p, ev, loc, ctx: limits.fit_value(value_of(p, ev, loc, ctx))
