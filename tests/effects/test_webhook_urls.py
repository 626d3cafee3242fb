"""A query built with `url_query` and `url_encode` arrives as written: a real server
on 127.0.0.1 parses back exactly the values the script had."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

from leadflow import Engine, SimulatedClock


def test_a_webhook_query_arrives_as_written(tmp_path, http_server):
    script = f"""
object contact {{ company: text }}
event go {{}}
rule "Look up" when go then {{
  let q = url_query({{email: email, company: company}})
  webhook get "{http_server.url("/find")}?{{q}}&again={{url_encode(company ?? "")}}"
}}
"""
    engine = Engine.from_source(
        script,
        "t.flow",
        allow_private_webhooks=True,
        email=str(tmp_path),
        clock=SimulatedClock(dt.datetime(2026, 1, 5, tzinfo=dt.UTC)),
    )
    engine.emit("upsert", "a+b@example.com", {"company": "AT&T #1 café"})
    engine.emit("go", "a+b@example.com", {})
    assert engine.deliver().sent == 1
    [request] = http_server.received
    path, _, query = request.path.partition("?")
    assert path == "/find"
    assert parse_qsl(query) == [("email", "a+b@example.com"), ("company", "AT&T #1 café"), ("again", "AT&T #1 café")]
