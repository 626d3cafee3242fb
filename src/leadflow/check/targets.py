"""Which record a rule's write (`set`, `clear`, `increment`) changes, read
back from a checked program, for the passes after checking (the lints,
hover) that need it without a scope at hand.

`set p` writes the rule's own record; `set x.p` writes the record `x` names,
looked up in the order the checker uses: a record bound in the rule
(`create deal {...} as d`, `let d = ...`), an association of the rule's
record (`set contact.lifecycle` in a deal rule), or the record itself
(`set contact.p` in a contact rule).
"""

from __future__ import annotations

from leadflow.check import types as T
from leadflow.check.program import CheckedProgram, RuleInfo
from leadflow.syntax import ast
from leadflow.syntax.walk import walk


def written_object(checked: CheckedProgram, info: RuleInfo, target: tuple[str, ...]) -> tuple[str, bool] | None:
    """(object type written, whether it is the rule's own record), or None if unknown."""
    if len(target) == 1:
        return info.subject, True
    owner = target[0]
    for node in walk(info.rule):
        if isinstance(node, ast.CreateRecord) and node.alias == owner:
            return node.object_type, False
        if isinstance(node, ast.LetAction) and node.name == owner:
            bound = T.strip_null(checked.types.get(id(node.value), T.ANY))
            return (bound.name, False) if isinstance(bound, T.ObjectType) else None
    schema = checked.objects.get(info.subject)
    association = schema.properties.get(owner) if schema is not None else None
    associated = T.strip_null(association.type) if association is not None else None
    if isinstance(associated, T.ObjectType):
        return associated.name, False
    return (info.subject, True) if owner == info.subject else None
