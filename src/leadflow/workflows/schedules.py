"""Timed triggers: `every ... at`, `at DATETIME`, and date-property triggers.

A timed trigger fires at moments computed from the calendar, for every
record of its object type that matches: its `where` for schedules and
fixed dates, the date property for `yearly on birthday` and
`3 days before renewal_date` (checked each day at the given time).

The store remembers when each trigger last fired (`schedules` table), and
one firing (every matching record, then the new `last fired`) commits as
one batch: a crash repeats a whole firing or none of it. A trigger seen for
the first time starts from the engine's clock, so a new script does not
fire for moments before it existed; a database clock with no time yet
(clock.py) starts it when the database gets one.

Catching up: when the clock moves, a trigger fires for every occurrence it
passed, each at its own time, up to CATCH_UP_LIMIT occurrences. Over that
(a clock driven decades on, an engine stopped for years) it fires once, at
the latest occurrence, and notes what it skipped (`Scheduler.skipped`):
occurrences are counted lazily and the latest is found by looking back
from the target, so the cost is that of the firings, not of the span.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import attrs

from leadflow.clock import has_time
from leadflow.errors import LeadflowError, LeadflowRuntimeError
from leadflow.syntax import ast
from leadflow.values import Duration
from leadflow.workflows import calendar

UTC = dt.UTC
# The most occurrences of one trigger one move of the clock fires: 27 years of a daily schedule.
CATCH_UP_LIMIT = 10_000


@attrs.define
class TimedTrigger:
    key: str  # names the trigger in the store: `rule 3`, `workflow cleanup enroll 1`
    trigger: ast.ScheduleTrigger | ast.FixedDateTrigger | ast.DateTrigger
    subject: str
    zone: ZoneInfo
    where: Callable | None
    fire: Callable  # (tx, record_id) -> None
    last: dt.datetime | None = None
    title: str = ""  # how messages name it: a rule's name; the key if empty
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

    def latest_by(self, by: dt.datetime) -> dt.datetime | None:
        """The trigger's last moment at or before `by`."""
        t = self.trigger
        if isinstance(t, ast.ScheduleTrigger):
            return calendar.previous_occurrence(t.every, t.day, t.at, by, self.zone)
        if isinstance(t, ast.FixedDateTrigger):
            moment = t.at if t.at.tzinfo else t.at.replace(tzinfo=self.zone)
            return moment.astimezone(UTC) if moment <= by else None
        return calendar.previous_occurrence("day", None, t.at, by, self.zone)

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
        self.skipped: list[str] = []  # catch-ups cut to their latest occurrence, said in words
        self._never_fired: set[str] = set()  # keys the store has no firing for: read once, not per event
        if triggers and not has_time(engine.clock):
            engine.clock.when_first_time(engine.wake)  # new triggers start then: look again

    def next_time(self) -> dt.datetime | None:
        times = [t for t in (self._next(trigger) for trigger in self.triggers) if t is not None]
        return min(times, default=None)

    def next_of(self, trigger: TimedTrigger) -> dt.datetime | None:
        """When `trigger` fires next (explain shows it)."""
        return self._next(trigger)

    def _next(self, trigger: TimedTrigger) -> dt.datetime | None:
        if trigger.last is None:
            store = self.engine.store
            if trigger.key not in self._never_fired:
                trigger.last = store.schedule_fired(trigger.key)
            if trigger.last is None:
                if not has_time(self.engine.clock):
                    self._never_fired.add(trigger.key)
                    return None  # starts when the database gets a time (see __init__)
                trigger.last = self.engine.clock.now()
                with store.transaction():
                    store.set_schedule_fired(trigger.key, trigger.last)
        return trigger.next_after(trigger.last)

    def catch_up(self, until: dt.datetime) -> None:
        """Cut to its latest occurrence the catch-up of every trigger that owes more than
        CATCH_UP_LIMIT occurrences by `until` (see the module notes)."""
        for trigger in self.triggers:
            first = moment = self._next(trigger)
            due = 0
            while moment is not None and moment <= until and due <= CATCH_UP_LIMIT:
                due += 1
                moment = trigger.next_after(moment)
            latest = trigger.latest_by(until) if due > CATCH_UP_LIMIT else None
            if first is None or latest is None:
                continue
            from leadflow.syntax.printer import format_trigger

            self.skipped.append(
                f"{trigger.title or trigger.key} (`{format_trigger(trigger.trigger)}`) owed more than "
                f"{CATCH_UP_LIMIT} occurrences, from {first.isoformat()} to {latest.isoformat()}; "
                f"it fired once, at the last"
            )
            trigger.last = latest - dt.timedelta(microseconds=1)  # so that `latest` comes next

    def fire(self, moment: dt.datetime) -> None:
        """Fire every trigger due at `moment`, one batch each."""
        engine = self.engine
        for trigger in self.triggers:
            if self._next(trigger) != moment:
                continue
            if engine.is_simulated:
                engine.clock.reach(moment)
            engine.ctx.start(trigger.key)
            with engine.store.batch():
                for record in list(engine.store.records(trigger.subject)):
                    try:
                        if trigger.matches(engine.state_of(record), engine.ctx, moment):
                            with engine.unit(moment, f"{trigger.key}@{moment.isoformat()}") as tx:
                                trigger.fire(tx, record.id)
                    except LeadflowError as error:  # one record's failure is its own: the others fire
                        if isinstance(error, LeadflowRuntimeError):  # (an InputError has no `where`)
                            error.where = error.where or trigger.key
                        engine.failures.append(error)
                engine.store.set_schedule_fired(trigger.key, moment)
            trigger.last = moment
