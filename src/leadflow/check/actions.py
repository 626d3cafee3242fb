"""Type checking of actions (design section 6), shared by rules and
workflow steps. Each action is checked in the rule's scope; `let`,
`create ... as` and (in workflows) `webhook ... as` add bindings for the
actions after them. The steps only a workflow may hold are checked in
workflows.py; in a rule they are an error (E313).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from leadflow.check import types as T
from leadflow.check.program import Property
from leadflow.check.scope import Scope
from leadflow.check.workflows import check_block_reachability, check_step
from leadflow.diagnostics import suggestion_label
from leadflow.syntax import ast
from leadflow.syntax.span import Span

if TYPE_CHECKING:
    from leadflow.check.checker import Checker

WEBHOOK_METHODS = ("get", "post", "put", "patch", "delete")


def check_actions(c: Checker, actions: Sequence[ast.Action], scope: Scope) -> None:
    for action in actions:
        check_action(c, action, scope)
    if scope.workflow is not None:
        check_block_reachability(c, actions)


def check_action(c: Checker, action: ast.Action, scope: Scope) -> None:
    x = c.exprs
    if isinstance(action, ast.SetAction):
        prop = writable_property(c, action.target, scope, action.target_span.or_else(action.span))
        if prop is not None:
            x.expect(action.value, scope, prop.type, f"`{prop.name}`")
            c.types[id(action)] = prop.type  # the compiler validates text kinds and enums on write
        else:
            x.check(action.value, scope, T.ANY)  # its own mistakes count; a bare enum member is no new one
    elif isinstance(action, ast.ClearAction):
        where = action.target_span.or_else(action.span)
        prop = writable_property(c, action.target, scope, where)
        if prop is not None and not T.is_nullable(prop.type) and prop.type != T.ANY:
            c.error(
                "E209",
                f"`{prop.name}` has a default, so it cannot be cleared",
                where,
                f"set it instead: `set {prop.name} = ...`",
            )
    elif isinstance(action, ast.IncrementAction):
        where = action.target_span.or_else(action.span)
        prop = writable_property(c, action.target, scope, where)
        if prop is not None and T.strip_null(prop.type) not in (T.NUMBER, T.ANY):
            verb = "decrement" if action.decrement else "increment"
            c.error("E207", f"cannot {verb} `{prop.name}`: it is {prop.type}, not number", where)
        if action.amount is not None:
            x.expect_value(action.amount, scope, T.NUMBER, "the amount")
    elif isinstance(action, ast.ListAction):
        c.check_list(action.list_name, action.name_span.or_else(action.span))
    elif isinstance(action, ast.SendEmail):
        if action.template not in c.emails:
            c.error(
                "E212",
                f"unknown email `{action.template}`",
                action.name_span.or_else(action.span),
                suggestion_label(action.template, c.emails),
                notes=(f'declare it: `email {action.template} {{ subject: "..." body: "..." }}`',),
            )
        if action.to is not None:
            x.expect_value(action.to, scope, T.EMAIL, "the recipient")
        elif scope.subject != "contact":
            c.error(
                "E204", f"a {scope.subject} has no email address", action.span, "say whom: `send email NAME to ADDRESS`"
            )
    elif isinstance(action, ast.Notify):
        x.expect_value(action.channel, scope, T.TEXT, "the channel")
        x.expect_value(action.message, scope, T.TEXT, "the message")
    elif isinstance(action, ast.CreateRecord):
        create_record(c, action, scope)
    elif isinstance(action, ast.LetAction):
        scope.locals[action.name] = x.check(action.value, scope)
    elif isinstance(action, ast.DoAction):
        x.check(action.call, scope)
    elif isinstance(action, ast.EnrollAction):
        enroll_action(c, action, scope)
    elif isinstance(action, ast.Webhook):
        webhook(c, action, scope)
    elif isinstance(action, ast.IfAction):
        for condition, block in action.branches:
            x.expect_condition(condition, scope)
            check_actions(c, block, scope.child())
        if action.otherwise is not None:
            check_actions(c, action.otherwise, scope.child())
    elif isinstance(action, ast.WORKFLOW_STEPS):
        if scope.workflow is None:
            word = {
                ast.WaitUntil: "wait until",
                ast.WaitFor: "wait for",
                ast.Split: "split random",
                ast.Branch: "branch on",
            }.get(type(action), type(action).__name__.lower())
            c.error(
                "E313",
                f"`{word}` is a workflow step; a rule's actions run at once",
                action.span,
                "put the steps in a `workflow NAME { enroll when ... }` and `enroll in` it from the rule",
            )
        else:
            check_step(c, action, scope)


def enroll_action(c: Checker, action: ast.EnrollAction, scope: Scope) -> None:
    verb = "enroll in" if action.enroll else "unenroll from"
    where = action.name_span.or_else(action.span)
    target = c.workflow_decls.get(action.workflow)
    if target is None:
        c.error(
            "E304",
            f"unknown workflow `{action.workflow}`",
            where,
            suggestion_label(action.workflow, c.workflow_decls),
            notes=(f"`{verb}` names a `workflow` declared in the script",),
        )
    elif scope.subject is not None and target.object_type != scope.subject:
        c.error("E310", f"workflow {action.workflow} enrolls {target.object_type}s, not {scope.subject}s", where)


def writable_property(c: Checker, target: tuple[str, ...], scope: Scope, span: Span) -> Property | None:
    """The property a `set`/`clear`/`increment` writes: `prop` or `record.prop`."""
    if len(target) == 1:
        object_type = scope.subject
    else:
        owner = target[0]
        local = T.strip_null(scope.locals.get(owner, T.ANY))
        association = c.objects[scope.subject].properties.get(owner) if scope.subject else None
        association_type = T.strip_null(association.type) if association else None
        if isinstance(local, T.ObjectType):
            object_type = local.name
        elif owner in scope.locals and local == T.ANY:
            return None  # bound by a `create` of an unknown object, already reported
        elif isinstance(association_type, T.ObjectType):
            object_type = association_type.name  # `set contact.lifecycle = customer` in a deal rule
        elif owner == scope.subject:
            object_type = owner
        else:
            c.error(
                "E200",
                f"`{owner}` is not a record here",
                span,
                "write the current record's property alone, or a record bound with `create ... as`",
            )
            return None
        if len(target) > 2:
            c.error("E202", "only a property of a record can be set: `record.property`", span)
            return None
    if object_type is None:
        return None
    name = target[-1]
    prop = c.objects[object_type].properties.get(name)
    if prop is None:
        c.error(
            "E202",
            f"{object_type} has no property `{name}`",
            span,
            suggestion_label(name, c.objects[object_type].properties),
            notes=(f"declare it in `object {object_type} {{ ... }}`",),
        )
        return None
    if prop.readonly:
        if prop.reverse_of is not None:
            owner, via = prop.reverse_of
            why = f"it lists the {owner}s whose `{via}` is this {object_type}: set `{via}` on the {owner}"
        else:
            why = "the engine keeps it"
        c.error("E208", f"`{name}` is read-only", span, why)
        return None
    return prop


def create_record(c: Checker, action: ast.CreateRecord, scope: Scope) -> None:
    schema = c.objects.get(action.object_type)
    if schema is None:
        c.error(
            "E213",
            f"unknown object type `{action.object_type}`",
            action.name_span.or_else(action.span),
            suggestion_label(action.object_type, c.objects),
            notes=(f"declare it: `object {action.object_type} {{ ... }}`",),
        )
        for f in action.fields.fields:
            c.exprs.check(f.value, scope, T.ANY)
        if action.alias:
            scope.locals[action.alias] = T.ANY  # so its later uses are not reported again
        return
    for f in action.fields.fields:
        prop = schema.properties.get(f.name)
        if prop is None or prop.readonly:
            why = "is read-only" if prop else "does not exist"
            c.error(
                "E202",
                f"property `{f.name}` of {schema.name} {why}",
                f.span,
                suggestion_label(f.name, schema.properties),
            )
            c.exprs.check(f.value, scope, T.ANY)
            continue
        c.exprs.expect(f.value, scope, prop.type, f"`{f.name}`")
    c.types[id(action.fields)] = T.ObjectType(schema.name)
    if action.alias:
        scope.locals[action.alias] = T.ObjectType(schema.name)


def webhook(c: Checker, action: ast.Webhook, scope: Scope) -> None:
    x = c.exprs
    if action.method not in WEBHOOK_METHODS:
        c.error(
            "E306",
            f"`{action.method}` is not an HTTP method a webhook can use",
            action.method_span.or_else(action.span),
            suggestion_label(action.method, WEBHOOK_METHODS),
            notes=("use one of " + ", ".join(WEBHOOK_METHODS),),
        )
    x.expect_value(action.url, scope, T.URL, "the webhook's URL")
    if isinstance(action.url, ast.TextLit) and len(action.url.parts) == 1:
        url = action.url.parts[0]
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            c.error(
                "E306",
                "a webhook URL starts with https:// or http://",
                action.url.span,
                'write the whole address: "https://api.example.com/..."',
            )
    if action.body is not None:
        body = x.value(action.body, scope, "the webhook's body")
        if not isinstance(body, (T.RecordType, T.ListType)) and body != T.ANY:
            c.error("E204", f"a webhook's body is a record or a list, not {body}", action.body.span)
    if action.headers is not None:
        headers = x.value(action.headers, scope, "the headers")
        if isinstance(headers, T.RecordType):
            for name, field_type in headers.fields:
                if not T.is_textual(T.strip_null(field_type)) and field_type != T.ANY:
                    c.error("E204", f"header `{name}` must be text, not {field_type}", action.headers.span)
        elif headers != T.ANY:
            c.error("E204", f"headers are a record of text, not {headers}", action.headers.span)
    for secret, where in ((action.auth_secret, action.auth_span), (action.sign_secret, action.sign_span)):
        if secret is not None and secret not in c.secrets:
            c.error(
                "E214",
                f"unknown secret `{secret}`",
                where.or_else(action.span),
                suggestion_label(secret, c.secrets),
                notes=(f"declare it: `secret {secret}`",),
            )
    if action.timeout is not None:
        x.expect_value(action.timeout, scope, T.DURATION, "the timeout")
    if action.alias is None:
        return
    if scope.workflow is None:
        c.error(
            "E305",
            "a webhook's answer (`as`) can be used only in a workflow step",
            action.span,
            "in a rule, a webhook is sent after the event commits; drop `as ...`",
        )
        return
    assert action.response_type is not None  # the printer and parser give `as` both parts
    answer = c.resolve_type(action.response_type)
    if not isinstance(answer, T.RecordType) and answer != T.ANY:
        c.error(
            "E204",
            f"a webhook's answer is a JSON object: declare it as a record, not {answer}",
            action.response_type.span,
            "for example `as info: {company: text?}`",
        )
    c.types[id(action)] = answer
    scope.locals[action.alias] = answer
