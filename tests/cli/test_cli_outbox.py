"""`leadflow outbox`, `deliver` and `replay`: effects pending, sent and dead.

A dead effect is made the way a user would meet one: a webhook to 127.0.0.1
queued by `run --no-deliver`, then `deliver` without --allow-private-webhooks,
which refuses a loopback address at once (no retries: it can never succeed).
"""

from __future__ import annotations

import pytest
from cli_support import LIFECYCLE, enrichment_script, jsonl, leadflow

SECRETS = ["--secret", "ENRICH_KEY=k-1", "--secret", "ENRICH_SIGNING_KEY=k-2"]


def new_contact(email: str, at: str = "2020-01-06T09:00:00Z") -> dict:
    return {"event": "upsert", "contact": email, "at": at, "data": {"first_name": "Linus"}}


@pytest.fixture
def queued(tmp_path, receiver):
    """A database holding one pending webhook to the local receiver."""
    script = enrichment_script(tmp_path, receiver.url)
    events = tmp_path / "events.jsonl"
    events.write_text(jsonl(new_contact("linus@example.com")), "utf-8")
    db = tmp_path / "crm.db"
    result = leadflow("run", script, "--events", events, "--db", db, "--no-deliver")
    assert result.code == 0, result.stderr
    assert "outbox:" not in result.stdout
    return db


def outbox_json(db) -> list[dict]:
    result = leadflow("outbox", "--db", db, "--format", "json")
    assert result.code == 0, result.stderr
    return result.json_lines()


def test_no_deliver_leaves_the_webhook_pending(queued, receiver):
    [effect] = outbox_json(queued)
    assert (effect["kind"], effect["status"], effect["attempts"]) == ("webhook", "pending", 0)
    assert effect["payload"]["url"] == f"{receiver.url}/v1/person"
    assert effect["payload"]["body"]["email"] == "linus@example.com"
    assert effect["payload"]["auth_bearer"] == "ENRICH_KEY"  # the secret's name, never its value
    assert receiver.received == []
    table = leadflow("outbox", "--db", queued)
    assert "1 pending, 0 sent, 0 dead" in table.stdout


def test_deliver_refuses_a_private_address_and_the_effect_dies(queued, receiver, tmp_path):
    result = leadflow("deliver", "--db", queued, "--email", tmp_path / "mail", *SECRETS)
    assert result.code == 0
    assert "outbox: 0 sent, 0 to retry, 1 dead" in result.stdout
    assert receiver.received == []
    [effect] = outbox_json(queued)
    assert (effect["status"], effect["attempts"]) == ("dead", 1)
    assert "non-public address 127.0.0.1" in effect["last_error"]

    table = leadflow("outbox", "--db", queued)
    assert table.code == 0
    assert "dead" in table.stdout and "webhook" in table.stdout
    assert "0 pending, 0 sent, 1 dead" in table.stdout
    assert [
        e["id"] for e in leadflow("outbox", "--db", queued, "--status", "dead", "--format", "json").json_lines()
    ] == [effect["id"]]
    assert leadflow("outbox", "--db", queued, "--status", "pending", "--format", "json").stdout == ""


def test_replay_all_dead_makes_it_pending_and_deliver_then_sends_it(queued, receiver, tmp_path):
    leadflow("deliver", "--db", queued, "--email", tmp_path / "mail")
    result = leadflow("replay", "--all-dead", "--db", queued)
    assert result.code == 0
    assert "1 effect(s) will be retried" in result.stdout
    [effect] = outbox_json(queued)
    assert (effect["status"], effect["attempts"]) == ("pending", 0)

    sent = leadflow("deliver", "--db", queued, "--email", tmp_path / "mail", "--allow-private-webhooks", *SECRETS)
    assert "outbox: 1 sent, 0 to retry, 0 dead" in sent.stdout
    assert [r.path for r in receiver.received] == ["/v1/person"]
    assert outbox_json(queued)[0]["status"] == "sent"


def test_replay_by_id(queued, tmp_path):
    leadflow("deliver", "--db", queued, "--email", tmp_path / "mail")
    [effect] = outbox_json(queued)
    result = leadflow("replay", str(effect["id"]), "--db", queued)
    assert result.code == 0
    assert outbox_json(queued)[0]["status"] == "pending"


def test_replay_of_an_effect_that_is_not_dead(queued):
    [effect] = outbox_json(queued)
    result = leadflow("replay", str(effect["id"]), "--db", queued)
    assert result.code == 3
    assert "pending, not dead" in result.stderr
    result = leadflow("replay", "999", "--db", queued)
    assert result.code == 3
    assert "no effect with id 999" in result.stderr


def test_replay_with_nothing_named_is_a_usage_error(queued):
    result = leadflow("replay", "--db", queued)
    assert result.code == 2
    assert "--all-dead" in result.stderr


def test_replay_all_dead_when_none_is_dead(queued):
    result = leadflow("replay", "--all-dead", "--db", queued)
    assert result.code == 0
    assert "0 effect(s) will be retried" in result.stdout


def test_deliver_and_replay_need_a_database(tmp_path):
    for command in (["deliver"], ["replay", "--all-dead"], ["outbox"]):
        result = leadflow(*command, "--db", tmp_path / "missing.db")
        assert result.code == 2, command
        assert "no database" in result.stderr


def test_outbox_of_the_lifecycle_run(tmp_path):
    db, mail = tmp_path / "crm.db", tmp_path / "mail"
    script = LIFECYCLE / "lifecycle.flow"
    leadflow("import", script, LIFECYCLE / "contacts.csv", "--db", db)
    leadflow("run", script, "--events", LIFECYCLE / "events.jsonl", "--db", db, "--email", mail)

    effects = outbox_json(db)
    assert {e["status"] for e in effects} == {"sent"}
    emails = [e for e in effects if e["kind"] == "email"]
    notes = [e for e in effects if e["kind"] == "notify"]
    assert len(emails) == len(list(mail.glob("*.eml"))) == 6
    assert [n["payload"]["message"] for n in notes] == [
        "New SQL: Grace (Compilers Inc), score 100",
        "New SQL: Barbara (Liskov Labs), score 120",
    ]
    for e in effects:
        assert {"id", "kind", "status", "attempts", "payload", "last_error", "key"} <= e.keys()

    table = leadflow("outbox", "--db", db)
    assert table.code == 0
    assert "email" in table.stdout and "notify" in table.stdout and "#sales" in table.stdout
    assert table.lines()[-1] == f"0 pending, {len(effects)} sent, 0 dead"
