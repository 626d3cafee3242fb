"""`leadflow import` and `leadflow run` on the lifecycle example, and what
`export` and `history` then show.

The example's events.jsonl has two deliberate mistakes: line 12 names an
unknown event (a typo of form_submitted) and line 13 has a page URL that is
not a URL. Everything else must be applied, and exit code 3 says "some input
was rejected".
"""

from __future__ import annotations

import json
import datetime as dt
from pathlib import Path

import attrs
import pytest
from cli_support import LIFECYCLE, Outcome, form, jsonl, leadflow, rejected_lines

SCRIPT = LIFECYCLE / "lifecycle.flow"
EVENTS = LIFECYCLE / "events.jsonl"


@attrs.frozen
class Crm:
    """A database in tmp_path with the example contacts imported."""

    db: str
    outbox: str

    def run(self, *args, events=EVENTS, input=None) -> Outcome:
        return leadflow("run", SCRIPT, "--events", events, "--db", self.db, "--email", self.outbox, *args, input=input)

    def export(self) -> list[dict]:
        result = leadflow("export", "--db", self.db)
        assert result.code == 0, result.stderr
        return result.json_lines()

    def contacts(self) -> dict[str, dict]:
        return {r["properties"]["email"]: r for r in self.export() if r["type"] == "contact"}


@pytest.fixture
def crm(tmp_path) -> Crm:
    crm = Crm(str(tmp_path / "crm.db"), str(tmp_path / "outbox"))
    result = leadflow("import", SCRIPT, LIFECYCLE / "contacts.csv", "--db", crm.db)
    assert result.code == 0, result.stderr
    assert "5 row(s) imported, 0 already imported, 0 rejected" in result.stdout
    return crm


# ---- run ----------------------------------------------------------------------------------
def test_run_applies_events_and_rejects_lines_12_and_13(crm):
    result = crm.run()
    assert result.code == 3
    rejected = rejected_lines(result.stderr)
    assert set(rejected) == {12, 13}
    assert "unknown event `form_submited`" in rejected[12]
    assert "did you mean `form_submitted`?" in rejected[12]
    assert "not a url" in rejected[13]
    assert "URL" in rejected[13]
    assert "12 event(s) applied, 0 already seen, 2 rejected" in result.stdout
    assert "0 to retry, 0 dead" in result.stdout

    contacts = crm.contacts()
    assert contacts["grace@example.com"]["properties"]["lifecycle"] == "sql"
    assert contacts["grace@example.com"]["lists"] == ["engaged"]
    assert contacts["barbara@example.com"]["properties"]["lifecycle"] == "sql"
    assert contacts["ada@example.com"]["properties"]["score"] == 70  # line 12 did not add 25
    assert "new.visitor@example.com" in contacts  # line 6 created a contact, line 14 still applied
    assert {p.suffix for p in Path(crm.outbox).iterdir()} == {".eml"}


def test_commands_close_the_database_and_leave_no_log_behind(crm):
    # in-process, as every CliRunner test: a store left open would keep its -wal file
    assert crm.run().code == 3
    assert not Path(f"{crm.db}-wal").exists()
    crm.export()
    assert not Path(f"{crm.db}-wal").exists()


def test_rerun_applies_nothing_new_and_leaves_the_store_unchanged(crm):
    assert crm.run().code == 3
    before = crm.export()
    outbox_before = leadflow("outbox", "--db", crm.db, "--format", "json").stdout
    history_before = leadflow("history", "grace@example.com", "--db", crm.db, "--format", "json").stdout

    again = crm.run()
    assert again.code == 3  # lines 12 and 13 are still wrong
    assert "0 event(s) applied, 12 already seen, 2 rejected" in again.stdout
    assert "outbox: 0 sent" in again.stdout
    assert crm.export() == before
    assert leadflow("outbox", "--db", crm.db, "--format", "json").stdout == outbox_before
    assert leadflow("history", "grace@example.com", "--db", crm.db, "--format", "json").stdout == history_before


def test_run_reads_events_from_stdin(crm):
    result = crm.run(events="-", input=EVENTS.read_text("utf-8"))
    assert result.code == 3
    assert set(rejected_lines(result.stderr)) == {12, 13}
    assert "12 event(s) applied, 0 already seen, 2 rejected" in result.stdout
    assert crm.contacts()["grace@example.com"]["properties"]["lifecycle"] == "sql"


def test_malformed_lines_are_rejected_by_number_and_the_rest_applied(crm, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(
        jsonl(
            form("ada@example.com"),
            "",  # blank lines are skipped but still counted
            '{"event": "form_submitted", "contact": ',
            "[1, 2, 3]",
            form("grace@example.com"),
        ),
        "utf-8",
    )
    result = crm.run("--no-deliver", events=events)
    assert result.code == 3
    rejected = rejected_lines(result.stderr)
    assert set(rejected) == {3, 4}
    assert rejected[3].startswith("not valid JSON")
    assert "JSON object" in rejected[4]
    assert "2 event(s) applied, 0 already seen, 2 rejected" in result.stdout
    contacts = crm.contacts()
    assert contacts["ada@example.com"]["properties"]["score"] == 40 + 25
    assert contacts["grace@example.com"]["properties"]["score"] == 20 + 25


def test_a_line_that_is_not_utf8_is_rejected_by_number(crm, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_bytes(
        jsonl(form("ada@example.com")).encode()
        + b'{"event": "caf\xe9"}\n'
        + jsonl(form("grace@example.com", name="caf\u00e9")).encode()
    )
    result = crm.run("--no-deliver", events=events)
    assert result.code == 3
    assert set(rejected_lines(result.stderr)) == {2}
    assert "UTF-8" in rejected_lines(result.stderr)[2]
    assert "2 event(s) applied" in result.stdout


def test_bad_event_data_is_rejected_with_the_field(crm, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(
        jsonl(
            {"event": "form_submitted", "contact": "ada@example.com", "at": "2020-01-06T09:00:00Z", "data": {}},
            {"event": "upsert", "contact": "ada@example.com", "at": "2020-01-06T09:00:00Z", "data": {"score": "lots"}},
            form("grace@example.com"),
        ),
        "utf-8",
    )
    result = crm.run("--no-deliver", events=events)
    assert result.code == 3
    rejected = rejected_lines(result.stderr)
    assert set(rejected) == {1, 2}
    assert "form" in rejected[1]
    assert "score" in rejected[2] and "number" in rejected[2]
    assert crm.contacts()["ada@example.com"]["properties"]["score"] == 40


def test_clean_event_file_exits_0(crm, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(jsonl(form("ada@example.com"), form("ada@example.com", at="2020-01-07T09:00:00Z")), "utf-8")
    result = crm.run("--no-deliver", events=events)
    assert result.code == 0
    assert result.stderr == ""
    assert "2 event(s) applied, 0 already seen, 0 rejected" in result.stdout
    assert "outbox:" not in result.stdout  # --no-deliver


def test_run_with_script_errors_exits_1_and_changes_nothing(crm, tmp_path):
    broken = tmp_path / "broken.flow"
    broken.write_text(SCRIPT.read_text("utf-8").replace("set lifecycle = mql", "set lifecycle = mqll"), "utf-8")
    before = crm.export()
    result = leadflow("run", broken, "--events", EVENTS, "--db", crm.db)
    assert result.code == 1
    assert f"{broken}:" in result.stderr and "error[E201]" in result.stderr
    assert "event(s) applied" not in result.stdout
    assert crm.export() == before


def test_an_unbound_extern_warns_and_rejects_the_events_that_need_it(tmp_path):
    example = LIFECYCLE.parent / "assignment"
    db = tmp_path / "crm.db"
    assert leadflow("import", example / "assignment.flow", example / "contacts.csv", "--db", db).code == 0
    result = leadflow(
        "run", example / "assignment.flow", "--events", example / "events.jsonl", "--db", db, "--no-deliver"
    )
    assert result.code == 3
    assert "warning: extern fn `team_availability`" in result.stderr
    rejected = rejected_lines(result.stderr)
    assert set(rejected) == {1, 2, 3}
    assert all('runtime error in rule "Assign new SQLs"' in reason for reason in rejected.values())


# ---- import ----------------------------------------------------------------------------------
def test_import_rejects_a_bad_cell_by_row_number(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "email,first_name,score\nada@example.com,Ada,40\ngrace@example.com,Grace,lots\nlinus@example.com,Linus,70\n",
        "utf-8",
    )
    db = tmp_path / "crm.db"
    result = leadflow("import", SCRIPT, contacts, "--db", db)
    assert result.code == 3
    assert "2 row(s) imported, 0 already imported, 1 rejected" in result.stdout
    assert result.stderr.startswith("row 3: rejected: ")  # the header is row 1
    assert "score" in result.stderr and "'lots'" in result.stderr
    emails = {r["properties"]["email"] for r in leadflow("export", "--db", db).json_lines()}
    assert emails == {"ada@example.com", "linus@example.com"}


def test_import_rejects_a_row_without_email(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,first_name\nada@example.com,Ada\n,Nobody\n", "utf-8")
    result = leadflow("import", SCRIPT, contacts, "--db", tmp_path / "crm.db")
    assert result.code == 3
    assert result.stderr.startswith("row 3: rejected: ")
    assert "email" in result.stderr


def test_import_reads_a_bom_and_quoted_line_breaks(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes('\ufeffemail,company\r\nada@example.com,"Analytical\r\nEngines"\r\n'.encode())
    db = tmp_path / "crm.db"
    result = leadflow("import", SCRIPT, contacts, "--db", db)
    assert result.code == 0, result.stderr
    [record] = leadflow("export", "--db", db).json_lines()
    assert record["properties"]["company"] == "Analytical\r\nEngines"


def test_import_of_a_csv_that_is_not_utf8_is_a_usage_error(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes("email,company\nada@example.com,Café\n".encode("latin-1"))
    result = leadflow("import", SCRIPT, contacts, "--db", tmp_path / "crm.db")
    assert result.code == 2
    assert "not UTF-8" in result.stderr


def test_reimport_updates_rather_than_duplicates(crm):
    assert leadflow("import", SCRIPT, LIFECYCLE / "contacts.csv", "--db", crm.db).code == 0
    assert len(crm.contacts()) == 5
    assert len(crm.export()) == 5


# ---- export ------------------------------------------------------------------------------------
def test_export_prints_one_json_object_per_record(crm):
    crm.run()
    records = crm.export()
    assert len(records) == 6
    assert len({r["id"] for r in records}) == 6
    for record in records:
        assert {"id", "type", "properties", "lists"} <= record.keys()
        assert record["type"] == "contact"
        assert isinstance(record["properties"], dict) and isinstance(record["lists"], list)
    ada = crm.contacts()["ada@example.com"]
    # now() is the later of the wall clock and the event's time, so this depends on the day the test runs.
    last_activity = dt.datetime.fromisoformat(ada["properties"].pop("last_activity"))
    assert last_activity >= dt.datetime(2026, 11, 23, 9, 5, tzinfo=dt.UTC)
    assert ada["properties"] == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "company": "Analytical Engines",
        "persona": "buyer",
        "lifecycle": "mql",
        "score": 70,
    }
    assert ada["lists"] == []


def test_export_filters_by_type(tmp_path):
    example = LIFECYCLE.parent / "deals"
    db = tmp_path / "crm.db"
    assert leadflow("import", example / "deals.flow", example / "contacts.csv", "--db", db).code == 0
    assert (
        leadflow("run", example / "deals.flow", "--events", example / "events.jsonl", "--db", db, "--no-deliver").code
        == 0
    )
    [deal] = leadflow("export", "--db", db, "--type", "deal").json_lines()
    assert deal["properties"]["stage"] == "won"
    assert deal["properties"]["amount"] == 12000
    contacts = leadflow("export", "--db", db, "--type", "contact").json_lines()
    assert {c["type"] for c in contacts} == {"contact"}
    assert len(leadflow("export", "--db", db).json_lines()) == len(contacts) + 1


def test_export_of_a_missing_database_is_a_usage_error(tmp_path):
    result = leadflow("export", "--db", tmp_path / "missing.db")
    assert result.code == 2
    assert "no database" in result.stderr
    assert not (tmp_path / "missing.db").exists()


# ---- history -------------------------------------------------------------------------------------
def test_history_json_shows_each_change_with_its_cause(crm):
    crm.run()
    result = leadflow("history", "ada@example.com", "--db", crm.db, "--format", "json")
    assert result.code == 0
    entries = result.json_lines()
    assert entries[0]["kind"] == "created"
    for entry in entries:
        assert {"at", "kind", "field", "old", "new", "cause"} <= entry.keys()
    lifecycle = [(e["old"], e["new"], e["cause"]) for e in entries if e["kind"] == "set" and e["field"] == "lifecycle"]
    assert lifecycle == [
        ("subscriber", "lead", 'rule "Any form makes a lead"'),
        ("lead", "mql", 'rule "Qualify marketing leads"'),
    ]
    scores = [e["new"] for e in entries if e["field"] == "score"]
    assert scores == [40, 45, 70]


def test_history_table(crm):
    crm.run()
    result = leadflow("history", "grace@example.com", "--db", crm.db)
    assert result.code == 0
    assert "contact 2 (grace@example.com)" in result.stdout
    for word in ("at", "change", "old", "new", "cause", "created", '"sql"', "engaged"):
        assert word in result.stdout


def test_history_by_id_matches_by_email(crm):
    crm.run()
    by_email = leadflow("history", "grace@example.com", "--db", crm.db, "--format", "json")
    by_id = leadflow("history", "2", "--db", crm.db, "--format", "json")
    assert by_id.code == 0
    assert by_id.stdout == by_email.stdout


def test_history_of_an_unknown_contact(crm):
    result = leadflow("history", "nobody@example.com", "--db", crm.db)
    assert result.code == 3
    assert "no contact nobody@example.com" in result.stderr


# ---- options and host failures ---------------------------------------------------------------
def test_secret_without_a_value_is_a_usage_error(crm):
    result = crm.run("--secret", "ENRICH_KEY")
    assert result.code == 2
    assert "NAME=VALUE" in result.stderr


def test_unknown_time_zone_is_a_usage_error(crm):
    result = crm.run("--timezone", "Mars/Olympus_Mons")
    assert result.code == 2
    assert "Mars/Olympus_Mons" in result.stderr


def test_database_that_cannot_be_opened_exits_4(tmp_path):
    result = leadflow("import", SCRIPT, LIFECYCLE / "contacts.csv", "--db", tmp_path / "no" / "crm.db")
    assert result.code == 4
    assert result.stderr.startswith("error: ")


def test_file_that_is_not_a_database_exits_2(tmp_path):
    """A usage error (the wrong --db), as test_cli_database.py tests for every command."""
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello\n" * 200, "utf-8")
    result = leadflow("export", "--db", not_a_db)
    assert result.code == 2
    assert "not a Leadflow database" in result.stderr


def test_bad_smtp_url_exits_4_before_applying_anything(crm):
    before = leadflow("export", "--db", crm.db).stdout
    result = leadflow("run", SCRIPT, "--events", EVENTS, "--db", crm.db, "--email", "smtp://")
    assert result.code == 4
    assert "applied" not in result.stdout
    assert "error: " in result.stderr and "SMTP" in result.stderr
    assert leadflow("export", "--db", crm.db).stdout == before  # nothing was applied


def test_a_long_event_file_runs_with_a_progress_bar(crm, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(jsonl(*(form(f"visitor{i % 50}@example.com", name=f"form {i}") for i in range(2100))), "utf-8")
    result = crm.run("--no-deliver", events=events)
    assert result.code == 0, result.stderr
    assert "2100 event(s) applied, 0 already seen, 0 rejected" in result.stdout
    assert "rejected:" not in result.stderr


def test_lines_without_id_or_time_apply_once_across_reruns(tmp_path):
    script = tmp_path / "visits.flow"
    script.write_text(
        "object contact { visits: number = 0 }\nevent visit { page: text }\nwhen visit then increment visits\n", "utf-8"
    )
    events = tmp_path / "visits.jsonl"
    line = '{"event": "visit", "contact": "carol@example.com", "data": {"page": "home"}}\n'
    events.write_text(line * 2, "utf-8")  # two identical visits are two visits
    db = str(tmp_path / "v.db")
    assert leadflow("run", script, "--events", events, "--db", db).code == 0
    again = leadflow("run", script, "--events", events, "--db", db)
    assert "0 event(s) applied, 2 already seen" in again.stdout
    exported = json.loads(leadflow("export", "--db", db).stdout)
    assert exported["properties"]["visits"] == 2
