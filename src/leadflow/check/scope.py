"""What names mean at one point of a script.

A scope knows the record being acted on (its object type), the triggering
event if any, and local bindings (`let`, `create ... as`, function
parameters). Blocks copy their parent's scope, so bindings never leak out.
"""

from __future__ import annotations

import attrs

from leadflow.check.program import EventSchema
from leadflow.check.types import Type


@attrs.define
class Scope:
    subject: str | None  # object type of the current record; None in `fn` and `const`
    event: EventSchema | None = None
    locals: dict[str, Type] = attrs.field(factory=dict)
    where: str = ""  # "rule \"Name\"", "fn commission"... for messages
    in_function: bool = False
    workflow: str | None = None  # the workflow whose steps are checked, if any

    def child(self) -> Scope:
        return attrs.evolve(self, locals=dict(self.locals))
