from __future__ import annotations

import datetime as dt

import pytest

from leadflow.clock import SimulatedClock
from leadflow.repl import open_session

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def session():
    """The REPL's playground: the lifecycle example and its contacts, in memory, at START."""
    session = open_session([], None, clock=SimulatedClock(START))
    yield session
    session.store.close()


@pytest.fixture
def ada(session):
    session.run(":contact ada@example.com")
    return session
