"""Each example under examples/ runs end to end on its own data.

The workflow examples (nurturing, cleanup, ab_test, webinar, birthday,
ticket_sla) have a test module each.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from examples_support import EXAMPLES, events, load, props
from rich.console import Console

from leadflow import Engine
from leadflow.demo import run_demo
from leadflow.effects.webhooks import verify


def test_lifecycle_demo(tmp_path):
    console = Console(record=True, width=120)
    assert run_demo(tmp_path, console) == 0
    text = console.export_text()
    assert "line 12: rejected" in text and "did you mean `form_submitted`" in text
    assert "line 13: rejected" in text and "not an http(s) URL" in text
    engine = Engine.from_source(
        (EXAMPLES / "lifecycle" / "lifecycle.flow").read_text(), store=str(tmp_path / "leadflow.db")
    )
    expected = {
        "ada@example.com": "mql",
        "grace@example.com": "sql",
        "linus@example.com": "lead",
        "margaret@example.com": "lead",
        "barbara@example.com": "sql",
        "new.visitor@example.com": "lead",
    }
    assert {email: props(engine, email)["lifecycle"] for email in expected} == expected
    assert sorted(engine.record(e).properties["email"] for e in expected if "engaged" in engine.record(e).lists) == [
        "barbara@example.com",
        "grace@example.com",
    ]
    emails = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(emails) == 6  # one welcome per contact that became a lead
    assert "New SQL: Grace (Compilers Inc), score 100" in text


def test_lifecycle_rules_do_not_demote():
    engine = load("lifecycle")
    engine.emit("upsert", "ada@example.com", {"lifecycle": "customer"})
    engine.emit("form_submitted", "ada@example.com", {"form": "support"})
    assert props(engine, "ada@example.com")["lifecycle"] == "customer"


class EnrichmentServer(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def enrichment_server():
    EnrichmentServer.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), EnrichmentServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1/person", EnrichmentServer.received
    server.shutdown()


def test_enrichment_by_webhook(enrichment_server, tmp_path):
    url, received = enrichment_server
    script = (
        (EXAMPLES / "enrichment" / "enrichment.flow").read_text().replace("https://enrich.example.com/v1/person", url)
    )
    secrets = {"ENRICH_KEY": "bearer-secret", "ENRICH_SIGNING_KEY": "signing-secret"}
    engine = load("enrichment", script_text=script, secrets=secrets, allow_private_webhooks=True, email=str(tmp_path))
    for item in events("enrichment"):
        engine.emit_record(item)
    report = engine.deliver()
    assert report.sent == 3 and report.dead == 0
    bodies = []
    for headers, body in received:
        assert headers["Authorization"] == "Bearer bearer-secret"
        assert verify(
            "signing-secret", "POST", url, headers["X-Leadflow-Timestamp"], body, headers["X-Leadflow-Signature"]
        )
        assert headers["X-Source"] == "leadflow" and headers["Idempotency-Key"]
        bodies.append(json.loads(body))
    assert sorted(b["email"] for b in bodies) == ["ada@example.com", "grace@example.com", "linus@example.com"]
    assert props(engine, "ada@example.com")["segment"] == "enterprise"
    assert "enterprise_accounts" in engine.record("ada@example.com").lists
    assert props(engine, "grace@example.com")["segment"] == "small_business"
    assert props(engine, "linus@example.com")["segment"] == "unknown"
    stored = json.dumps([e.payload for e in engine.store.effects()])
    assert "bearer-secret" not in stored and "signing-secret" not in stored
    assert engine.deliver().sent == 0  # nothing is sent twice


def test_deals_follow_the_contact():
    engine = load("deals")
    for item in events("deals"):
        engine.emit_record(item)
    ada = engine.record("ada@example.com")
    assert ada.properties["lifecycle"] == "customer"
    deal = engine.record(3)
    assert deal.type == "deal" and deal.properties["contact"] == ada.id
    assert deal.properties["stage"] == "won" and deal.properties["amount"] == 12000
    assert engine.store.count_records("deal") == 1
    assert props(engine, "grace@example.com")["lifecycle"] == "mql"  # not an opportunity: no deal
    channels = sorted(e.payload["channel"] for e in engine.store.effects())
    assert channels == ["accounts", "sales"]


def test_assignment_through_a_host_function():
    engine = load("assignment")
    asked = []

    def team_availability(team: str) -> list:
        asked.append(team)
        return {
            "sales-emea": [{"rep": "Ines", "open_leads": 7}, {"rep": "Jonas", "open_leads": 3}],
            "sales-us": [{"rep": "Maya", "open_leads": 1}],
        }.get(team, [])

    engine.bind("team_availability", team_availability)
    for item in events("assignment"):
        engine.emit_record(item)
    assert props(engine, "ada@example.com")["owner"] == "Jonas"
    assert props(engine, "grace@example.com")["owner"] == "Maya"
    assert props(engine, "linus@example.com")["owner"] == "unassigned"  # nobody free in apac
    assert asked == ["sales-emea", "sales-us", "sales-apac"]
