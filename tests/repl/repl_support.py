"""What the REPL tests share (a module with a name of its own, so no other
`conftest` can shadow it): the time the sessions start at."""

from __future__ import annotations

import datetime as dt

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
