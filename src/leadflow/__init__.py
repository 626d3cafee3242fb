"""Leadflow: programmable CRM automation as a small, statically typed language.

The embedding API:

    from leadflow import Engine, SimulatedClock
    engine = Engine.from_files(["rules.flow"], store="crm.db", clock=SimulatedClock())
    engine.emit("form_submitted", contact="ada@example.com", data={"form": "demo"})
    engine.deliver()

`check(text)` type-checks a script without running it; `load` parses and
checks several files as one program.

The engine (and with it the store, the compiler and the effects) is imported
on first use, so `leadflow check`, `leadflow fmt` and a host that only checks
scripts start without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The subpackage is imported before `def check` below: imported later (as the checker's
# modules are), it would set this package's attribute `check` to itself, hiding the function.
import leadflow.check  # noqa: F401
from leadflow.clock import SimulatedClock, SystemClock
from leadflow.errors import (
    BudgetExceeded,
    HostError,
    InputError,
    LeadflowError,
    LeadflowRuntimeError,
    LimitExceeded,
    ScriptError,
)

if TYPE_CHECKING:
    from leadflow.check.program import CheckedProgram
    from leadflow.interpreter.engine import EmitResult, Engine, RecordView

__all__ = [
    "BudgetExceeded",
    "EmitResult",
    "Engine",
    "HostError",
    "InputError",
    "LeadflowError",
    "LeadflowRuntimeError",
    "LimitExceeded",
    "RecordView",
    "ScriptError",
    "SimulatedClock",
    "SystemClock",
    "check",
    "load",
]
_FROM_ENGINE = ("EmitResult", "Engine", "RecordView")


def __getattr__(name: str):
    if name in _FROM_ENGINE:
        from leadflow.interpreter import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'leadflow' has no attribute {name!r}")


def load(sources: dict[str, str]) -> CheckedProgram:
    """Parse and check {filename: text} as one program; raises ScriptError."""
    from leadflow.check.load import load_program

    return load_program(sources)


def check(text: str, filename: str = "<script>") -> CheckedProgram:
    """Parse and check one script; returns the checked program or raises ScriptError."""
    from leadflow.check.load import load_program

    return load_program({filename: text})
