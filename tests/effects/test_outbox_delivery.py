from __future__ import annotations

from datetime import timedelta

from effects_support import NOW, Reply

from leadflow.effects.email import FileEmailSender
from leadflow.effects.outbox import Deliverer, DeliveryReport
from leadflow.effects.webhooks import WebhookSender


def note(message: str = "New lead ada@example.com") -> dict:
    return {"channel": "sales", "message": message, "record_id": 7}


def test_notify_calls_the_host_and_marks_sent(store):
    calls = []
    effect = store.add("notify", note())
    report = Deliverer(store, None, None, notify=lambda *args: calls.append(args)).deliver(NOW)
    assert report == DeliveryReport(sent=1, retried=0, dead=0)
    assert calls == [("sales", "New lead ada@example.com", note())]
    assert effect.status == "sent" and effect.attempts == 1


def test_notify_without_a_callback_is_just_marked_sent(store):
    effect = store.add("notify", note())
    assert Deliverer(store, None, None).deliver(NOW).sent == 1
    assert effect.status == "sent"


def test_a_raising_callback_becomes_a_retry_and_the_rest_still_go(store):
    def flaky(channel, message, payload):
        if message == "boom":
            raise ConnectionResetError("chat service hung up")

    bad, good = store.add("notify", note("boom")), store.add("notify", note("fine"))
    report = Deliverer(store, None, None, notify=flaky).deliver(NOW)
    assert (report.sent, report.retried) == (1, 1)
    assert bad.last_error == "ConnectionResetError: chat service hung up"
    assert bad.next_attempt_at == NOW + timedelta(minutes=1) and bad.first_attempt_at == NOW
    assert good.status == "sent"


def test_unknown_kinds_are_dead_and_missing_senders_retry(store):
    odd = store.add("fax", {})
    mail = store.add("email", {"to": "a@b.c"})
    hook = store.add("webhook", {"url": "https://example.com"})
    report = Deliverer(store, None, None).deliver(NOW)
    assert report == DeliveryReport(sent=0, retried=2, dead=1)
    assert odd.status == "dead" and "unknown effect kind 'fax'" in odd.last_error
    assert "no email sender" in mail.last_error and "no webhook sender" in hook.last_error


def test_delivers_in_batches_until_nothing_is_due(store):
    for n in range(250):
        store.add("notify", note(f"lead {n}"))
    assert Deliverer(store, None, None).deliver(NOW).sent == 250
    assert store.due_effects(NOW) == []


def test_limit_caps_one_run(store):
    for n in range(5):
        store.add("notify", note(f"lead {n}"))
    run = Deliverer(store, None, None)
    assert run.deliver(NOW, limit=2).sent == 2
    assert run.deliver(NOW).sent == 3


def test_effects_not_yet_due_wait(store):
    later = store.add("notify", note(), next_attempt_at=NOW + timedelta(minutes=5))
    assert Deliverer(store, None, None).deliver(NOW) == DeliveryReport()
    assert later.status == "pending"


def test_an_effect_due_again_at_once_is_tried_once_per_run(http_server, store):
    http_server.script(Reply(429, "", {"Retry-After": "0"}), Reply(200, {}))
    effect = store.add("webhook", {"method": "POST", "url": http_server.url(), "body": {}})
    run = Deliverer(store, None, WebhookSender({}, allow_private=True))
    assert run.deliver(NOW).retried == 1
    assert effect.next_attempt_at == NOW and len(http_server.received) == 1
    assert run.deliver(NOW).sent == 1


def test_mixed_kinds_in_one_run(tmp_path, http_server, store):
    store.add(
        "email",
        {
            "to": "ada@example.com",
            "from": "s@leadflow.test",
            "subject": "Hi",
            "text": "Hello",
            "html": None,
            "template": "hi",
            "record_id": 1,
        },
    )
    store.add("webhook", {"method": "POST", "url": http_server.url(), "body": {"id": 1}})
    store.add("notify", note())
    run = Deliverer(store, FileEmailSender(tmp_path), WebhookSender({}, allow_private=True))
    assert run.deliver(NOW) == DeliveryReport(sent=3, retried=0, dead=0)
    assert len(list(tmp_path.glob("*.eml"))) == 1 and len(http_server.received) == 1
