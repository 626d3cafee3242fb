"""SqliteStore.batch_series(): batches committed on a writer thread (store/series.py).

While the writer commits one batch the caller runs the next: every SQL the
caller runs meanwhile must see the batches before it, a commit that fails
must take nothing after it along, and another connection committing in the
instant between two batches must not have its write lost. (That a series of
batches gives what the events give one by one, creates and email changes
included: tests/interpreter/test_engine_batches.py.)
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import threading
import weakref

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leadflow import Engine, SimulatedClock
from leadflow.store import SqliteStore
from leadflow.store import batch as batch_module
from leadflow.store import series as series_module
from leadflow.store import sqlite_units
from leadflow.store.codec import decode_json, encode_json

from store_support import at

SCRIPT = """
object contact { email: email  score: number = 0 }
event visit { points: number }
rule "score" when visit then increment score by event.points
"""


def visits(*who_points: tuple[str, int]) -> list[dict]:
    return [
        {"event": "visit", "contact": who, "data": {"points": points}, "id": f"v{i}"}
        for i, (who, points) in enumerate(who_points)
    ]


def engine_on(path) -> Engine:
    return Engine.from_source(SCRIPT, store=str(path), clock=SimulatedClock(at(0)))


def contents(store: SqliteStore) -> list:
    conn = store._conn
    return [conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in ("records", "history", "events")]


def test_sql_during_a_series_sees_the_batches_handed_off(store):
    ann = store.create_record("contact", {"email": "ann@x.io", "score": 1}, at(0), "import")
    committed = []
    with store.batch_series() as series:
        with store.transaction():
            assert store.log_event("e1", "visit", ann.id, at(1), {})
            store.write_changes(ann.id, [("score", 1, 2, "rule")], at(1))
        series.next(lambda: committed.append(1))
        # SQL of the next batch waits for the writer: the rows are there.
        assert [h.new for h in store.history(ann.id)][-1] == 2
        assert [e.key for e in store.events()] == ["e1"]
        assert committed == []  # reported by the next `next`, not in the middle of a batch
        with store.transaction():
            store.write_changes(ann.id, [("score", 2, 3, "rule")], at(2))
        series.next(lambda: committed.append(2))
        assert committed == [1]
    assert committed == [1, 2]
    assert store.get_record(ann.id).props["score"] == 3
    assert not store._conn.in_transaction and store._batch is None


def test_a_series_restores_the_connection_the_switch_interval_and_the_collector(store):
    before = sys.getswitchinterval()
    conn = store._conn
    with store.batch_series() as series:
        assert sys.getswitchinterval() <= series_module.SWITCH_INTERVAL
        assert not gc.isenabled()  # automatic collection waits; `next` collects the young
        series.next(lambda: None)
    assert store._conn is conn and sys.getswitchinterval() == before and gc.isenabled()


def test_a_series_leaves_a_disabled_collector_disabled(store):
    gc.disable()
    try:
        with store.batch_series() as series:
            series.next(lambda: None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cyclic_garbage_made_during_a_series_is_freed_batch_by_batch(store):
    class Node:
        pass

    freed = []
    with store.batch_series() as series:
        for _ in range(3):
            node = Node()
            node.self = node  # a cycle: only the collector frees it
            weakref.finalize(node, freed.append, 1)
            del node
            series.next(lambda: None)
    assert freed == [1, 1, 1]


def test_a_series_inside_a_batch_leaves_the_commit_to_it(store):
    reported = []
    with store.batch():
        with store.batch_series() as series:
            series.next(lambda: reported.append("done"))
        assert store._conn.in_transaction  # still the outer batch's
    assert reported == ["done"]


def test_without_a_writer_thread_the_series_gives_the_same(tmp_path, monkeypatch):
    lines = visits(*[(f"c{i % 7}@x.io", i) for i in range(40)])
    with engine_on(tmp_path / "writer.db") as engine:
        on_thread = [r.record_id for r in engine.emit_many(lines, batch_size=6)]
        expected = contents(engine.store)
    monkeypatch.setattr(sqlite_units, "CAN_HAND_OFF", False)  # SQLite before 3.38 has no ->>
    with engine_on(tmp_path / "serial.db") as engine:
        assert [r.record_id for r in engine.emit_many(lines, batch_size=6)] == on_thread
        assert contents(engine.store) == expected


def test_a_write_by_another_connection_between_two_batches_is_not_lost(tmp_path, monkeypatch):
    """The writer commits batch 1; another process commits in the instant before the
    writer begins the next transaction; batch 2 had already read ann from memory."""
    path = tmp_path / "crm.db"
    engine = engine_on(path)
    engine.emit_many(visits(("ann@x.io", 1)), batch_size=1)  # ann exists, score 1
    write_between = [True]
    begin_next = series_module.BatchSeries._begin_next

    def others_write_first(series):
        if write_between and series.hand_off:
            write_between.clear()
            with sqlite3.connect(path) as other:
                other.execute("UPDATE records SET props = json_set(props, '$.score', 100) WHERE id = 1")
        begin_next(series)

    monkeypatch.setattr(series_module.BatchSeries, "_begin_next", others_write_first)
    reported = []
    lines = [{**line, "id": f"w{i}"} for i, line in enumerate(visits(("ann@x.io", 1), ("ann@x.io", 1)))]
    results = engine.emit_many(lines, batch_size=1, on_result=lambda i, r: reported.append(i))
    assert not write_between  # the other write did happen between the batches
    assert engine.store.get_record(1).props["score"] == 101  # 1 + 1, then 100, then + 1
    assert [r.duplicate for r in results] == [False, False] and reported == [0, 1]
    engine.close()


def test_a_batch_whose_commit_fails_takes_nothing_after_it_along(tmp_path):
    path = tmp_path / "crm.db"
    lines = visits(*[(f"c{i % 5}@x.io", 1) for i in range(12)])
    with engine_on(tmp_path / "clean.db") as clean:
        clean.emit_many(lines, batch_size=4)
        expected = contents(clean.store)
    engine = engine_on(path)
    engine.emit_many(lines[:1], batch_size=4)  # the contacts' table exists, with c0
    # The writer's INSERT of the second batch's event rows fails inside SQLite, as a full disk would.
    engine.store._conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.key = 'v6'"
        " BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
    )
    reported = []
    with pytest.raises(sqlite3.Error, match="the disk is full"):
        engine.emit_many(lines, batch_size=4, on_result=lambda i, r: reported.append(r.duplicate))
    assert reported == [True, False, False, False]  # the first batch only: committed and reported
    keys = [e.key for e in engine.store.events()]
    assert keys == ["v0", "v1", "v2", "v3"]  # nothing of the second batch, nor of the third
    engine.store._conn.execute("DROP TRIGGER boom")
    engine.emit_many(lines, batch_size=4)  # the re-run applies the rest, once
    assert contents(engine.store) == expected
    engine.close()


def test_a_series_that_cannot_start_leaves_the_store_as_it_was(store, monkeypatch):
    conn, before = store._conn, sys.getswitchinterval()

    def unreadable(_store):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(series_module, "Batch", unreadable)
    with pytest.raises(sqlite3.OperationalError):
        with store.batch_series():
            pass
    assert store._conn is conn and store._batch is None and store._depth == 0
    assert not conn.in_transaction and sys.getswitchinterval() == before and gc.isenabled()


def test_a_failing_report_at_the_end_still_ends_the_series(tmp_path):
    engine = engine_on(tmp_path / "fail.db")
    before = sys.getswitchinterval()

    def on_result(index, result):
        if index == 3:  # the last batch's results are reported as the series ends
            raise RuntimeError("the caller's bug")

    with pytest.raises(RuntimeError, match="the caller's bug"):
        engine.emit_many(
            visits(("ann@x.io", 1), ("ann@x.io", 2), ("bob@x.io", 5), ("bob@x.io", 7)),
            batch_size=2,
            on_result=on_result,
        )
    store = engine.store
    assert not store._conn.in_transaction and store._batch is None and store._depth == 0
    assert sys.getswitchinterval() == before and gc.isenabled()
    assert [r.props["score"] for r in store.records("contact")] == [3, 12]  # both batches committed
    engine.close()


# -- reading ahead: the contacts of the batch after the next ----------------------


def reads_by_thread(monkeypatch) -> list[str]:
    """The thread of every read of emails, by the writer (series) or the caller (batch)."""
    threads = []

    def spied(read):
        def read_emails(conn, type, emails):
            threads.append(threading.current_thread().name)
            return read(conn, type, emails)

        return read_emails

    monkeypatch.setattr(series_module, "read_emails", spied(series_module.read_emails))
    monkeypatch.setattr(batch_module, "read_emails", spied(batch_module.read_emails))
    return threads


def test_the_writer_reads_the_contacts_of_the_batch_after_the_next(store, monkeypatch):
    ann = store.create_record("contact", {"email": "ann@x.io", "score": 1}, at(0), "import")
    threads = reads_by_thread(monkeypatch)
    with store.batch_series() as series:
        series.next(lambda: None, ("contact", "email", ["ann@x.io", "bob@x.io", 7]))
        overlay = store._batch.overlay
        assert ann.id not in overlay.records  # read on the writer thread, kept for the batch after this one
        series.next(lambda: None)
        assert threads == ["leadflow-writer"]
        assert overlay.in_sql == {("contact", "ann@x.io"): ann.id, ("contact", "bob@x.io"): None}
        with store.transaction():
            assert store.find_by("contact", "email", "ann@x.io") == store.get_record(ann.id)
    assert threads == ["leadflow-writer"]


def test_contacts_read_ahead_are_read_again_if_the_overlay_forgot_since(store, monkeypatch):
    ann = store.create_record("contact", {"email": "ann@x.io", "score": 1}, at(0), "import")
    threads = reads_by_thread(monkeypatch)
    with store.batch_series() as series:
        series.next(lambda: None, ("contact", "email", ["ann@x.io"]))  # the writer reads ann: score 1
        with store.transaction():
            store.write_changes(ann.id, [("score", 1, 2, "rule")], at(1))
        store._batch._room(incoming=batch_module.OVERLAY_LIMIT)  # as when full: written, then forgotten
        series.next(lambda: None)  # what the writer read is older than SQL now
        assert threads == ["leadflow-writer", "MainThread"]
        with store.transaction():
            assert store.find_by("contact", "email", "ann@x.io").props["score"] == 2
    assert store.get_record(ann.id).props["score"] == 2


stored_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(props=st.dictionaries(st.text(max_size=8), stored_json, max_size=4))
@settings(max_examples=150, deadline=None)
def test_props_read_through_sqlite_json_are_the_props_stored(props):
    """read_emails passes props through SQLite's json(): the values, and their types, must not change."""
    text = encode_json({**props, "email": "ann@x.io"})
    assume(text.encode(errors="ignore").decode() == text)  # a lone surrogate is never stored (codec.storable)
    with SqliteStore(":memory:") as store:
        store._conn.execute(
            "INSERT INTO records(type, props, email, created_at, updated_at) VALUES ('contact', ?, 'ann@x.io', '', '')",
            (text,),
        )
        [[_, _, _, read, _, _]] = decode_json(batch_module.read_emails(store._conn, "contact", ["ann@x.io"]))
        assert encode_json(read) == encode_json(decode_json(text))


def test_a_table_rows_go_in_one_statement_padded_to_a_fixed_size():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT NOT NULL, name, record_id, at, data)")
    rows = [(f"k{i}", "visit", i, "2026-11-23T08:00:00.000000+00:00", "{}") for i in range(1500)]
    out = series_module.statements(series_module.EVENT_ROWS, rows)
    assert [len(params) // 5 for _, params in out] == [1024, 512]  # 476 rows and 36 of padding
    assert out[1][1][476 * 5 :] == [series_module.PADDING] * (36 * 5)
    for sql, params in out:
        conn.execute(sql, params)
    assert conn.execute("SELECT id, key, name, record_id, at, data FROM events").fetchall() == [
        (i + 1, *row)
        for i, row in enumerate(rows)  # in order, and no padding row
    ]


def test_padding_rows_update_and_insert_nothing():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, props TEXT NOT NULL, updated_at TEXT NOT NULL)")
    conn.execute(
        "CREATE TABLE history (id INTEGER PRIMARY KEY, record_id INT NOT NULL, at TEXT NOT NULL,"
        " kind, field, old, new, cause)"
    )
    conn.executemany("INSERT INTO records VALUES (?, '{}', 'then')", [(0,), (1,), (2,), (3,)])
    stamp = "2026-11-23T08:00:00.000000+00:00"
    [(sql, params)] = series_module.statements(
        series_module.UPDATE_ROWS, [('{"a":1}', stamp, 1), ('{"a":3}', stamp, 3)]
    )
    assert len(params) == 8 * 3  # six rows of padding
    conn.execute(sql, params)
    assert conn.execute("SELECT id, props, updated_at FROM records").fetchall() == [
        (0, "{}", "then"),
        (1, '{"a":1}', stamp),
        (2, "{}", "then"),
        (3, '{"a":3}', stamp),
    ]
    history = [(1, stamp, "set", "a", "null", "1", "rule"), (3, stamp, "set", "a", "null", "3", "rule")]
    [(sql, params)] = series_module.statements(series_module.HISTORY_ROWS, history)
    conn.execute(sql, params)
    assert conn.execute("SELECT record_id, at, kind, field, old, new, cause FROM history").fetchall() == history
