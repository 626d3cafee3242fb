from __future__ import annotations

import pytest
from repl_support import START

from leadflow.clock import SimulatedClock
from leadflow.repl import open_session


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
