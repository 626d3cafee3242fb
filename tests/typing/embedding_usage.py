"""The embedding API used as docs/embedding.md shows, for mypy (`make lint`).

Not a test module: tests/docs/test_public_api.py runs it once, so the calls
below are known to work as well as to type-check.
"""
from __future__ import annotations

import datetime as dt

import leadflow
from leadflow import EmitResult, Engine, LeadflowError, SimulatedClock


def main() -> None:
    clock = SimulatedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    print(clock)


if __name__ == "__main__":
    main()
