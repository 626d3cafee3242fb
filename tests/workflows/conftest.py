from __future__ import annotations

import pytest

from workflow_support import make_engine


@pytest.fixture
def engine_for():
    """engine_for(script, **options) -> Engine on an in-memory store and a simulated clock."""
    engines = []

    def build(source: str, **options):
        engine = make_engine(source, **options)
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.store.close()
