"""Leadflow: programmable CRM automation as a small, statically typed language.

The embedding API:

    from leadflow import Engine, SimulatedClock
    engine = Engine.from_files(["rules.flow"], store="crm.db", clock=SimulatedClock())
    engine.emit("form_submitted", contact="ada@example.com", data={"form": "demo"})
    engine.deliver()

`check(text)` type-checks a script without running it; `load` parses and
checks several files as one program.
"""
from __future__ import annotations

from leadflow.clock import SimulatedClock, SystemClock
from leadflow.errors import (
    BudgetExceeded, HostError, InputError, LeadflowError, LeadflowRuntimeError, ScriptError,
)
from leadflow.interpreter.engine import EmitResult, Engine, RecordView, load_program

__all__ = [
    "BudgetExceeded", "EmitResult", "Engine", "HostError", "InputError", "LeadflowError",
    "LeadflowRuntimeError", "RecordView", "ScriptError", "SimulatedClock", "SystemClock",
    "check", "load",
]


def load(sources: dict[str, str]):
    """Parse and check {filename: text} as one program; raises ScriptError."""
    return load_program(sources)


def check(text: str, filename: str = "<script>"):
    """Parse and check one script; returns the checked program or raises ScriptError."""
    return load_program({filename: text})
