"""SqliteStore: records, values, transactions, lists, events, meta, reopening."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from leadflow.errors import InputError, LeadflowError
from leadflow.store import SqliteStore, open_store, schema
from store_support import T0, UTC, at
from leadflow.values import Duration

PARIS = dt.timezone(dt.timedelta(hours=2))


def plan_of(store: SqliteStore, call) -> str:
    """The query plan of the last SQL statement `call` runs."""
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        store._conn.set_trace_callback(None)
    rows = store._conn.execute("EXPLAIN QUERY PLAN " + seen[-1]).fetchall()
    return " | ".join(row[-1] for row in rows)


# -- records -----------------------------------------------------------------


def test_create_get_and_find(store):
    ann = store.create_record("contact", {"email": "ann@x.io", "name": "Ann", "phone": None}, at(0), "import")
    deal = store.create_record("deal", {"email": "ann@x.io", "amount": 10}, at(1), "import")
    assert ann.props == {"email": "ann@x.io", "name": "Ann"}  # None means absent
    assert store.get_record(ann.id) == ann
    assert store.get_record(999) is None
    assert store.find_by("contact", "email", "ann@x.io") == ann
    assert store.find_by("deal", "email", "ann@x.io") == deal
    assert store.find_by("contact", "email", "bob@x.io") is None
    assert store.find_by("contact", "name", "Ann") == ann
    assert store.find_by("deal", "amount", 10.0) == deal
    assert store.find_by("deal", "amount", "10") is None
    with pytest.raises(InputError):
        store.find_by("contact", "email", None)


def test_find_by_structured_values(store):
    first = store.create_record("contact", {"born": dt.date(1990, 1, 2), "tags": ["a", "b"]}, at(0), "import")
    assert store.find_by("contact", "born", dt.date(1990, 1, 2)) == first
    assert store.find_by("contact", "born", dt.date(1990, 1, 3)) is None
    assert store.find_by("contact", "tags", ["a", "b"]) == first


def test_find_by_email_follows_updates(store):
    rec = store.create_record("contact", {"email": "old@x.io"}, at(0), "import")
    store.update_record(rec.id, {"email": "new@x.io"}, at(1), "import")
    assert store.find_by("contact", "email", "old@x.io") is None
    assert store.find_by("contact", "email", "new@x.io").id == rec.id
    store.update_record(rec.id, {"email": None}, at(2), "import")
    assert store.find_by("contact", "email", "new@x.io") is None


def test_find_by_email_uses_the_index(store):
    store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    plan = plan_of(store, lambda: store.find_by("contact", "email", "ann@x.io"))
    assert "records_by_email" in plan and "SCAN" not in plan


def test_update_reports_only_real_changes(store):
    rec = store.create_record("contact", {"name": "Ann", "score": 1}, at(0), "import")
    changes = store.update_record(rec.id, {"name": "Ann", "score": 5, "stage": "MQL"}, at(5), 'rule "score"')
    assert changes == {"score": (1, 5), "stage": (None, "MQL")}
    assert store.update_record(rec.id, {"name": "Ann", "gone": None}, at(6), "noop") == {}
    updated = store.get_record(rec.id)
    assert updated.props == {"name": "Ann", "score": 5, "stage": "MQL"}
    assert updated.created_at == at(0) and updated.updated_at == at(5)
    with pytest.raises(InputError):
        store.update_record(999, {"name": "x"}, at(7), "noop")


def test_update_none_clears_and_type_changes_count(store):
    rec = store.create_record("contact", {"flag": 1, "note": "hi"}, at(0), "import")
    assert store.update_record(rec.id, {"flag": True, "note": None}, at(1), "x") == {
        "flag": (1, True),
        "note": ("hi", None),
    }
    assert store.get_record(rec.id).props == {"flag": True}


def test_history_in_order(store):
    rec = store.create_record("contact", {"name": "Ann"}, at(0), "import")
    store.update_record(rec.id, {"stage": "MQL", "score": 3}, at(1), 'rule "MQL"')
    store.update_record(rec.id, {"stage": "SQL"}, at(2), 'rule "MQL to SQL"')
    entries = store.history(rec.id)
    assert [(h.kind, h.field, h.old, h.new, h.cause) for h in entries] == [
        ("created", None, None, {"name": "Ann"}, "import"),
        ("set", "stage", None, "MQL", 'rule "MQL"'),
        ("set", "score", None, 3, 'rule "MQL"'),
        ("set", "stage", "MQL", "SQL", 'rule "MQL to SQL"'),
    ]
    assert [h.at for h in entries] == [at(0), at(1), at(1), at(2)]
    assert all(h.record_id == rec.id for h in entries)


def test_values_round_trip(store):
    props = {
        "seen": dt.datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=PARIS),
        "born": dt.date(1990, 1, 2),
        "call_at": dt.time(14, 45),
        "cooldown": Duration(days=3),
        "trial": Duration(months=1, seconds=1.5),
        "tags": ["vip", "eu", dt.date(2024, 1, 1)],
        "address": {"city": "Lyon", "since": dt.datetime(2020, 1, 1, tzinfo=UTC)},
        "score": 4.25,
        "active": False,
        "nickname": "Zoë 🎉",
    }
    rec = store.create_record("contact", props, at(0), "import")
    assert rec.props == props
    loaded = store.get_record(rec.id).props
    assert loaded == props
    assert loaded["seen"].utcoffset() == dt.timedelta(hours=2)
    store.update_record(rec.id, {"tags": None, "cooldown": Duration(days=4)}, at(1), "x")
    assert store.get_record(rec.id).props == {
        **{k: v for k, v in props.items() if k != "tags"},
        "cooldown": Duration(days=4),
    }


def test_timestamps_compare_across_zones(store):
    rec = store.create_record("contact", {}, T0.astimezone(PARIS), "import")
    assert store.get_record(rec.id).created_at == T0
    assert store.get_record(rec.id).created_at.tzinfo is not None


def test_bad_input_is_refused_and_writes_nothing(store):
    with pytest.raises(InputError):
        store.create_record("contact", {"x": 1}, dt.datetime(2024, 1, 1), "naive")
    with pytest.raises(InputError):
        store.create_record("contact", {"x": float("nan")}, at(0), "nan")
    rec = store.create_record("contact", {"x": 1}, at(0), "import")
    with pytest.raises(InputError):
        store.update_record(rec.id, {"x": 2, "y": object()}, at(1), "bad")
    assert store.count_records() == 1
    assert store.get_record(rec.id).props == {"x": 1}
    assert len(store.history(rec.id)) == 1


def test_records_iterates_in_id_order_across_pages(store):
    with store.batch():
        for i in range(1100):
            store.create_record("contact" if i % 3 else "deal", {"n": i}, at(0), "import")
    assert store.count_records() == 1100
    assert store.count_records("deal") == 367
    assert [r.props["n"] for r in store.records()] == list(range(1100))
    deals = list(store.records("deal"))
    assert [r.props["n"] for r in deals] == list(range(0, 1100, 3))
    assert list(store.records("nothing")) == []


# -- transactions --------------------------------------------------------------


class Boom(Exception):
    pass


def write_everything(store, tag: str) -> int:
    rec = store.create_record("contact", {"email": f"{tag}@x.io"}, at(0), "import")
    store.update_record(rec.id, {"stage": "MQL"}, at(1), "rule")
    store.add_to_list(rec.id, "newsletter", at(1), "rule")
    store.log_event(f"evt-{tag}", "signup", rec.id, at(1), {"tag": tag})
    store.enqueue_effect("email", {"to": f"{tag}@x.io"}, f"fx-{tag}", at(1))
    store.set_meta(f"meta-{tag}", tag)
    return rec.id


def assert_nothing_of(store, tag: str) -> None:
    assert store.find_by("contact", "email", f"{tag}@x.io") is None
    assert not store.has_event(f"evt-{tag}")
    assert all(effect.key != f"fx-{tag}" for effect in store.effects())
    assert store.get_meta(f"meta-{tag}") is None


def test_transaction_rollback_leaves_nothing(store):
    with pytest.raises(Boom):
        with store.transaction():
            write_everything(store, "a")
            raise Boom
    assert_nothing_of(store, "a")
    assert store.count_records() == 0
    assert store.list_members("newsletter") == []
    assert store._conn.execute("SELECT count(*) FROM history").fetchone()[0] == 0
    with store.transaction():
        record_id = write_everything(store, "b")
    assert store.lists_of(record_id) == {"newsletter"}


def test_failing_unit_inside_batch_rolls_back_only_itself(store):
    with store.batch():
        with store.transaction():
            write_everything(store, "a")
        with pytest.raises(Boom):
            with store.transaction():
                write_everything(store, "b")
                raise Boom
        with store.transaction():
            write_everything(store, "c")
    assert_nothing_of(store, "b")
    assert store.find_by("contact", "email", "a@x.io") is not None
    assert store.find_by("contact", "email", "c@x.io") is not None
    assert [e.key for e in store.effects()] == ["fx-a", "fx-c"]


def test_nested_transactions(store):
    with store.transaction():
        outer = store.create_record("contact", {"email": "o@x.io"}, at(0), "import")
        with pytest.raises(Boom):
            with store.transaction():
                store.update_record(outer.id, {"stage": "MQL"}, at(1), "rule")
                with store.transaction():
                    store.add_to_list(outer.id, "vip", at(1), "rule")
                raise Boom
        with store.transaction():
            store.update_record(outer.id, {"score": 1}, at(2), "rule")
    assert store.get_record(outer.id).props == {"email": "o@x.io", "score": 1}
    assert store.lists_of(outer.id) == set()


def test_batch_commits_once_and_keeps_finished_units_on_error(tmp_path):
    path = tmp_path / "batch.db"
    with SqliteStore(path) as store:
        with pytest.raises(Boom):
            with store.batch():
                with store.transaction():
                    write_everything(store, "a")
                other = sqlite3.connect(path)
                assert other.execute("SELECT count(*) FROM records").fetchone()[0] == 0
                with store.transaction():
                    write_everything(store, "b")
                    raise Boom
        assert other.execute("SELECT count(*) FROM records").fetchone()[0] == 1
        other.close()
        assert_nothing_of(store, "b")


# -- lists -------------------------------------------------------------------


def test_list_membership_and_history(store):
    ann = store.create_record("contact", {}, at(0), "import")
    bob = store.create_record("contact", {}, at(0), "import")
    assert store.add_to_list(bob.id, "vip", at(1), 'rule "vip"') is True
    assert store.add_to_list(ann.id, "vip", at(2), 'rule "vip"') is True
    assert store.add_to_list(ann.id, "vip", at(3), 'rule "vip"') is False
    assert store.add_to_list(ann.id, "newsletter", at(3), "import") is True
    assert store.lists_of(ann.id) == {"vip", "newsletter"}
    assert store.list_members("vip") == [ann.id, bob.id]
    assert store.remove_from_list(ann.id, "vip", at(4), "unsubscribe") is True
    assert store.remove_from_list(ann.id, "vip", at(5), "unsubscribe") is False
    assert store.list_members("vip") == [bob.id]
    assert [(h.kind, h.field, h.cause) for h in store.history(ann.id)] == [
        ("created", None, "import"),
        ("list_add", "vip", 'rule "vip"'),
        ("list_add", "newsletter", "import"),
        ("list_remove", "vip", "unsubscribe"),
    ]
    with pytest.raises(InputError):
        store.add_to_list(999, "vip", at(6), "x")
    assert store.remove_from_list(999, "vip", at(6), "x") is False  # no such record: nothing to leave


# -- events ------------------------------------------------------------------


def test_log_event_is_idempotent(store):
    rec = store.create_record("contact", {}, at(0), "import")
    assert store.log_event("e1", "signup", rec.id, at(1), {"plan": "pro", "when": at(1)}) is True
    assert store.log_event("e1", "other", None, at(2), {"plan": "free"}) is False
    assert store.has_event("e1") and not store.has_event("e2")
    (entry,) = store.events()
    assert (entry.key, entry.name, entry.record_id, entry.at) == ("e1", "signup", rec.id, at(1))
    assert entry.data == {"plan": "pro", "when": at(1)}


def test_events_filter_and_order(store):
    ann = store.create_record("contact", {}, at(0), "import")
    bob = store.create_record("contact", {}, at(0), "import")
    store.log_event("k3", "open", ann.id, at(30), {})
    store.log_event("k1", "open", ann.id, at(10), {})
    store.log_event("k2", "click", ann.id, at(20))
    store.log_event("k4", "open", bob.id, at(15), {})
    store.log_event("k5", "deploy", None, at(5), {})
    assert [e.key for e in store.events()] == ["k5", "k1", "k4", "k2", "k3"]
    assert [e.key for e in store.events(record_id=ann.id)] == ["k1", "k2", "k3"]
    assert [e.key for e in store.events(name="open")] == ["k1", "k4", "k3"]
    assert [e.key for e in store.events(ann.id, "open", since=at(10))] == ["k1", "k3"]
    assert [e.key for e in store.events(since=at(16).astimezone(PARIS))] == ["k2", "k3"]
    plan = plan_of(store, lambda: store.events(ann.id, "open", since=at(10)))
    assert "events_by_record" in plan


# -- meta, reopening, migrations -----------------------------------------------


def test_meta(store):
    assert store.get_meta("cursor") is None
    assert store.get_meta("cursor", 0) == 0
    store.set_meta("cursor", {"file": "events.jsonl", "line": 3, "at": at(1)})
    assert store.get_meta("cursor") == {"file": "events.jsonl", "line": 3, "at": at(1)}
    assert store.get_meta("schema_version") == len(schema.MIGRATIONS)
    with pytest.raises(InputError):
        store.set_meta("schema_version", 99)


def test_reopened_file_keeps_everything(tmp_path):
    path = tmp_path / "keep.db"
    with SqliteStore(path) as store:
        record_id = write_everything(store, "a")
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with SqliteStore(path) as store:  # re-running migration 1 would fail: tables exist
        assert store.get_meta("schema_version") == len(schema.MIGRATIONS)
        assert store.get_record(record_id).props == {"email": "a@x.io", "stage": "MQL"}
        assert store.lists_of(record_id) == {"newsletter"}
        assert store.has_event("evt-a")
        assert store.enqueue_effect("email", {}, "fx-a", at(9)) == store.effects()[0].id
        assert store.get_meta("meta-a") == "a"
        assert len(store.history(record_id)) == 3


def test_new_migrations_apply_once(tmp_path, monkeypatch):
    path = tmp_path / "migrate.db"
    SqliteStore(path).close()
    latest = schema.MIGRATIONS
    extra = ("CREATE TABLE workflow_runs (id INTEGER PRIMARY KEY, state TEXT NOT NULL)",)
    monkeypatch.setattr(schema, "MIGRATIONS", [*latest, extra])
    for _ in range(2):  # the second open must not create the table again
        with SqliteStore(path) as store:
            assert store.get_meta("schema_version") == len(latest) + 1
            store._conn.execute("INSERT INTO workflow_runs(state) VALUES ('waiting')")
    monkeypatch.setattr(schema, "MIGRATIONS", latest)
    with pytest.raises(LeadflowError, match="newer"):
        SqliteStore(path)


def test_failed_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "broken.db"
    SqliteStore(path).close()
    latest = schema.MIGRATIONS
    broken = ("CREATE TABLE half_done (id INTEGER PRIMARY KEY)", "NOT SQL AT ALL")
    monkeypatch.setattr(schema, "MIGRATIONS", [*latest, broken])
    with pytest.raises(sqlite3.OperationalError):
        SqliteStore(path)
    monkeypatch.setattr(schema, "MIGRATIONS", latest)
    with SqliteStore(path) as store:
        assert store.get_meta("schema_version") == len(latest)
        tables = {name for (name,) in store._conn.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in tables


def test_migration_2_keeps_every_row_and_every_check(tmp_path, monkeypatch):
    path = tmp_path / "v1.db"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    with SqliteStore(path) as store:
        record_id = write_everything(store, "a")
        before = (store.history(record_id), store.effects(), store.events())
    monkeypatch.undo()
    with SqliteStore(path) as store:
        assert (store.history(record_id), store.effects(), store.events()) == before
        indexes = {name for (name,) in store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"history_by_record", "events_by_record", "outbox_due", "outbox_by_status"} <= indexes
        assert "events_by_name" not in indexes
        with pytest.raises(sqlite3.IntegrityError):
            store._conn.execute(
                "INSERT INTO history(record_id, at, kind, old, new, cause) VALUES (?, 'x', 'typo', 'null', 'null', 'c')",
                (record_id,),
            )
        with pytest.raises(sqlite3.IntegrityError):
            store._conn.execute("UPDATE outbox SET status = 'lost'")
        with pytest.raises(sqlite3.IntegrityError):  # still a child of records
            store._conn.execute(
                "INSERT INTO history(record_id, at, kind, old, new, cause) VALUES (999, 'x', 'set', 'null', 'null', 'c')"
            )
        store.add_to_list(record_id, "vip", at(5), "test")
        assert store.history(record_id)[-1].kind == "list_add"
        plan = plan_of(store, lambda: store.history(record_id))
        assert "history_by_record" in plan and "TEMP B-TREE" not in plan


def test_new_database_has_small_pages_and_a_128_mb_wal(tmp_path):
    with SqliteStore(tmp_path / "new.db") as store:
        page_size = store._conn.execute("PRAGMA page_size").fetchone()[0]
        assert page_size == 2048
        assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] * page_size == 128 << 20


@pytest.mark.parametrize("url", [":memory:", "sqlite://:memory:", "sqlite://"])
def test_open_store_memory(url):
    store = open_store(url)
    assert isinstance(store, SqliteStore) and store.path == ":memory:"
    store.close()


def test_open_store_files(tmp_path):
    for url in [str(tmp_path / "plain.db"), "sqlite:///" + str(tmp_path / "url.db"), tmp_path / "path.db"]:
        with open_store(url) as store:
            store.set_meta("ok", True)
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["path.db", "plain.db", "url.db"]
    with pytest.raises(InputError):
        open_store("postgres://db/leads")
    with pytest.raises(InputError):
        open_store("sqlite:///")
