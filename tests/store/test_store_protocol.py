"""SqliteStore implements every method of the Store protocol, with the same signature."""

from __future__ import annotations

import inspect

from leadflow.store import SqliteStore, Store


def protocol_methods() -> list[str]:
    members = vars(Store).items()
    return [name for name, member in members if inspect.isfunction(member) and not name.startswith("_")]


def test_sqlite_store_matches_protocol():
    assert {"transaction", "find_by", "replay", "close"} <= set(protocol_methods())  # introspection works
    for name in protocol_methods():
        expected = inspect.signature(getattr(Store, name))
        actual = inspect.signature(getattr(SqliteStore, name))
        assert list(actual.parameters) == list(expected.parameters), name
        assert [p.default for p in actual.parameters.values()] == [p.default for p in expected.parameters.values()], (
            name
        )
