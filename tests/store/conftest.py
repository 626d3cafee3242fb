"""Shared by the store tests: a fixed clock and a store on memory and on file."""

from __future__ import annotations

import pytest

from leadflow.store import SqliteStore


@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path):
    path = ":memory:" if request.param == "memory" else tmp_path / "store.db"
    with SqliteStore(path) as opened:
        yield opened
