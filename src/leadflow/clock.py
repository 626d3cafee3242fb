"""Engine clocks. Production reads the wall clock; tests, demos and the REPL
drive a simulated one, so "5 days later" takes no time at all.

The command line's clock is the database's own (`DatabaseClock`): the
latest time applied to the database (an event's `at`, `--until`,
`--start`), kept in its `meta` table. It only moves forward, and what
carries no time of its own (an import, an event without `at`) happens at
it without moving it, so a file of last year's events replayed today plays
out in last year, schedules and waits included.

Every time a clock is moved to lies in a fixed range (`EARLIEST` to
`LATEST`): calendar arithmetic near Python's year 9999 overflows (a wait,
a schedule's next day), and the range leaves seven centuries of room. A
clock driven far within it still costs little: see workflows/schedules.py
on catching up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from leadflow.errors import InputError

UTC = dt.UTC

# The range of times a clock may be moved to (event times, --until, --start).
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
RANGE_TEXT = "1900-01-01T00:00Z to 2999-12-31T23:59:59Z"


def in_range(moment: dt.datetime, what: str) -> dt.datetime:
    """`moment` (aware), or an InputError saying it is outside the clock's range."""
    if not EARLIEST <= moment <= LATEST:
        raise InputError(f"{what} {moment.isoformat()} is outside the clock's range ({RANGE_TEXT})")
    return moment


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class SimulatedClock:
    """A clock that moves only when told to; it never goes backwards."""

    def __init__(self, start: dt.datetime | None = None):
        start = start or dt.datetime(2026, 1, 1, tzinfo=UTC)
        self._now = start if start.tzinfo else start.replace(tzinfo=UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        return self.advance_to(self.now() + delta)

    def advance_to(self, moment: dt.datetime) -> dt.datetime:
        """Move to `moment`, a time applied from outside (an event's `at`, `engine.advance`)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment > self._now:
            self._now = moment
        return self._now

    def reach(self, moment: dt.datetime) -> None:
        """The engine is doing work that was due at `moment` (a run's step, a schedule):
        show that time while it does. Only `DatabaseClock` tells this from `advance_to`."""
        self.advance_to(moment)


class DatabaseClock(SimulatedClock):
    """The database's own clock: the latest time applied to it, stored in its meta table.

    While the database has no time yet (nothing dated was applied to it),
    `now()` is the wall clock and `position` is None: work done then (an
    import's workflow steps) moves nothing, so importing contacts today and
    replaying last month's events afterwards still plays out last month.
    `save()` writes the position back; the command line calls it as the
    command ends (a command killed midway leaves the previous position,
    and running it again moves the clock again)."""

    KEY = "clock"

    def __init__(self, store):
        self._store = store
        self._position: dt.datetime | None = store.get_meta(self.KEY)
        self._saved = self._position
        self._on_first_time: list[Callable[[dt.datetime], None]] = []

    @property
    def position(self) -> dt.datetime | None:
        return self._position

    def now(self) -> dt.datetime:
        return self._position if self._position is not None else dt.datetime.now(UTC)

    def advance_to(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if self._position is None:
            self._position = moment
            for listener in self._on_first_time:
                listener(moment)
        elif moment > self._position:
            self._position = moment
        return self._position

    def reach(self, moment: dt.datetime) -> None:
        if self._position is not None:  # without a time of its own, work due by the wall clock gives it none
            self.advance_to(moment)

    def when_first_time(self, listener: Callable[[dt.datetime], None]) -> None:
        """Call `listener(position)` when the database gets its first time (the scheduler
        starts new schedules there)."""
        self._on_first_time.append(listener)

    def save(self) -> None:
        """Store the position, unless another command moved the database's clock further."""
        position = self._position
        if position is None or position == self._saved:
            return
        with self._store.transaction():
            stored = self._store.get_meta(self.KEY)
            if stored is None or position > stored:
                self._store.set_meta(self.KEY, position)
        self._saved = position


def has_time(clock) -> bool:
    """Whether `clock` has a time of its own (not a `DatabaseClock` of a database that has
    none yet). A host's own clock object with just `now()` has one."""
    return getattr(clock, "position", True) is not None
