"""`leadflow explain SCRIPT CONTACT [RULE] --db PATH`: why rules fire or not,
on a database the lifecycle example's contacts and events went into."""

from __future__ import annotations

import pytest
from cli_support import LIFECYCLE, leadflow

SCRIPT = LIFECYCLE / "lifecycle.flow"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explain")
    db = folder / "crm.db"
    assert leadflow("import", SCRIPT, LIFECYCLE / "contacts.csv", "--db", db, "--email", folder / "out").code == 0
    leadflow("run", SCRIPT, "--events", LIFECYCLE / "events.jsonl", "--db", db, "--email", folder / "out")
    return db


def test_explain_one_rule_for_a_contact(db):
    result = leadflow("explain", SCRIPT, "grace@example.com", "MQL to SQL", "--db", db, "--at", "2026-11-26T09:00")
    assert result.code == 0
    assert result.stdout.splitlines() == [
        "contact 2 (grace@example.com), at 2026-11-26T09:00Z",
        "",
        f'✗ rule "MQL to SQL"   {SCRIPT}:50:1',
        "  when matching lifecycle == mql and score > 90 and last_activity > now() - 6 weeks",
        "  does not match now; it fires when it starts to match",
        "  ✗ matching lifecycle == mql and score > 90 and last_activity > now() - 6 weeks",
        "    ✗ lifecycle == mql   (lifecycle = sql)",
        "    ✓ score > 90   (score = 100)",
        "    ✓ last_activity > now() - 6 weeks   (last_activity = 2026-11-25T15:00Z, now() - 6 weeks = 2026-10-15T09:00Z)",
        "  history: 2 changes to this record by this rule, the last at 2026-11-25T15:00Z",
    ]


def test_explain_every_rule_by_contact_id(db):
    result = leadflow("explain", SCRIPT, "1", "--db", db)
    assert result.code == 0
    titles = [line for line in result.stdout.splitlines() if line[:2] in ("✓ ", "✗ ", "? ")]
    assert [t.split("   ")[0] for t in titles] == [
        '✓ rule "Activity counts"',
        '✓ rule "Page views count a little"',
        '✗ rule "Any form makes a lead"',
        '✗ rule "Qualify marketing leads"',
        '✗ rule "MQL to SQL"',
    ]


def test_the_time_decides_conditions_on_now(db):
    late = leadflow("explain", SCRIPT, "grace@example.com", "MQL to SQL", "--db", db, "--at", "2027-06-01")
    assert "    ✗ last_activity > now() - 6 weeks   (last_activity = 2026-11-25T15:00Z" in late.stdout


def test_an_unknown_rule_is_a_usage_error_with_a_suggestion(db):
    result = leadflow("explain", SCRIPT, "ada@example.com", "MQL to SLQ", "--db", db)
    assert result.code == 2
    assert "no rule or workflow named `MQL to SLQ`; did you mean `MQL to SQL`?" in result.stderr


def test_an_unknown_contact_exits_3(db):
    result = leadflow("explain", SCRIPT, "nobody@example.com", "--db", db)
    assert (result.code, result.stderr.strip()) == (3, "no contact nobody@example.com")


def test_a_missing_database_is_a_usage_error(tmp_path):
    result = leadflow("explain", SCRIPT, "ada@example.com", "--db", tmp_path / "none.db")
    assert result.code == 2 and "no database at" in result.stderr


def test_a_script_with_errors_exits_1(db, tmp_path):
    script = tmp_path / "bad.flow"
    script.write_text("when created then set nope = 1\n")
    result = leadflow("explain", script, "ada@example.com", "--db", db)
    assert result.code == 1 and "error[E202]" in result.stderr
