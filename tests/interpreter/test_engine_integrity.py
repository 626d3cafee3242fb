"""What input must agree with in the store: a record reference names an
existing record of its declared type, and an email belongs to one contact."""

from __future__ import annotations

import pytest

from engine_support import make_engine, snapshot
from leadflow import InputError, LeadflowRuntimeError

SCRIPT = """
object contact { company: company?, score: number = 0 }
object company { name: text }
object partner { name: text, earned: number = 0 }
object deal { title: text, partner: partner? }
event new_company { name: text }
event new_partner { name: text }
event new_deal { title: text }
event partner_attached on deal { partner: partner }
event referred { by: list<partner>, note: {partner: partner?, text: text}? }
event rename { to: email }
when new_company then create company { name: event.name }
when new_partner then create partner { name: event.name }
when new_deal then create deal { title: event.title }
when partner_attached then {
  set partner = event.partner
  increment partner.earned
}
when referred then increment score by count(event.by)
when rename then set email = event.to
"""


@pytest.fixture
def engine():
    """Contact 1 (ada@), company 2, partner 3, deal 4, contact 5 (bob@)."""
    engine = make_engine(SCRIPT)
    engine.emit("new_company", "ada@example.com", {"name": "Acme"})
    engine.emit("new_partner", "ada@example.com", {"name": "Pat"})
    engine.emit("new_deal", "ada@example.com", {"title": "Big"})
    engine.emit("upsert", "bob@example.com", {})
    assert [(r.id, r.type) for r in engine.store.records()] == [
        (1, "contact"),
        (2, "company"),
        (3, "partner"),
        (4, "deal"),
        (5, "contact"),
    ]
    return engine


REFERENCES = [
    # (event, record, data, words the reason must contain)
    (
        "partner_attached",
        {"id": 4},
        {"partner": 1},
        ["partner_attached.partner", "record 1 is a contact, not a partner"],
    ),
    ("partner_attached", {"id": 4}, {"partner": 99}, ["partner_attached.partner", "no partner with id 99"]),
    ("referred", "ada@example.com", {"by": [3, 2]}, ["referred.by[1]", "record 2 is a company, not a partner"]),
    (
        "referred",
        "ada@example.com",
        {"by": [], "note": {"partner": 7, "text": "x"}},
        ["referred.note.partner", "no partner with id 7"],
    ),
    ("upsert", "ada@example.com", {"company": 3}, ["upsert.company", "record 3 is a partner, not a company"]),
    ("upsert", "new@example.com", {"company": 42}, ["upsert.company", "no company with id 42"]),
]


@pytest.mark.parametrize(
    "event, record, data, words", REFERENCES, ids=[f"{i}-{r[0]}" for i, r in enumerate(REFERENCES)]
)
def test_a_reference_to_a_missing_or_other_record_is_rejected(engine, event, record, data, words):
    before = snapshot(engine)
    with pytest.raises(InputError) as caught:
        engine.emit(event, record, data)
    for word in words:
        assert word in caught.value.message
    assert snapshot(engine) == before  # nothing written: no `earned` on contact 1, no new contact


def test_good_references_are_applied(engine):
    engine.emit("partner_attached", {"id": 4}, {"partner": 3})
    engine.emit("referred", "ada@example.com", {"by": [3, 3], "note": {"partner": None, "text": "x"}})
    engine.emit("upsert", "ada@example.com", {"company": 2})
    assert engine.record(4).properties["partner"] == 3
    assert engine.record(3).properties["earned"] == 1
    assert engine.record(1).properties["score"] == 2
    assert engine.record(1).properties["company"] == 2
    engine.emit("partner_attached", {"id": 4}, {"partner": 3}, key="again")  # later events on the deal still work
    assert engine.record(3).properties["earned"] == 2


def test_emit_many_and_import_check_references_the_same_way(engine):
    results = engine.emit_many(
        [
            {"event": "partner_attached", "record": {"id": 4}, "data": {"partner": 1}},
            {"event": "new_partner", "contact": "ada@example.com", "data": {"name": "Sam"}},  # creates partner 6
            {"event": "partner_attached", "record": {"id": 4}, "data": {"partner": 6}},  # seen within the batch
        ]
    )
    assert isinstance(results[0], InputError) and "record 1 is a contact, not a partner" in results[0].message
    assert not isinstance(results[2], Exception)
    assert engine.record(6).properties["earned"] == 1
    rows = engine.import_rows(
        [
            {"email": "cy@example.com", "company": "2"},
            {"email": "di@example.com", "company": "3"},
            {"email": "ed@example.com", "company": "99"},
        ]
    )
    assert not isinstance(rows[0], Exception)
    assert engine.record("cy@example.com").properties["company"] == 2
    assert "record 3 is a partner, not a company" in rows[1].message
    assert "no company with id 99" in rows[2].message
    assert engine.find("di@example.com") is None and engine.find("ed@example.com") is None


# ---- emails -------------------------------------------------------------------------------
def test_an_upsert_may_not_take_another_contact_s_email(engine):
    before = snapshot(engine)
    with pytest.raises(InputError, match="upsert.email: bob@example.com already belongs to contact 5"):
        engine.emit("upsert", "ada@example.com", {"email": "Bob@Example.com"})
    assert snapshot(engine) == before
    engine.emit("referred", "bob@example.com", {"by": [3]})  # bob's events still go to bob
    assert engine.record(5).properties["score"] == 1
    assert engine.record(1).properties["score"] == 0


def test_a_rule_may_not_give_a_contact_another_s_email(engine):
    before = snapshot(engine)
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit("rename", "ada@example.com", {"to": "bob@example.com"})
    assert caught.value.where == "rule at test.flow:20:1"  # `when rename then set email = ...`
    assert "contact 5 already has it" in caught.value.message
    assert snapshot(engine) == before
    engine.emit("rename", "ada@example.com", {"to": "ada@new.example"}, key="ok")  # a free one is fine
    assert engine.find("ada@new.example") == 1


def test_a_created_contact_may_not_take_a_used_email():
    engine = make_engine("""
event clone { email: email }
when clone then create contact { email: event.email }
""")
    engine.emit("upsert", "bob@example.com", {})
    with pytest.raises(LeadflowRuntimeError, match="bob@example.com already belongs to contact 1") as caught:
        engine.emit("clone", "ada@example.com", {"email": "bob@example.com"})
    assert caught.value.where  # names the rule
    assert [r.id for r in engine.store.records()] == [1]


def test_emails_stay_unique_through_a_batch(engine):
    results = engine.emit_many(
        [
            {"event": "upsert", "contact": "ada@example.com", "data": {"email": "ann@example.com"}},
            {"event": "upsert", "contact": "bob@example.com", "data": {"email": "ada@example.com"}},  # freed just now
            {"event": "upsert", "contact": "cy@example.com", "data": {"email": "ann@example.com"}},  # taken just now
        ]
    )
    assert not isinstance(results[0], Exception) and not isinstance(results[1], Exception)
    assert "ann@example.com already belongs to contact 1" in results[2].message
    assert engine.find("ann@example.com") == 1 and engine.find("ada@example.com") == 5
    assert engine.find("cy@example.com") is None
