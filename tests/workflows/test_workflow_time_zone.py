"""A workflow's steps run in the workflow's time zone (its window's `timezone`),
as its waits and timed triggers do: the date builtins, and datetime literals
written without an offset (design section 2)."""

from __future__ import annotations

import datetime as dt

from leadflow import Engine, SimulatedClock

UTC = dt.UTC
START = dt.datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Saturday 09:00 in Auckland (UTC+13)

SCRIPT = """
object contact { day: text, hour: number, ok: bool = false }
event go
workflow w {
  enroll when go
  window daily 06:00-22:00 timezone "Pacific/Auckland"
  goal ok
  set day = format_date(now(), "%Y-%m-%d")
  set hour = hour(now())
  wait until 2026-12-10T09:00
  set ok = today() == 2026-12-10
}
"""


def engine() -> Engine:
    return Engine.from_source(SCRIPT, "tz.flow", clock=SimulatedClock(START), timezone="UTC")


def test_date_builtins_in_steps_use_the_workflow_time_zone():
    e = engine()
    e.emit("go", "ada@example.com")
    props = e.record("ada@example.com").properties
    assert (props["day"], props["hour"]) == ("2026-11-28", 9)


def test_a_datetime_literal_without_offset_is_in_the_workflow_time_zone():
    e = engine()
    e.emit("go", "ada@example.com")
    (run,) = e.store.runs()
    assert run.due == dt.datetime(2026, 12, 9, 20, 0, tzinfo=UTC)  # 09:00 in Auckland
    e.advance(dt.datetime(2026, 12, 31, tzinfo=UTC))
    assert e.record("ada@example.com").properties["ok"] is True


def test_rules_keep_the_engine_time_zone():
    e = Engine.from_source(
        SCRIPT
        + """
rule "stamp" when go then set day = format_date(now(), "%Y-%m-%d")
""",
        "tz.flow",
        clock=SimulatedClock(START),
        timezone="UTC",
    )
    e.emit("go", "bob@example.com")
    history = [h for h in e.record("bob@example.com").history if h.field == "day"]
    assert [(h.new, h.cause) for h in history] == [("2026-11-27", 'rule "stamp"'), ("2026-11-28", "workflow w")]
