from __future__ import annotations

import pytest

from engine_support import make_engine


@pytest.fixture
def engine_factory():
    """For `engine_for` (tests/conftest.py): the script as given, on a fresh in-memory store."""
    return make_engine
