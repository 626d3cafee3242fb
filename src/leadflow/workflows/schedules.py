"""Timed triggers: `every ... at`, `at DATETIME`, and date-property triggers.

A timed trigger fires at moments computed from the calendar, for every
record of its object type that matches: its `where` for schedules and
fixed dates, the date property for `yearly on birthday` and
`3 days before renewal_date` (checked each day at the given time).

The store remembers when each trigger last fired (`schedules` table), and
one firing (every matching record, then the new `last fired`) commits as
one batch: a crash repeats a whole firing or none of it. A trigger seen for
the first time starts from the engine's clock, so a new script does not
fire for moments before it existed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import attrs

from leadflow.errors import LeadflowError
from leadflow.syntax import ast
from leadflow.values import Duration
from leadflow.workflows import calendar

UTC = dt.timezone.utc


@attrs.define
class TimedTrigger:
    key: str  # names the trigger in the store: `rule 3`, `workflow cleanup enroll 1`
    trigger: object  # ScheduleTrigger, FixedDateTrigger or DateTrigger
    subject: str
    zone: ZoneInfo
    where: Callable | None
    fire: Callable  # (tx, record_id) -> None
    last: dt.datetime | None = None
    # a date trigger's offset as a Duration, made once rather than for every record of every firing
    offset: Duration | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self):
        t = self.trigger
        if isinstance(t, ast.DateTrigger) and t.offset is not None:
            self.offset = Duration.of(t.offset.amount, t.offset.unit)

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        t = self.trigger
        if isinstance(t, ast.ScheduleTrigger):
            return calendar.next_occurrence(t.every, t.day, t.at, after, self.zone)
        if isinstance(t, ast.FixedDateTrigger):
            moment = t.at if t.at.tzinfo else t.at.replace(tzinfo=self.zone)
            return moment.astimezone(UTC) if moment > after else None
        return calendar.next_occurrence("day", None, t.at, after, self.zone)

    def matches(self, props: dict, ctx, moment: dt.datetime) -> bool:
        t = self.trigger
        if isinstance(t, ast.DateTrigger):
            day = moment.astimezone(self.zone).date()
            if not calendar.date_matches(props.get(t.prop), day, self.offset, t.before, self.zone):
                return False
        return self.where is None or bool(self.where(props, None, {}, ctx))


class Scheduler:
    def __init__(self, engine, triggers: list[TimedTrigger]):
        self.engine = engine
        self.triggers = triggers

    def next_time(self) -> dt.datetime | None:
        times = [t for t in (self._next(trigger) for trigger in self.triggers) if t is not None]
        return min(times, default=None)

    def next_of(self, trigger: TimedTrigger) -> dt.datetime | None:
        """When `trigger` fires next (explain shows it)."""
        return self._next(trigger)

    def _next(self, trigger: TimedTrigger) -> dt.datetime | None:
        if trigger.last is None:
            store = self.engine.store
            trigger.last = store.schedule_fired(trigger.key)
            if trigger.last is None:
                trigger.last = self.engine.clock.now()
                with store.transaction():
                    store.set_schedule_fired(trigger.key, trigger.last)
        return trigger.next_after(trigger.last)

    def fire(self, moment: dt.datetime) -> None:
        """Fire every trigger due at `moment`, one batch each."""
        engine = self.engine
        for trigger in self.triggers:
            if self._next(trigger) != moment:
                continue
            if engine.is_simulated:
                engine.clock.advance_to(moment)
            engine.ctx.start(trigger.key)
            with engine.store.batch():
                for record in list(engine.store.records(trigger.subject)):
                    try:
                        if trigger.matches(engine.state_of(record), engine.ctx, moment):
                            with engine.unit(moment, f"{trigger.key}@{moment.isoformat()}") as tx:
                                trigger.fire(tx, record.id)
                    except LeadflowError as error:  # one record's failure is its own: the others fire
                        error.where = error.where or trigger.key
                        engine.failures.append(error)
                engine.store.set_schedule_fired(trigger.key, moment)
            trigger.last = moment
