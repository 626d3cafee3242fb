"""import_rows: CSV-like rows of text cells become typed, idempotent upserts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from engine_support import CONTACT
from leadflow import EmitResult, InputError

SCRIPT = (
    CONTACT.replace("  first_name: text\n", "  first_name: text\n  signed_up: date\n")
    + """
list imported
rule "imported" when created then add to imported
"""
)

CSV = """email,first_name,score,vip,lifecycle,last_activity,visits,signed_up
ada@example.com,Ada,42,yes,lead,2026-11-20T10:00:00Z,3,2026-01-31
bob@example.com,Bob,1_000,false,mql,2026-11-21,,
cy@example.com,Cy,2.5,true,customer,,-4,
"""


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_cells_are_typed(engine_for):
    engine = engine_for(SCRIPT)
    results = engine.import_rows(rows(CSV))
    assert all(isinstance(r, EmitResult) and not r.duplicate for r in results)
    ada = engine.record("ada@example.com").properties
    assert ada["first_name"] == "Ada" and ada["score"] == 42 and type(ada["score"]) is int
    assert ada["vip"] is True and ada["lifecycle"] == "lead" and ada["visits"] == 3
    assert ada["last_activity"] == dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    assert ada["signed_up"] == dt.date(2026, 1, 31)
    bob = engine.record("bob@example.com").properties
    assert bob["score"] == 1000 and bob["vip"] is False and bob["lifecycle"] == "mql"
    assert bob["last_activity"] == dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    assert "visits" not in bob and "signed_up" not in bob  # empty cells leave a property alone
    cy = engine.record("cy@example.com").properties
    assert cy["score"] == 2.5 and cy["visits"] == -4 and cy["lifecycle"] == "customer"
    assert engine.store.list_members("imported") == [1, 2, 3]


def test_empty_cells_do_not_clear_existing_values(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("upsert", "bob@example.com", {"visits": 9})
    engine.import_rows(rows(CSV))
    assert engine.record("bob@example.com").properties["visits"] == 9


@pytest.mark.parametrize(
    "cell, value, words",
    [
        ("score", "lots", "upsert.score: 'lots' is not a valid number"),
        ("score", "nan", "upsert.score"),
        ("score", "inf", "upsert.score"),
        ("vip", "maybe", "upsert.vip: expected true or false, got text"),
        ("lifecycle", "leed", "upsert.lifecycle: 'leed' is not one of subscriber, lead"),
        ("last_activity", "yesterday", "upsert.last_activity: 'yesterday' is not a valid datetime"),
        ("signed_up", "31/01/2026", "upsert.signed_up: '31/01/2026' is not a valid date"),
        ("shoe_size", "42", "contact property `shoe_size` does not exist"),
        ("email", "not-an-email", "contact: 'not-an-email' is not an email address"),
        ("email", "", "the row has no email"),
    ],
)
def test_a_bad_cell_rejects_only_its_row(engine_for, cell, value, words):
    engine = engine_for(SCRIPT)
    table = rows(CSV)
    table[1][cell] = value
    seen = []
    results = engine.import_rows(table, on_result=lambda number, outcome: seen.append((number, type(outcome).__name__)))
    assert isinstance(results[1], InputError)
    assert words in results[1].message
    assert seen == [(1, "EmitResult"), (2, "InputError"), (3, "EmitResult")]
    assert engine.find("ada@example.com") is not None and engine.find("cy@example.com") is not None
    assert engine.find("bob@example.com") is None
    assert engine.store.count_records() == 2
    assert len(engine.store.events()) == 2


def test_reimporting_the_same_rows_changes_nothing(engine_for):
    engine = engine_for(SCRIPT)
    engine.import_rows(rows(CSV))
    history = {r.id: len(engine.store.history(r.id)) for r in engine.store.records()}
    engine.clock.advance(dt.timedelta(days=1))
    again = engine.import_rows(rows(CSV))
    assert all(r.duplicate for r in again)
    assert {r.id: len(engine.store.history(r.id)) for r in engine.store.records()} == history
    assert len(engine.store.events()) == 3
    # a changed row is a new event for that row only
    table = rows(CSV)
    table[0]["score"] = "43"
    changed = engine.import_rows(table)
    assert [r.duplicate for r in changed] == [False, True, True]
    assert engine.record("ada@example.com").properties["score"] == 43


def test_whitespace_around_cells_is_tolerated(engine_for):
    engine = engine_for(SCRIPT)
    engine.import_rows([{"email": " ada@example.com ", "score": " 7 ", "vip": " Yes ", "first_name": " Ada "}])
    props = engine.record("ada@example.com").properties
    assert props["score"] == 7 and props["vip"] is True
    assert props["first_name"] == "Ada"
