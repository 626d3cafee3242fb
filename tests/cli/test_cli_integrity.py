"""`leadflow run` and `leadflow import` check record references and emails as
`emit` does: a line naming a missing record, a record of another type, or an
email another contact has is rejected by number, and the rest is applied."""

from __future__ import annotations

import datetime as dt

from cli_support import jsonl, leadflow, rejected_lines
from leadflow.store import SqliteStore, schema

SCRIPT = """
object contact { company: company? }
object company { name: text }
object partner { name: text, earned: number = 0 }
object deal { title: text, partner: partner? }
event new_partner { name: text }
event new_deal { title: text }
event partner_attached on deal { partner: partner }
when new_partner then create partner { name: event.name }
when new_deal then create deal { title: event.title }
when partner_attached then {
  set partner = event.partner
  increment partner.earned
}
"""


def test_run_rejects_references_to_missing_or_other_records(tmp_path):
    script = tmp_path / "deals.flow"
    script.write_text(SCRIPT, "utf-8")
    events = tmp_path / "events.jsonl"
    at = "2026-01-05T09:00:00Z"
    events.write_text(
        jsonl(
            {
                "event": "new_partner",
                "contact": "ada@example.com",
                "at": at,
                "data": {"name": "Pat"},
            },  # contact 1, partner 2
            {"event": "new_deal", "contact": "ada@example.com", "at": at, "data": {"title": "Big"}},  # deal 3
            {"event": "partner_attached", "record": {"id": 3}, "at": at, "data": {"partner": 1}},  # a contact
            {"event": "partner_attached", "record": {"id": 3}, "at": at, "data": {"partner": 99}},  # nothing
            {"event": "partner_attached", "record": {"id": 3}, "at": at, "data": {"partner": 2}},
            {"event": "upsert", "contact": "bob@example.com", "at": at, "data": {}},  # contact 4
            {"event": "upsert", "contact": "ada@example.com", "at": at, "data": {"email": "bob@example.com"}},
            {"event": "partner_attached", "record": {"id": 3}, "at": "2026-01-06T09:00:00Z", "data": {"partner": 2}},
        ),
        "utf-8",
    )
    db = tmp_path / "crm.db"
    result = leadflow("run", script, "--events", events, "--db", db, "--no-deliver")
    assert result.code == 3
    rejected = rejected_lines(result.stderr)
    assert set(rejected) == {3, 4, 7}
    assert "partner_attached.partner: record 1 is a contact, not a partner" in rejected[3]
    assert "partner_attached.partner: there is no partner with id 99" in rejected[4]
    assert "bob@example.com already belongs to contact 4" in rejected[7]
    assert "5 event(s) applied" in result.stdout
    records = {r["id"]: r for r in leadflow("export", "--db", db).json_lines()}
    assert records[1]["properties"] == {"email": "ada@example.com"}  # no `earned` written onto the contact
    assert records[2]["properties"]["earned"] == 2  # line 8 still works on the deal
    assert records[3]["properties"]["partner"] == 2
    assert records[4]["properties"] == {"email": "bob@example.com"}


def test_import_rejects_a_reference_to_another_record_type(tmp_path):
    script = tmp_path / "deals.flow"
    script.write_text(SCRIPT, "utf-8")
    db = tmp_path / "crm.db"
    events = tmp_path / "events.jsonl"
    events.write_text(
        jsonl(
            {
                "event": "new_partner",
                "contact": "ada@example.com",
                "at": "2026-01-05T09:00:00Z",
                "data": {"name": "Pat"},
            }
        ),
        "utf-8",
    )
    assert leadflow("run", script, "--events", events, "--db", db, "--no-deliver").code == 0
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,company\nbob@example.com,2\ncy@example.com,\n", "utf-8")
    result = leadflow("import", script, contacts, "--db", db)
    assert result.code == 3
    assert "1 row(s) imported" in result.stdout
    assert result.stderr.startswith("row 2: rejected: ")
    assert "upsert.company: record 2 is a partner, not a company" in result.stderr


def test_an_old_database_whose_contacts_share_an_email_is_reported_not_upgraded(tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])  # before emails were unique
        with SqliteStore(db) as store:
            for email in ("a@example.com", "b@example.com", "a@example.com"):
                store.create_record("contact", {"email": email}, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "x")
    result = leadflow("export", "--db", db)
    assert result.code != 0
    assert "a@example.com (contacts 1, 3)" in result.stderr and "Nothing was changed" in result.stderr
    assert result.stdout == ""
