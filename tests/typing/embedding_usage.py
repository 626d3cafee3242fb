"""The embedding API used as docs/embedding.md shows it, for mypy.

`make lint` type-checks this file (it is in mypy's `files`), so a change to a
public signature or result type that would break a typed embedding program
fails there; `assert_type` pins what each call returns. It also runs:
tests/docs/test_public_api.py calls `main()`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Mapping
from typing import Any, assert_type

import leadflow
from leadflow import (
    EmitResult,
    Engine,
    HostError,
    LeadflowError,
    LeadflowRuntimeError,
    RecordView,
    ScriptError,
    SimulatedClock,
)
from leadflow.check.program import CheckedProgram
from leadflow.effects.outbox import DeliveryReport
from leadflow.store.base import Run
from leadflow.syntax.span import Span

SCRIPT = """
object contact {
  lifecycle: enum { subscriber, lead } = subscriber
  score: number = 0
}
event form_submitted { form: text }
extern fn pick_rep(team: text) -> text
rule "Forms count"
when form_submitted
then increment score by 40
"""


def pick_rep(team: str) -> str:
    return "grace" if team == "sales" else "linus"


def wrong_rep(team: int) -> str:
    return str(team)


def main() -> list[str]:
    """Every documented call once; returns what a person would read."""
    seen: list[str] = []
    checked = leadflow.check(SCRIPT, "crm.flow")
    assert_type(checked, CheckedProgram)
    assert_type(leadflow.load({"crm.flow": SCRIPT}), CheckedProgram)

    clock = SimulatedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    assert_type(clock.advance(dt.timedelta(minutes=1)), dt.datetime)
    assert_type(clock.advance_to(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)), dt.datetime)
    assert_type(clock.now(), dt.datetime)

    with Engine.from_source(SCRIPT, "crm.flow", clock=clock, email=tempfile.mkdtemp(prefix="leadflow-mail-")) as engine:
        assert_type(engine, Engine)
        assert_type(engine.unbound_externs(), list[str])
        engine.bind("pick_rep", pick_rep)

        result = engine.emit("form_submitted", contact="ada@example.com", data={"form": "demo"}, key="web-1")
        assert_type(result, EmitResult)
        seen.append(f"fired {result.fired} for record {result.record_id}")

        outcomes = engine.emit_many([{"event": "form_submitted", "contact": "bob@example.com", "data": {}}])
        assert_type(outcomes, list[EmitResult | LeadflowError])
        seen += [str(o) if isinstance(o, LeadflowError) else f"fired {o.fired}" for o in outcomes]

        rows = engine.import_rows([{"email": "carol@example.com", "score": "5"}], source="crm.csv")
        assert_type(rows, list[EmitResult | LeadflowError])

        report = engine.deliver()
        assert_type(report, DeliveryReport)

        view = engine.record("ada@example.com")
        assert_type(view, RecordView)
        assert_type(view.properties, dict[str, Any])
        assert_type(engine.find("ada@example.com"), int | None)
        seen.append(f"{view.type} {view.id}: score {view.properties['score']}")

        is_hot = engine.condition("score >= 40")
        assert_type(is_hot, Callable[[Mapping[str, Any]], bool])
        seen.append(f"hot: {is_hot(view.properties)}")

        assert_type(engine.run_due(), int)
        assert_type(engine.advance(dt.timedelta(days=1)), int)
        assert_type(engine.next_wake(), dt.datetime | None)

        try:
            engine.condition("lifecycle == leed")
        except ScriptError as error:
            seen.append(f"{error.diagnostics[0].code}: {error.message}")
        try:
            engine.bind("pick_rep", wrong_rep)
        except HostError as error:
            seen.append(f"HostError: {error}")
        try:
            engine.retry_run(99)
        except LeadflowError as error:
            assert_type(error.span, Span | None)
            seen.append(f"{type(error).__name__}: {error.message}")
    return seen


def runtime_error_fields(error: LeadflowRuntimeError) -> tuple[str, str | None]:
    return error.message, error.where


def retried(engine: Engine, run_id: int) -> Run:
    return engine.retry_run(run_id)


if __name__ == "__main__":
    print("\n".join(main()))
