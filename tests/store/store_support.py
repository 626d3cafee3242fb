"""Helpers the store tests import: a fixed start time and an error to fail units with."""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC
T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


class Boom(Exception):
    pass
