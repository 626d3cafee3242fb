from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
from effects_support import NOW, Reply, free_port

from leadflow.effects.outbox import Deliverer
from leadflow.effects.webhooks import WebhookSender, check_address, sign, verify

SECRETS = {"ENRICH_KEY": "tok-3f9c1e7a-bearer", "HOOK_SECRET": "whsec-b7d2e0c4-signing"}


def hook(url: str, **fields) -> dict:
    payload = {
        "method": "POST",
        "url": url,
        "body": {"email": "ada@example.com", "score": 10},
        "headers": {},
        "auth_bearer": None,
        "sign_with": None,
        "timeout": None,
    }
    payload.update(fields)
    return payload


@pytest.fixture
def sender():
    sender = WebhookSender(SECRETS, allow_private=True)
    yield sender
    sender.close()


def deliverer(store, sender) -> Deliverer:
    return Deliverer(store, email_sender=None, webhook_sender=sender)


def test_success_sends_signed_authenticated_body_with_idempotency_key(http_server, sender, store):
    http_server.signing_secret = SECRETS["HOOK_SECRET"]
    http_server.script(Reply(200, {"company": "Analytical Engines", "employees": 3}))
    payload = hook(
        http_server.url("/enrich?v=1"),
        headers={"X-Source": "leadflow"},
        auth_bearer="ENRICH_KEY",
        sign_with="HOOK_SECRET",
    )
    effect = store.add("webhook", payload, key="evt-17:rule-3:0")

    report = deliverer(store, sender).deliver(NOW)

    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    assert effect.status == "sent"
    assert effect.response == {"company": "Analytical Engines", "employees": 3}
    [request] = http_server.received
    assert request.method == "POST" and request.path == "/enrich?v=1"
    assert request.body == b'{"email":"ada@example.com","score":10}'
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "evt-17:rule-3:0"
    assert request.headers["authorization"] == "Bearer tok-3f9c1e7a-bearer"
    assert request.headers["x-source"] == "leadflow"
    assert request.headers["x-leadflow-timestamp"] == str(int(NOW.timestamp()))
    assert request.signature_ok is True


def test_script_headers_cannot_override_ours(http_server, sender):
    payload = hook(http_server.url(), headers={"idempotency-key": "forged", "Content-Type": "text/plain"})
    assert sender.send(payload, "real-key", NOW).status == "ok"
    [request] = http_server.received
    assert request.headers["idempotency-key"] == "real-key"
    assert request.headers["content-type"] == "application/json"


def test_no_body_sends_and_signs_empty_bytes(http_server, sender):
    http_server.signing_secret = SECRETS["HOOK_SECRET"]
    outcome = sender.send(hook(http_server.url(), body=None, sign_with="HOOK_SECRET"), "k", NOW)
    assert outcome.status == "ok"
    assert http_server.received[0].body == b""
    assert http_server.received[0].signature_ok is True


def test_sign_and_verify():
    body = b'{"a":1}'
    signature = sign("s", "post", "https://x.test/h", 1700000000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify("s", "POST", "https://x.test/h", "1700000000", body, signature)
    assert not verify("s", "POST", "https://x.test/h", 1700000000, b'{"a":2}', signature)
    assert not verify("other", "POST", "https://x.test/h", 1700000000, body, signature)
    assert not verify("s", "POST", "https://x.test/h", 1700000001, body, signature)
    assert not verify("s", "POST", "https://x.test/h", "nonsense", body, signature)
    late = NOW.replace(year=2030)
    stamp = int(NOW.timestamp())
    fresh = sign("s", "POST", "u", stamp, body)
    assert verify("s", "POST", "u", stamp, body, fresh, now=NOW + timedelta(seconds=60))
    assert not verify("s", "POST", "u", stamp, body, fresh, now=late)


def test_server_error_then_success_across_two_runs(http_server, sender, store):
    http_server.script(Reply(500, "database on fire"), Reply(201, {"id": 9}))
    effect = store.add("webhook", hook(http_server.url()), key="k-500")
    run = deliverer(store, sender)

    assert run.deliver(NOW).retried == 1
    assert effect.status == "pending" and effect.attempts == 1
    assert effect.next_attempt_at == NOW + timedelta(minutes=1)
    assert effect.last_error.startswith("HTTP 500") and "database on fire" in effect.last_error

    assert run.deliver(NOW + timedelta(seconds=30)).sent == 0  # not due yet
    assert run.deliver(NOW + timedelta(seconds=61)).sent == 1
    assert effect.status == "sent" and effect.response == {"id": 9}
    assert [r.headers["idempotency-key"] for r in http_server.received] == ["k-500", "k-500"]


def test_429_retry_after_seconds_sets_the_next_attempt(http_server, sender, store):
    http_server.script(Reply(429, "slow down", {"Retry-After": "120"}))
    effect = store.add("webhook", hook(http_server.url()), attempts=4, first_attempt_at=NOW - timedelta(hours=1))
    assert deliverer(store, sender).deliver(NOW).retried == 1
    assert effect.next_attempt_at == NOW + timedelta(seconds=120)


def test_429_retry_after_http_date(http_server, sender):
    when = format_datetime(NOW + timedelta(minutes=5), usegmt=True)
    http_server.script(Reply(429, "", {"Retry-After": when}))
    outcome = sender.send(hook(http_server.url()), "k", NOW)
    assert (outcome.status, outcome.http_status, outcome.retry_after) == ("retry", 429, 300.0)


def test_client_error_is_dead_at_once(http_server, sender, store):
    http_server.script(Reply(400, {"error": "email is required"}))
    effect = store.add("webhook", hook(http_server.url()))
    report = deliverer(store, sender).deliver(NOW)
    assert (report.sent, report.retried, report.dead) == (0, 0, 1)
    assert effect.status == "dead" and "HTTP 400" in effect.last_error
    assert "email is required" in effect.last_error


def test_redirects_are_not_followed(http_server, sender):
    http_server.script(Reply(302, "", {"Location": "http://169.254.169.254/"}))
    outcome = sender.send(hook(http_server.url()), "k", NOW)
    assert (outcome.status, outcome.http_status) == ("fail", 302)
    assert len(http_server.received) == 1


def test_slow_response_past_payload_timeout_is_retried(http_server, sender, store):
    http_server.script(Reply(200, {"late": True}, delay=3.0))
    effect = store.add("webhook", hook(http_server.url(), timeout=0.3))
    assert deliverer(store, sender).deliver(NOW).retried == 1
    assert effect.last_error.startswith("ReadTimeout")


def test_a_response_within_the_payload_timeout_is_fine(http_server, sender):
    http_server.script(Reply(200, {"ok": 1}, delay=0.1))
    assert sender.send(hook(http_server.url(), timeout=2), "k", NOW).status == "ok"


def test_server_down_is_retried(sender, store):
    effect = store.add("webhook", hook(f"http://127.0.0.1:{free_port()}/hook"))
    assert deliverer(store, sender).deliver(NOW).retried == 1
    assert effect.last_error.startswith("ConnectError")


def test_gives_up_after_three_days(http_server, sender, store):
    http_server.script(Reply(503, "still down"))
    effect = store.add(
        "webhook", hook(http_server.url()), attempts=17, first_attempt_at=NOW - timedelta(days=3) + timedelta(minutes=5)
    )
    report = deliverer(store, sender).deliver(NOW)
    assert (report.retried, report.dead) == (0, 1)
    assert effect.status == "dead"
    assert effect.last_error.startswith("gave up after 18 attempts") and "HTTP 503" in effect.last_error


def test_large_responses_are_truncated(http_server, sender):
    http_server.script(Reply(200, "x" * 200_000, {"Content-Type": "text/plain"}))
    outcome = sender.send(hook(http_server.url()), "k", NOW)
    assert outcome.status == "ok" and outcome.response == "x" * 65536


def test_loopback_refused_unless_allowed(http_server, store):
    strict = WebhookSender(SECRETS)
    effect = store.add("webhook", hook(http_server.url()))
    assert deliverer(store, strict).deliver(NOW).dead == 1
    assert "127.0.0.1" in effect.last_error and "allow_private_webhooks=True" in effect.last_error
    assert http_server.received == []


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hook",
        "http://10.1.2.3/x",
        "http://192.168.0.10/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://240.0.0.1/",
    ],
)
def test_non_public_addresses_are_refused(url):
    reason = check_address(url)
    assert reason is not None and "allow_private_webhooks=True" in reason
    assert check_address(url, allow_private=True) is None


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x/", "not a url"])
def test_other_schemes_are_refused(url):
    outcome = WebhookSender({}, allow_private=True).send(hook(url), "k", NOW)
    assert outcome.status == "fail"
    assert "not allowed" in outcome.error or "invalid" in outcome.error or "no host" in outcome.error


def test_public_address_is_allowed():
    assert check_address("http://93.184.215.14/") is None


def test_unconfigured_secret_fails_naming_it(http_server, sender):
    outcome = sender.send(hook(http_server.url(), auth_bearer="MISSING_KEY"), "k", NOW)
    assert outcome.status == "fail" and "MISSING_KEY" in outcome.error
    assert http_server.received == []


def test_secret_values_never_reach_errors_or_the_store(http_server, sender, store):
    values = list(SECRETS.values())
    http_server.script(
        Reply(500, echo_authorization=True),
        Reply(200, echo_authorization=True),
        Reply(401, f"bad signature, expected key {SECRETS['HOOK_SECRET']}"),
    )
    first = store.add("webhook", hook(http_server.url(), auth_bearer="ENRICH_KEY"))
    second = store.add("webhook", hook(http_server.url(), auth_bearer="ENRICH_KEY"))
    third = store.add("webhook", hook(http_server.url(), sign_with="HOOK_SECRET"))

    def leaky_notify(channel, message, payload):
        raise RuntimeError(f"chat API rejected token {SECRETS['ENRICH_KEY']}")

    fourth = store.add("notify", {"channel": "sales", "message": "hi", "record_id": 1})
    Deliverer(store, None, sender, notify=leaky_notify).deliver(NOW)

    assert [e.status for e in (first, second, third, fourth)] == ["pending", "sent", "dead", "pending"]
    assert fourth.last_error.startswith("RuntimeError: chat API rejected token ***")
    stored = json.dumps([[e.last_error, e.response] for e in store.effects.values()])
    outcomes = [
        sender.send(hook(http_server.url(), auth_bearer="ENRICH_KEY"), "k", NOW),
        sender.send(hook(f"http://127.0.0.1:{free_port()}/", auth_bearer="ENRICH_KEY"), "k", NOW),
    ]
    texts = stored + json.dumps([[o.error, o.response] for o in outcomes])
    assert "***" in texts
    assert not any(value in texts for value in values)


@pytest.mark.parametrize(("timeout", "read"), [(None, 30.0), (10, 10.0), (0.5, 0.5)])
def test_connect_timeout_is_three_seconds_and_payload_sets_the_read_timeout(http_server, timeout, read):
    seen = []
    client = httpx.Client(event_hooks={"request": [lambda r: seen.append(r.extensions["timeout"])]})
    sender = WebhookSender({}, allow_private=True, client=client)
    assert sender.send(hook(http_server.url(), timeout=timeout), "k", NOW).status == "ok"
    assert seen[0]["connect"] == 3.0 and seen[0]["read"] == read
    client.close()
