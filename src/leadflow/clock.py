"""Engine clocks. Production reads the wall clock; tests, demos and the REPL
drive a simulated one, so "5 days later" takes no time at all."""
from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


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
        self._now += delta
        return self._now

    def advance_to(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment > self._now:
            self._now = moment
        return self._now
