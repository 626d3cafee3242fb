"""A call context for builtin tests: a fixed clock, a chosen zone, a seeded generator."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import attrs

UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
# 2026-03-10 is a Tuesday; 23:30 UTC is already Wednesday in Paris.
FIXED_NOW = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)


@attrs.define
class FakeContext:
    timezone: ZoneInfo = UTC
    clock: dt.datetime = FIXED_NOW
    random: random.Random = attrs.field(factory=lambda: random.Random(42))

    def now(self) -> dt.datetime:
        return self.clock.astimezone(self.timezone)

    def today(self) -> dt.date:
        return self.now().date()


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)
