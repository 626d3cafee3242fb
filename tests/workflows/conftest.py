from __future__ import annotations

import pytest

from workflow_support import make_engine


@pytest.fixture
def engine_factory():
    """For `engine_for` (tests/conftest.py): the script after workflow_support.CONTACT, with a fixed seed."""
    return make_engine
