"""Each contact has its own email: the store refuses a second contact with one,
in a unit, in a batch and in SQL itself (a unique index), and an old database
that already holds duplicates is not upgraded but told which contacts share one."""

from __future__ import annotations

import sqlite3

import pytest

from leadflow.errors import InputError, LeadflowError
from leadflow.store import SqliteStore, schema
from store_support import at


def emails(store: SqliteStore) -> list:
    return store._conn.execute("SELECT id, type, email FROM records ORDER BY id").fetchall()


def test_a_second_contact_with_an_email_is_refused(store):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with pytest.raises(InputError, match=f"ann@x.io already belongs to contact {ann.id}"):
        store.create_record("contact", {"email": "ann@x.io", "score": 1}, at(1), "import")
    store.create_record("partner", {"email": "ann@x.io"}, at(1), "import")  # other types may share one
    assert emails(store) == [(1, "contact", "ann@x.io"), (2, "partner", "ann@x.io")]
    assert len(store.history(ann.id)) == 1


@pytest.mark.parametrize("how", ["update", "write"])
@pytest.mark.parametrize("in_batch", [False, True])
def test_changing_an_email_to_another_contact_s_is_refused(store, how, in_batch):
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    bob = store.create_record("contact", {"email": "bob@x.io"}, at(0), "import")
    with store.batch() if in_batch else store.transaction():
        with pytest.raises(InputError, match=f"bob@x.io already belongs to contact {bob.id}"):
            with store.transaction():
                if how == "update":
                    store.update_record(ann.id, {"email": "bob@x.io", "score": 5}, at(1), "rule")
                else:
                    store.write_changes(ann.id, [("email", "ann@x.io", "bob@x.io", "rule")], at(1))
        store.update_record(bob.id, {"score": 1}, at(2), "rule")  # the batch goes on
    assert emails(store) == [(1, "contact", "ann@x.io"), (2, "contact", "bob@x.io")]
    assert store.get_record(ann.id).props == {"email": "ann@x.io"}
    assert store.get_record(bob.id).props == {"email": "bob@x.io", "score": 1}
    assert [h.kind for h in store.history(ann.id)] == ["created"]


def test_in_a_batch_a_freed_email_can_be_taken(store):
    """Emails that move between contacts within one batch reach SQL in whatever order the
    rows are written; the unique index must not fail the batch's flush for it."""
    bob = store.create_record("contact", {"email": "bob@x.io"}, at(0), "import")  # the lower id takes ann's
    ann = store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with store.batch():
        with store.transaction():
            store.update_record(ann.id, {"email": "ann@new.io"}, at(1), "rule")
        with store.transaction():
            store.update_record(bob.id, {"email": "ann@x.io"}, at(2), "rule")
        with store.transaction():  # and a new contact takes what bob left
            cy = store.create_record("contact", {"email": "bob@x.io"}, at(3), "import")
    assert emails(store) == [
        (bob.id, "contact", "ann@x.io"),
        (ann.id, "contact", "ann@new.io"),
        (cy.id, "contact", "bob@x.io"),
    ]


def test_sql_itself_refuses_a_duplicate(store):
    store.create_record("contact", {"email": "ann@x.io"}, at(0), "import")
    with pytest.raises(sqlite3.IntegrityError):
        store._conn.execute(
            "INSERT INTO records(type, props, email, created_at, updated_at)"
            " VALUES ('contact', '{}', 'ann@x.io', 'x', 'x')"
        )
    store._conn.execute(
        "INSERT INTO records(type, props, email, created_at, updated_at) VALUES ('contact', '{}', NULL, 'x', 'x')"
    )  # contacts without an email: any number
    store._conn.execute(
        "INSERT INTO records(type, props, email, created_at, updated_at) VALUES ('contact', '{}', NULL, 'x', 'x')"
    )


def old_database(path, monkeypatch, *contacts: str) -> None:
    """A database at migration 3, before emails were unique, holding these contacts."""
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])
        with SqliteStore(path) as store:
            for email in contacts:
                store.create_record("contact", {"email": email}, at(0), "import")
            assert store.get_meta("schema_version") == 3


def test_an_old_database_gets_the_index(tmp_path, monkeypatch):
    path = tmp_path / "v3.db"
    old_database(path, monkeypatch, "ann@x.io", "bob@x.io")
    with SqliteStore(path) as store:
        assert store.get_meta("schema_version") == len(schema.MIGRATIONS)
        with pytest.raises(InputError, match="already belongs to contact 1"):
            store.create_record("contact", {"email": "ann@x.io"}, at(1), "import")


def test_an_old_database_with_duplicates_is_left_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "v3.db"
    old_database(path, monkeypatch, "ann@x.io", "bob@x.io", "ann@x.io", "cy@x.io", "bob@x.io")
    with pytest.raises(LeadflowError) as caught:
        SqliteStore(path)
    message = str(caught.value)
    assert "ann@x.io (contacts 1, 3); bob@x.io (contacts 2, 5)" in message
    assert "cy@x.io" not in message
    assert "Nothing was changed" in message and "UPDATE records SET email = NULL" in message
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
        # Following the message's advice makes the database open.
        connection.execute("UPDATE records SET email = NULL, props = json_remove(props, '$.email') WHERE id IN (3, 5)")
        connection.commit()
    finally:
        connection.close()
    with SqliteStore(path) as store:
        assert store.get_meta("schema_version") == len(schema.MIGRATIONS)
        assert store.count_records("contact") == 5
