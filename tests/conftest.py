"""Fixtures shared by the test folders."""

from __future__ import annotations

import pytest


@pytest.fixture
def engine_for(engine_factory):
    """engine_for(script, **options) -> an Engine from the folder's `engine_factory` (its
    conftest.py says which: an in-memory store and a simulated clock), closed after the test."""
    engines = []

    def build(source: str, **options):
        engine = engine_factory(source, **options)
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.close()
