"""Secrets given to `run` reach the webhook receiver and nothing else.

The enrichment example sends each new contact to a service with a bearer
token (ENRICH_KEY) and an HMAC signature (ENRICH_SIGNING_KEY). Here the
service is a real HTTP server on 127.0.0.1 that echoes the Authorization
header back in its reply, the way a careless service might; the values must
not turn up in anything Leadflow prints or stores, the SQLite files included.
"""

from __future__ import annotations

import json

import pytest
from cli_support import ENRICHMENT, Receiver, enrichment_script, leadflow

from leadflow.effects.webhooks import verify

BEARER = "s3cret-value"
SIGNING = "sign-9f2c71e4-value"


@pytest.fixture
def delivered(tmp_path, receiver: Receiver, monkeypatch):
    """The enrichment example imported and run, its webhooks delivered to the receiver."""
    script = enrichment_script(tmp_path, receiver.url)
    db = tmp_path / "crm.db"
    imported = leadflow("import", script, ENRICHMENT / "contacts.csv", "--db", db, "--secret", f"ENRICH_KEY={BEARER}")
    assert imported.code == 0, imported.stderr
    monkeypatch.setenv("LEADFLOW_SECRET_ENRICH_SIGNING_KEY", SIGNING)  # the other way to give a secret
    result = leadflow(
        "run",
        script,
        "--events",
        ENRICHMENT / "events.jsonl",
        "--db",
        db,
        "--secret",
        f"ENRICH_KEY={BEARER}",
        "--allow-private-webhooks",
    )
    assert result.code == 0, result.stderr
    assert "4 event(s) applied, 0 already seen, 0 rejected" in result.stdout
    assert "outbox: 3 sent, 0 to retry, 0 dead" in result.stdout
    return db, [imported, result]


def test_webhooks_carry_the_bearer_token_and_a_valid_signature(delivered, receiver):
    assert len(receiver.received) == 3
    emails = set()
    for request in receiver.received:
        assert (request.method, request.path) == ("POST", "/v1/person")
        assert request.headers["Authorization"] == f"Bearer {BEARER}"
        assert request.headers["X-Source"] == "leadflow"
        assert verify(
            SIGNING,
            "POST",
            f"{receiver.url}/v1/person",
            request.headers["X-Leadflow-Timestamp"],
            request.body,
            request.headers["X-Leadflow-Signature"],
        )
        emails.add(json.loads(request.body)["email"])
    assert emails == {"ada@example.com", "grace@example.com", "linus@example.com"}


def test_secret_values_are_never_printed_or_stored(delivered, tmp_path):
    db, earlier = delivered
    shown = [r.stdout + r.stderr for r in earlier]
    shown.append(leadflow("export", "--db", db).stdout)
    shown.append(leadflow("outbox", "--db", db, "--format", "json").stdout)
    shown.append(leadflow("outbox", "--db", db).stdout)
    for email in ("ada@example.com", "grace@example.com", "linus@example.com"):
        history = leadflow("history", email, "--db", db, "--format", "json")
        assert history.code == 0
        shown.append(history.stdout)
    for text in shown:
        assert BEARER not in text
        assert SIGNING not in text

    files = [p for p in tmp_path.iterdir() if p.name.startswith(db.name)]  # the database, its WAL and SHM
    assert db in files
    for path in files:
        data = path.read_bytes()
        assert BEARER.encode() not in data, path
        assert SIGNING.encode() not in data, path


def test_the_outbox_names_the_secrets_and_keeps_the_reply_scrubbed(delivered, tmp_path):
    db, _ = delivered
    effects = leadflow("outbox", "--db", db, "--format", "json").json_lines()
    assert [e["status"] for e in effects] == ["sent"] * 3
    for effect in effects:
        assert effect["payload"]["auth_bearer"] == "ENRICH_KEY"
        assert effect["payload"]["sign_with"] == "ENRICH_SIGNING_KEY"
    # The receiver's reply is stored (outbox does not show it): with the token replaced.
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(db.name))
    assert b'"you_sent":"Bearer ***"' in stored


def test_the_callbacks_enriched_the_contacts(delivered):
    db, _ = delivered
    contacts = {r["properties"]["email"]: r for r in leadflow("export", "--db", db).json_lines()}
    assert contacts["ada@example.com"]["properties"]["segment"] == "enterprise"
    assert contacts["ada@example.com"]["lists"] == ["enterprise_accounts"]
    assert contacts["grace@example.com"]["properties"]["segment"] == "small_business"
    assert contacts["linus@example.com"]["properties"]["segment"] == "unknown"


def test_without_the_secret_the_webhook_dies_and_names_only_the_secret(tmp_path, receiver):
    script = enrichment_script(tmp_path, receiver.url)
    db = tmp_path / "crm.db"
    leadflow("import", script, ENRICHMENT / "contacts.csv", "--db", db)
    result = leadflow(
        "run",
        script,
        "--events",
        ENRICHMENT / "events.jsonl",
        "--db",
        db,
        "--secret",
        f"ENRICH_SIGNING_KEY={SIGNING}",
        "--allow-private-webhooks",
    )
    assert result.code == 0
    assert "outbox: 0 sent, 0 to retry, 3 dead" in result.stdout
    assert receiver.received == []
    errors = {e["last_error"] for e in leadflow("outbox", "--db", db, "--format", "json").json_lines()}
    assert errors == {"secret 'ENRICH_KEY' (auth_bearer) is not configured"}


@pytest.mark.parametrize("command", ["run", "deliver"])
def test_a_value_with_a_newline_stops_the_command_before_the_database_is_opened(tmp_path, monkeypatch, command):
    """The usual mistake: `LEADFLOW_SECRET_X=$(cat key.txt)` keeps the file's last newline."""
    monkeypatch.setenv("LEADFLOW_SECRET_ENRICH_KEY", "k-5f0e9a3b7c\n")
    db = tmp_path / "crm.db"
    args = ["--db", db, "--email", tmp_path / "mail"]
    if command == "run":
        args = [ENRICHMENT / "enrichment.flow", "--events", ENRICHMENT / "events.jsonl", *args]
    result = leadflow(command, *args)
    assert result.code == 4
    assert result.stderr.strip() == (
        "error: secret ENRICH_KEY: its value has a line break; a secret must be "
        "printable ASCII without surrounding blanks, since it is sent in an HTTP header"
    )
    assert "k-5f0e9a3b7c" not in result.text
    assert list(tmp_path.iterdir()) == []


def test_a_secret_option_without_a_name_is_refused_without_echoing_it():
    result = leadflow("deliver", "--secret", "s3cret-token-value")
    assert result.code == 2 and "NAME=VALUE" in result.stderr
    assert "s3cret-token-value" not in result.text
