"""SqliteStore.batch(): committed all at once, safe to re-run after a crash,
and sure of which event keys it has already seen (store/batch.py, overlay.py).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from leadflow.store import SqliteStore
from leadflow.store import batch as batch_module
from leadflow.store import overlay as overlay_module

from store_support import Boom, at


# -- the batch commits all at once ----------------------------------------------


def test_nothing_is_visible_to_others_before_the_batch_commits(tmp_path):
    path = tmp_path / "commit.db"
    with SqliteStore(path) as store:
        ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
        other = sqlite3.connect(path)
        with store.batch():
            with store.transaction():
                store.update_record(ann.id, {"score": 1}, at(1), "rule")
                store.log_event("e1", "visit", ann.id, at(1))
            with store.transaction():
                store.enqueue_effect("email", {}, "fx", at(2))  # flushes into the open transaction
            assert other.execute("SELECT count(*) FROM events").fetchone()[0] == 0
        assert other.execute("SELECT count(*) FROM events").fetchone()[0] == 1
        other.close()


def test_a_large_batch_forgets_its_overlay_between_units(store, monkeypatch):
    monkeypatch.setattr(batch_module, "OVERLAY_LIMIT", 5)
    ids = [store.create_record("contact", {"email": f"c{i}@x.io"}, at(0), "import").id for i in range(20)]
    with store.batch():
        for i, record_id in enumerate(ids):
            with store.transaction():
                record = store.find_by("contact", "email", f"c{i}@x.io")
                store.update_record(record.id, {"email": f"new{i}@x.io"}, at(1), "rule")
                store.log_event(f"e{i}", "visit", record_id, at(1))
            assert len(store._batch.overlay) <= 5
        assert store.find_by("contact", "email", "new0@x.io").id == ids[0]
        assert store.find_by("contact", "email", "c0@x.io") is None
        assert not store.log_event("e0", "visit", ids[0], at(2))
    assert [store.get_record(i).props["email"] for i in ids] == [f"new{i}@x.io" for i in range(20)]


CRASHING_RUN = """
import datetime as dt, os, sys
from leadflow.store import SqliteStore

path, crash_after = sys.argv[1], int(sys.argv[2])
at = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
store = SqliteStore(path)
for start in range(0, 30, 10):
    with store.batch():
        for n in range(start, start + 10):
            with store.transaction():
                if not store.log_event(f"e{n}", "visit", 1, at):
                    continue
                record = store.get_record(1)
                store.update_record(1, {"count": record.props["count"] + 1}, at, f"event {n}")
                if n % 4 == 0:
                    store.add_to_list(1, f"list{n}", at, f"event {n}")
                    store.enqueue_effect("email", {"n": n}, f"fx{n}", at)  # a flush in mid-batch
            if n == crash_after:
                os._exit(3)  # no commit, no cleanup: as if the power went out
"""


def test_rerunning_after_a_crash_applies_exactly_the_lost_events(tmp_path):
    path = tmp_path / "crash.db"
    with SqliteStore(path) as store:
        store.create_record("contact", {"count": 0}, at(0), "import")
    script = textwrap.dedent(CRASHING_RUN)
    crashed = subprocess.run([sys.executable, "-c", script, str(path), "15"])
    assert crashed.returncode == 3
    with SqliteStore(path) as store:
        assert store.get_record(1).props == {"count": 10}  # the first batch only
        assert len(store.events()) == 10
    subprocess.run([sys.executable, "-c", script, str(path), "-1"], check=True)
    with SqliteStore(path) as store:
        assert store.get_record(1).props == {"count": 30}
        assert [e.key for e in store.events()] == [f"e{n}" for n in range(30)]
        assert [h.cause for h in store.history(1) if h.kind == "set"] == [f"event {n}" for n in range(30)]
        assert store.lists_of(1) == {f"list{n}" for n in range(0, 30, 4)}
        assert [e.key for e in store.effects()] == [f"fx{n}" for n in range(0, 30, 4)]


# -- the event keys a connection knows ------------------------------------------


def test_known_keys_follow_other_connections_and_writes_outside_batches(tmp_path):
    path = tmp_path / "keys.db"
    with SqliteStore(path) as store, SqliteStore(path) as other:
        with store.batch():
            assert store.log_event("e1", "visit", None, at(1))
        assert store._known_keys.keys == {"e1"}  # added on commit, not read again
        with other.batch():
            assert not other.log_event("e1", "visit", None, at(2))
            assert other.log_event("e2", "visit", None, at(2))
        with store.batch():  # another connection committed: read the keys again
            assert store.has_event("e2") and not store.log_event("e2", "visit", None, at(3))
        assert store.log_event("e3", "visit", None, at(3))  # outside a batch
        with store.batch():
            assert store.has_event("e3") and not store.log_event("e3", "visit", None, at(4))
        with store.transaction():  # a batch inside a transaction is that transaction
            with store.batch():
                assert store.log_event("e4", "visit", None, at(5))
            assert store.has_event("e4")
        with pytest.raises(Boom):
            with store.transaction():
                assert store.log_event("e5", "visit", None, at(5))
                raise Boom
        assert store.log_event(6, "visit", None, at(5))  # stored as the text "6"
        with store.batch():
            assert not store.log_event("e4", "visit", None, at(6))
            assert not store.has_event("e5") and store.has_event("6")
            assert store.log_event("e5", "visit", None, at(6)) and not store.log_event("6", "visit", None, at(6))
        assert store._known_keys.keys == {f"e{n}" for n in range(1, 6)} | {"6"}


def test_a_batch_that_fails_to_commit_leaves_its_keys_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_module, "OVERLAY_LIMIT", 1)  # the keys are flushed, and known, mid-batch
    with SqliteStore(tmp_path / "fail.db") as store:
        store.create_record("contact", {}, at(0), "import")

        def broken_commit():
            store._conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("disk I/O error")

        with pytest.raises(sqlite3.OperationalError):
            with store.batch():
                store._commit = broken_commit
                for key in ["e1", "e2"]:
                    with store.transaction():
                        store.log_event(key, "visit", 1, at(1))
                        store.get_record(1)
        del store._commit
        assert store.events() == []
        with store.batch():
            assert not store.has_event("e1") and store.log_event("e1", "visit", None, at(2))
        assert [e.at for e in store.events()] == [at(2)]


def test_a_long_event_log_is_looked_up_key_by_key(store, monkeypatch):
    monkeypatch.setattr(overlay_module, "KEY_CACHE_LIMIT", 3)
    monkeypatch.setattr(batch_module, "OVERLAY_LIMIT", 1)
    store.create_record("contact", {}, at(0), "import")
    for n in range(3):
        with store.batch():
            for i in range(2):
                with store.transaction():
                    assert store.log_event(f"e{n}-{i}", "visit", 1, at(1))
                    store.get_record(1)
                with store.transaction():
                    assert not store.log_event(f"e{n}-{i}", "visit", 1, at(1))
    assert store._known_keys.keys is None
    with store.batch():
        assert all(store.has_event(f"e{n}-{i}") for n in range(3) for i in range(2))
        assert not store.has_event("e9")
    assert len(store.events()) == 6
