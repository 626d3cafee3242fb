"""SqliteStore.batch() as a write-behind unit of work (store/batch.py).

Inside a batch the hot-path writes wait in memory: reads must see them, a
failing unit must leave no trace of them, a unit that had to flush must not
take earlier units down with it, and whatever reaches SQL must reach it in
the order it happened. (Committing, crashes and event keys: test_batch_commit.py.)
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import pytest

from leadflow.errors import InputError
from leadflow.store import SqliteStore
from leadflow.store import batch as batch_module

from store_support import Boom, at


class Recorder:
    """Stands in for the store's connection and records each call's SQL
    (an executemany once, however many rows it writes)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.seen: list[str] = []

    def execute(self, sql, *args):
        self.seen.append(sql)
        return self.conn.execute(sql, *args)

    def executemany(self, sql, rows):
        self.seen.append(sql)
        return self.conn.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self.conn, name)


@contextmanager
def recording(store: SqliteStore) -> Iterator[list[str]]:
    """The SQL `store` runs in the block (enter it before the batch it watches)."""
    recorder = Recorder(store._conn)
    store._conn = recorder
    try:
        yield recorder.seen
    finally:
        store._conn = recorder.conn


def sql_rows(store: SqliteStore, table: str) -> int:
    return store._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def history_of(store: SqliteStore, record_id: int) -> list[tuple]:
    return [(h.kind, h.field, h.old, h.new) for h in store.history(record_id)]


# -- the hot path runs no SQL --------------------------------------------------


def test_a_typical_event_writes_nothing_until_the_batch_ends(store):
    ann = store.create_record("contact", {"email": "ann@x.io", "score": 1}, at(0), "import")
    with recording(store) as seen, store.batch():
        del seen[:]  # BEGIN
        with store.transaction():
            record = store.find_by("contact", "email", "ann@x.io")
            assert store.log_event("e1", "visit", record.id, at(1), {"page": "/"})
            store.write_changes(record.id, [("score", 1, 2, "rule")], at(1))
            assert store.update_record(record.id, {"stage": "MQL"}, at(1), "rule") == {"stage": (None, "MQL")}
        assert len(seen) == 1 and seen[0].startswith("SELECT"), seen  # the contact; keys are known
        assert sql_rows(store, "events") == 0 and sql_rows(store, "history") == 1
    assert store.get_record(ann.id).props == {"email": "ann@x.io", "score": 2, "stage": "MQL"}
    assert store.get_record(ann.id).updated_at == at(1)
    assert history_of(store, ann.id)[1:] == [("set", "score", 1, 2), ("set", "stage", None, "MQL")]
    assert [e.key for e in store.events()] == ["e1"]


def test_many_units_flush_with_a_few_statements(store):
    ids = [store.create_record("contact", {"n": i}, at(0), "import").id for i in range(50)]
    with recording(store) as seen, store.batch():
        for i, record_id in enumerate(ids):
            with store.transaction():
                store.log_event(f"e{i}", "visit", record_id, at(1))
                store.update_record(record_id, {"n": i + 1, "seen": True}, at(1), "rule")
    writes = [sql.split(" (")[0] for sql in seen if not sql.startswith(("SELECT", "PRAGMA"))]
    assert writes == [
        "BEGIN IMMEDIATE",
        "SAVEPOINT flush",
        "UPDATE records SET props = ?, updated_at = ? WHERE id = ?",
        "INSERT INTO history(record_id, at, kind, field, old, new, cause) VALUES",
        "INSERT INTO events(key, name, record_id, at, data) VALUES",
        "RELEASE flush",
        "COMMIT",
    ]
    assert [store.get_record(i).props for i in ids] == [{"n": i + 1, "seen": True} for i in range(50)]
    assert sql_rows(store, "history") == 50 + 100 and sql_rows(store, "events") == 50


# -- reads inside a batch see what is buffered ----------------------------------


def test_reads_see_buffered_writes(store):
    ann = store.create_record("contact", {"email": "ann@x.io", "score": 1}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(ann.id, {"score": 5, "when": at(3)}, at(2), "rule")
            store.log_event("e1", "visit", ann.id, at(2))
            record = store.get_record(ann.id)
            assert record.props == {"email": "ann@x.io", "score": 5, "when": at(3)}
            assert record.updated_at == at(2) and record.created_at == at(0)
            assert store.find_by("contact", "email", "ann@x.io") == record
            assert store.has_event("e1") and not store.log_event("e1", "visit", ann.id, at(3))
        assert store.get_record(ann.id) == record  # a later unit, and between units
        assert store.has_event("e1")
        # Reads the overlay cannot answer flush first, so SQL agrees.
        assert store.find_by("contact", "score", 5) == record
        assert store.find_all_by("contact", "score", 5) == [record]
        assert [e.key for e in store.events(record_id=ann.id)] == ["e1"]
        assert history_of(store, ann.id)[-1] == ("set", "when", None, at(3))
    assert store.get_record(ann.id) == record


def test_find_by_email_follows_an_email_changed_in_the_batch(store):
    # Partners: unlike contacts (test_contact_emails.py), they may share an email.
    ann = store.create_record("partner", {"email": "ann@x.io"}, at(0), "import")
    other = store.create_record("partner", {"email": "ann@x.io"}, at(0), "import")  # a later duplicate
    bob = store.create_record("partner", {"email": "bob@x.io"}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(ann.id, {"email": "ann@new.io"}, at(1), "rule")
            assert store.find_by("partner", "email", "ann@new.io").id == ann.id
            # SQL still says ann@x.io for ann: that row is stale, the duplicate is the match.
            assert store.find_by("partner", "email", "ann@x.io").id == other.id
        with store.transaction():
            store.write_changes(bob.id, [("email", "bob@x.io", "ann@x.io", "rule")], at(2))
            assert store.find_by("partner", "email", "bob@x.io") is None
            assert store.find_by("partner", "email", "ann@x.io").id == other.id  # lowest id wins
            store.update_record(other.id, {"email": None}, at(2), "rule")
            assert store.find_by("partner", "email", "ann@x.io").id == bob.id
        assert store.find_by("deal", "email", "ann@x.io") is None
    assert store.find_by("partner", "email", "ann@new.io").id == ann.id
    assert store.find_by("partner", "email", "ann@x.io").id == bob.id
    assert store._conn.execute("SELECT email FROM records ORDER BY id").fetchall() == [
        ("ann@new.io",),
        (None,),
        ("ann@x.io",),
    ]


def test_find_by_email_prefers_a_lower_id_from_the_overlay(store):
    ann = store.create_record("partner", {"email": "ann@x.io"}, at(0), "import")
    store.create_record("partner", {"email": "bob@x.io"}, at(0), "import")
    with store.batch():
        store.update_record(ann.id, {"email": "bob@x.io"}, at(1), "rule")
        assert store.find_by("partner", "email", "bob@x.io").id == ann.id


def test_an_email_change_survives_later_changes_to_the_record(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(ann.id, {"email": "ann@new.io"}, at(1), "rule")
        with store.transaction():  # its own UPDATE would not touch the email column
            store.update_record(ann.id, {"score": 1}, at(2), "rule")
        store.update_record(ann.id, {"score": 2}, at(3), "rule")
    assert store.find_by("contact", "email", "ann@new.io").id == ann.id
    assert store.find_by("contact", "email", "ann@x.io") is None


def test_numeric_emails_match_as_in_sql(store):
    one = store.create_record("contact", {"email": 1}, at(0), "import")
    with store.batch():
        with store.transaction():
            assert store.find_by("contact", "email", 1.0).id == one.id
            store.update_record(one.id, {"email": True}, at(1), "rule")
            assert store.find_by("contact", "email", 1).id == one.id
            assert store.find_by("contact", "email", "1") is None
    assert store.find_by("contact", "email", 1).id == one.id


def test_prefetch_reads_a_batch_of_emails_with_one_query(store):
    ann = store.create_record("partner", {"email": "ann@x.io", "score": 1}, at(0), "import")
    store.create_record("partner", {"email": "ann@x.io"}, at(0), "import")  # a later duplicate
    bob = store.create_record("partner", {"email": "bob@x.io"}, at(0), "import")
    with recording(store) as seen, store.batch():
        del seen[:]  # BEGIN and the event keys
        store.prefetch("partner", "email", ["ann@x.io", "bob@x.io", "cy@x.io", "ann@x.io"])
        assert len(seen) == 1
        with store.transaction():
            assert store.find_by("partner", "email", "ann@x.io") == store.get_record(ann.id)
            assert store.find_by("partner", "email", "bob@x.io").id == bob.id
            assert store.find_by("partner", "email", "cy@x.io") is None
            assert store.find_by("deal", "email", "ann@x.io") is None  # another type: asks SQL
        assert len(seen) == 2
    plan = store._conn.execute("EXPLAIN QUERY PLAN " + batch_module._BY_EMAILS, ("partner", "[]")).fetchall()
    assert "records_by_email" in " | ".join(row[-1] for row in plan)


def test_prefetched_answers_follow_the_batch_own_writes(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    bob = store.create_record("contact", {"email": "bob@x.io", "score": 1}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(bob.id, {"score": 2}, at(1), "rule")
        # Prefetching must not replace what the overlay holds with SQL's older row.
        store.prefetch("contact", "email", ["ann@x.io", "bob@x.io", "cy@x.io", "dan@x.io"])
        assert store.find_by("contact", "email", "bob@x.io").props["score"] == 2
        with store.transaction():
            store.update_record(ann.id, {"email": "ann@new.io"}, at(2), "rule")
            cy = store.create_record("contact", {"email": "cy@x.io"}, at(2), "import")
            assert store.find_by("contact", "email", "ann@x.io") is None
            assert store.find_by("contact", "email", "cy@x.io").id == cy.id
        with pytest.raises(Boom), store.transaction():
            store.create_record("contact", {"email": "dan@x.io"}, at(3), "import")
            raise Boom
        assert store.find_by("contact", "email", "dan@x.io") is None
        with store.transaction():
            store.update_record(bob.id, {"email": "ann@x.io"}, at(4), "rule")
            assert store.find_by("contact", "email", "ann@x.io").id == bob.id


def test_prefetch_is_only_a_hint_outside_a_batch_or_inside_a_unit(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    store.prefetch("contact", "email", ["ann@x.io"])  # outside a batch: nothing to keep it in
    with recording(store) as seen, store.batch():
        with store.transaction():
            del seen[:]
            store.prefetch("contact", "email", ["ann@x.io", "bob@x.io"])
            assert seen == []
            bob = store.create_record("contact", {"email": "bob@x.io"}, at(1), "import")
            assert store.find_by("contact", "email", "bob@x.io").id == bob.id
        assert store.find_by("contact", "email", "ann@x.io").id == ann.id


# -- a failing unit leaves no trace ----------------------------------------------


def test_failing_unit_in_memory_leaves_no_trace(store):
    ann = store.create_record("contact", {"email": "ann@x.io", "score": 1}, at(0), "import")
    with recording(store) as seen, store.batch():
        with pytest.raises(Boom):
            with store.transaction():
                store.update_record(ann.id, {"email": "ann@new.io", "score": 2}, at(1), "rule")
                store.log_event("e1", "visit", ann.id, at(1))
                raise Boom
        assert not any("SAVEPOINT" in sql for sql in seen)  # nothing to roll back in SQL
        assert store.get_record(ann.id).props == {"email": "ann@x.io", "score": 1}
        assert store.find_by("contact", "email", "ann@x.io").id == ann.id
        assert store.find_by("contact", "email", "ann@new.io") is None
        assert not store.has_event("e1")
        with store.transaction():  # the key is free again
            assert store.log_event("e1", "visit", ann.id, at(2))
    assert store.get_record(ann.id).props == {"email": "ann@x.io", "score": 1}
    assert history_of(store, ann.id) == [("created", None, None, {"email": "ann@x.io", "score": 1})]
    assert [(e.key, e.at) for e in store.events()] == [("e1", at(2))]


def test_failing_unit_after_sql_writes_leaves_no_trace(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(ann.id, {"score": 1}, at(1), "rule")
        with pytest.raises(Boom):
            with store.transaction():
                store.update_record(ann.id, {"score": 2}, at(2), "rule")
                bob = store.create_record("contact", {"email": "bob@x.io"}, at(2), "rule")  # opens the savepoint
                store.add_to_list(ann.id, "vip", at(2), "rule")
                store.update_record(bob.id, {"score": 9}, at(2), "rule")
                store.log_event("e2", "visit", bob.id, at(2))
                store.enqueue_effect("email", {"to": "bob@x.io"}, "fx", at(2))
                store.set_meta("cursor", 2)
                raise Boom
        assert store.get_record(bob.id) is None
        assert store.find_by("contact", "email", "bob@x.io") is None
        assert store.get_record(ann.id).props == {"email": "ann@x.io", "score": 1}
        assert store.lists_of(ann.id) == set() and not store.has_event("e2")
        # The id of the record rolled back is free again, as without a batch.
        assert store.create_record("contact", {"email": "cy@x.io"}, at(3), "import").id == bob.id
    assert store.get_record(ann.id).props == {"email": "ann@x.io", "score": 1}
    assert history_of(store, ann.id) == [("created", None, None, {"email": "ann@x.io"}), ("set", "score", None, 1)]
    assert store.effects() == [] and store.get_meta("cursor") is None and store.events() == []
    assert store.get_record(bob.id).props == {"email": "cy@x.io"}


def test_a_flush_in_a_failing_unit_does_not_undo_earlier_units(tmp_path):
    with SqliteStore(tmp_path / "flush.db") as store:
        ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
        with recording(store) as seen, store.batch():
            for i in range(3):
                with store.transaction():
                    store.update_record(ann.id, {"score": i}, at(i), "rule")
                    store.log_event(f"e{i}", "visit", ann.id, at(i))
            with pytest.raises(Boom):
                with store.transaction():
                    store.update_record(ann.id, {"score": 99}, at(5), "rule")
                    store.log_event("bad", "visit", ann.id, at(5))
                    store.enqueue_effect("email", {}, "fx", at(5))  # flushes the three units, then its own rows
                    raise Boom
            first_savepoint = next(i for i, sql in enumerate(seen) if sql.startswith("SAVEPOINT unit"))
            assert any(sql.startswith("INSERT INTO events") for sql in seen[:first_savepoint])
            assert store.get_record(ann.id).props == {"email": "ann@x.io", "score": 2}
        assert [e.key for e in store.events()] == ["e0", "e1", "e2"]
        assert history_of(store, ann.id)[1:] == [
            ("set", "score", None, 0),
            ("set", "score", 0, 1),
            ("set", "score", 1, 2),
        ]
        assert store.effects() == []


def test_nested_units_inside_a_batch(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(ann.id, {"a": 1}, at(1), "outer")
            with pytest.raises(Boom):
                with store.transaction():
                    store.update_record(ann.id, {"b": 1}, at(1), "inner")
                    store.add_to_list(ann.id, "vip", at(1), "inner")
                    with store.transaction():
                        store.update_record(ann.id, {"c": 1}, at(1), "innermost")
                    raise Boom
            with store.transaction():
                store.update_record(ann.id, {"d": 1}, at(2), "inner")
            assert store.get_record(ann.id).props == {"email": "ann@x.io", "a": 1, "d": 1}
        with pytest.raises(Boom):
            with store.transaction():
                with store.transaction():
                    store.update_record(ann.id, {"e": 1}, at(3), "inner")  # kept by its unit, undone by the outer
                    store.log_event("inner", "visit", ann.id, at(3))
                raise Boom
        assert not store.has_event("inner")
    assert store.get_record(ann.id).props == {"email": "ann@x.io", "a": 1, "d": 1}
    assert [h.cause for h in store.history(ann.id)] == ["import", "outer", "inner"]
    assert store.lists_of(ann.id) == set()


def test_history_keeps_the_order_things_happened(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(ann.id, {"stage": "lead"}, at(1), "a")
            store.add_to_list(ann.id, "vip", at(2), "b")
            store.update_record(ann.id, {"stage": "MQL"}, at(3), "c")
        with store.transaction():
            store.update_record(ann.id, {"stage": "SQL"}, at(4), "d")
            store.remove_from_list(ann.id, "vip", at(5), "e")
        store.update_record(ann.id, {"score": 1}, at(6), "f")  # outside any unit
        store.write_changes(ann.id, [("score", 1, 2, "g")], at(7))
        assert [h.cause for h in store.history(ann.id)] == ["import", "a", "b", "c", "d", "e", "f", "g"]
        store.update_record(ann.id, {"score": 3}, at(8), "h")
    entries = store.history(ann.id)
    assert [h.cause for h in entries] == ["import", "a", "b", "c", "d", "e", "f", "g", "h"]
    assert [h.at for h in entries] == [at(i) for i in range(9)]
    assert [h.id for h in entries] == sorted(h.id for h in entries)


# -- checks happen when a row is buffered, not when it is flushed ----------------


def test_bad_writes_fail_in_their_unit(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with store.batch():
        for bad in [
            lambda: store.update_record(ann.id, {"x": float("nan")}, at(1), "rule"),
            lambda: store.update_record(ann.id, {"x": "\ud800"}, at(1), "rule"),
            lambda: store.update_record(999, {"x": 1}, at(1), "rule"),
            lambda: store.write_changes(999, [("x", None, 1, "rule")], at(1)),
            lambda: store.write_changes(ann.id, [("x", None, object(), "rule")], at(1)),
            lambda: store.log_event("e1", "visit", 999, at(1)),
            lambda: store.log_event("e1", "visit", ann.id, at(1), {"x": float("inf")}),
            lambda: store.log_event("e1", "visit", ann.id, dt.datetime(2024, 1, 1)),
        ]:
            with pytest.raises(InputError):
                with store.transaction():
                    bad()
        assert store.log_event("e1", "visit", ann.id, at(1))
    assert store.get_record(ann.id).props == {"email": "ann@x.io"}
    assert [e.key for e in store.events()] == ["e1"]


# -- workflow runs and effects wait in memory too --------------------------------


def test_a_workflow_step_writes_nothing_until_the_batch_ends(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    run = store.create_run("nurturing", ann.id, "1", at(0), {"enrolled_at": at(0)})
    with recording(store) as seen, store.batch():
        (due,) = store.due_runs(at(1))
        del seen[:]
        with store.transaction():
            store.get_record(ann.id)
            store.queue_effect("email", {"to": "ann@x.io"}, "run:1:0:1", at(1))
            store.log_run(run.id, at(1), "1", "step", {"step": "send email followup_1"})
            store.save_run(attrs.evolve(due, position="3", due=at(5), updated_at=at(1)))
            store.log_run(run.id, at(1), "2", "waiting", {"until": at(5)})
            assert store.events(record_id=ann.id) == []  # reads other tables: nothing to flush
        assert len(seen) == 2 and all(sql.startswith("SELECT") for sql in seen), seen  # the contact, the events
        assert sql_rows(store, "run_log") == 0 and sql_rows(store, "outbox") == 0
        assert store.get_run(run.id).position == "3"  # a read of runs flushes
    assert store.get_run(run.id) == attrs.evolve(due, position="3", due=at(5), updated_at=at(1))
    assert [(e.step, e.kind, e.detail) for e in store.run_log(run.id)] == [
        ("1", "step", {"step": "send email followup_1"}),
        ("2", "waiting", {"until": at(5)}),
    ]
    assert [(e.key, e.payload) for e in store.effects()] == [("run:1:0:1", {"to": "ann@x.io"})]


def test_the_first_effect_queued_with_a_key_wins(store):
    with store.batch():
        with store.transaction():
            store.queue_effect("email", {"n": 1}, "k", at(1))
            store.queue_effect("email", {"n": 2}, "k", at(1))
            effect_id = store.enqueue_effect("email", {"n": 3}, "k", at(1))  # flushes the unit's queue first
        with store.transaction():
            store.queue_effect("email", {"n": 4}, "k", at(2))
    assert [(e.id, e.payload) for e in store.effects()] == [(effect_id, {"n": 1})]


def test_a_run_log_row_needs_its_run(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with store.batch():
        with pytest.raises(Boom):
            with store.transaction():
                gone = store.create_run("nurturing", ann.id, "1", at(1), {})
                store.log_run(gone.id, at(1), None, "enrolled", {})
                raise Boom
        for run_id in (gone.id, 999):  # rolled back with its unit; never was
            with pytest.raises(InputError, match="no run"):
                with store.transaction():
                    store.log_run(run_id, at(2), None, "enrolled", {})
        kept = store.create_run("nurturing", ann.id, "1", at(3), {})
        store.log_run(kept.id, at(3), None, "enrolled", {})
    assert kept.id == gone.id and [e.at for e in store.run_log(kept.id)] == [at(3)]


def test_bad_run_rows_fail_in_their_unit(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    run = store.create_run("nurturing", ann.id, "1", at(0), {})
    with store.batch():
        for bad in [
            lambda: store.save_run(attrs.evolve(run, status="paused")),
            lambda: store.save_run(attrs.evolve(run, position="\ud800")),
            lambda: store.save_run(attrs.evolve(run, vars={"x": float("nan")})),
            lambda: store.save_run(attrs.evolve(run, due=dt.datetime(2024, 1, 1))),
            lambda: store.log_run(run.id, at(1), "1", "step", {"x": float("inf")}),
            lambda: store.log_run(run.id, at(1), 1, "step", {}),
            lambda: store.queue_effect("email", {"x": float("nan")}, "k", at(1)),
            lambda: store.queue_effect("email", {}, 7, at(1)),
        ]:
            with pytest.raises(InputError):
                with store.transaction():
                    bad()
    assert store.get_run(run.id) == run and store.run_log(run.id) == [] and store.effects() == []


def test_list_changes_wait_with_the_rest(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with recording(store) as seen, store.batch():
        del seen[:]
        with store.transaction():
            assert store.add_to_list(ann.id, "vip", at(1), "a")
            assert not store.add_to_list(ann.id, "vip", at(1), "a")
            assert store.remove_from_list(ann.id, "vip", at(2), "b")
            assert not store.remove_from_list(ann.id, "vip", at(2), "b")
            assert store.add_to_list(ann.id, "vip", at(3), "c")
            assert store.add_to_list(ann.id, "news", at(3), "c")
        with store.transaction():
            assert store.remove_from_list(ann.id, "news", at(4), "d")
        assert all(sql.startswith("SELECT") for sql in seen), seen  # the record, and SQL's view of the memberships
        assert sql_rows(store, "list_members") == 0
        assert store.lists_of(ann.id) == {"vip"} and store.list_members("vip") == [ann.id]
        with pytest.raises(InputError, match="no record"):
            with store.transaction():
                store.add_to_list(999, "vip", at(5), "e")
        assert not store.remove_from_list(999, "vip", at(5), "e")
        assert not store.add_to_list(str(ann.id), "vip", at(5), "e")  # "1": as SQL converts it
    assert store.lists_of(ann.id) == {"vip"}
    assert [(h.kind, h.field, h.cause) for h in store.history(ann.id)][1:] == [
        ("list_add", "vip", "a"),
        ("list_remove", "vip", "b"),
        ("list_add", "vip", "c"),
        ("list_add", "news", "c"),
        ("list_remove", "news", "d"),
    ]


def test_preloaded_records_are_read_with_one_query(store):
    ids = [store.create_record("contact", {"n": i}, at(0), "import").id for i in range(5)]
    store.preload_records(ids)  # outside a batch: nothing to keep them in, nothing happens
    with recording(store) as seen, store.batch():
        store.update_record(ids[0], {"n": 10}, at(1), "rule")  # newer in the batch than in SQL
        del seen[:]
        store.preload_records([*ids, 999, "3"])
        assert len(seen) == 1 and seen[0].startswith("SELECT")
        with store.transaction():
            assert [store.get_record(i).props["n"] for i in ids] == [10, 1, 2, 3, 4]
        assert len(seen) == 1
