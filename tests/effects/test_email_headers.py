"""A header value cannot add a header: not by a raw line break, not by an RFC 2047
encoded word that decodes to one (CVE-2024-6923 in Python's email package), not
by a NUL. Checked on the bytes delivered: parsed back from the .eml file, and as
aiosmtpd on 127.0.0.1 received them."""

from __future__ import annotations

import datetime as dt
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from effects_support import NOW
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow import Engine, SimulatedClock
from leadflow.effects.email import FileEmailSender, SmtpEmailSender, build_message, message_bytes
from leadflow.effects.outbox import Deliverer

HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "X-Leadflow-Key",
    "X-Leadflow-Template",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
]

INJECTIONS = {
    "q-encoded CRLF": {"subject": "=?utf-8?q?Hi=0D=0ABcc:_victim@evil.example?="},
    "b-encoded CRLF": {"subject": "=?utf-8?b?SGkNCkJjYzogdmljdGltQGV2aWwuZXhhbXBsZQ==?="},
    "encoded word mid-text": {"subject": "Hello =?us-ascii?q?there=0ABcc:_victim@evil.example?= friend"},
    "encoded NUL": {"subject": "=?utf-8?q?Hi=00there?="},
    "raw CRLF": {"subject": "Hi\r\nBcc: victim@evil.example"},
    "raw LF": {"subject": "Hi\nBcc: victim@evil.example"},
    "vertical tab": {"subject": "Hi\x0bBcc: victim@evil.example"},
    "line separator": {"subject": "Hi\u2028Bcc: victim@evil.example"},
    "NUL in the address": {"to": "bad@exa\u0000mple.com"},
    "encoded CRLF in the address": {"to": "=?utf-8?q?Ada=0D=0ABcc:_victim@evil.example?= <ada@example.com>"},
    "encoded CRLF in the sender": {"from": "=?utf-8?q?Sales=0D=0ABcc:_victim@evil.example?= <s@leadflow.test>"},
}


def mail(**fields) -> dict:
    payload = {
        "to": "ada@example.com",
        "from": "Sales <sales@leadflow.test>",
        "subject": "Welcome",
        "text": "Hello",
        "html": None,
        "template": "welcome",
        "record_id": 1,
    }
    payload.update(fields)
    return payload


def header_names(data: bytes) -> list[str]:
    return list(BytesParser(policy=default_policy).parsebytes(data).keys())


@pytest.mark.parametrize("fields", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_an_injected_header_is_refused_and_nothing_is_written(tmp_path, fields):
    outcome = FileEmailSender(tmp_path).send(mail(**fields), "k")
    assert outcome.status == "fail"
    assert "control character" in outcome.error
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fields", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_an_injected_header_never_reaches_the_smtp_server(smtp_server, store, fields):
    store.add("email", mail(**fields))
    store.add("email", mail(subject="A fine subject"))
    report = Deliverer(store, SmtpEmailSender(smtp_server.url()), None).deliver(NOW)
    assert (report.sent, report.dead) == (1, 1)
    [received] = smtp_server.inbox.messages
    assert list(received.keys()) == HEADERS
    assert smtp_server.inbox.envelopes == [("sales@leadflow.test", ["ada@example.com"])]


def test_an_encoded_word_without_control_characters_is_still_sent(tmp_path, smtp_server):
    payload = mail(subject="=?utf-8?q?Caf=C3=A9_time?=")
    assert FileEmailSender(tmp_path).send(payload, "k").status == "ok"
    [written] = tmp_path.iterdir()
    assert header_names(written.read_bytes()) == HEADERS
    assert SmtpEmailSender(smtp_server.url()).send(payload, "k").status == "ok"
    [received] = smtp_server.inbox.messages
    assert list(received.keys()) == HEADERS and received["Subject"] == "Café time"


def test_the_bytes_are_checked_after_serialising(monkeypatch):
    """Whatever the input checks miss, bytes with a header nobody set are refused."""
    message = build_message(mail(), "k")
    monkeypatch.setattr(type(message), "as_bytes", lambda self, **_: b"To: a@b.c\nBcc: victim@evil.example\n\nHello\n")
    with pytest.raises(ValueError, match="bcc"):
        message_bytes(message)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["q", "b"]))
def test_any_subject_yields_exactly_the_headers_set_or_is_refused(text, encoding):
    """Hypothesis: a subject, raw or wrapped in an encoded word, never adds a header."""
    import base64
    import quopri

    raw = text.encode("utf-8")
    word = base64.b64encode(raw).decode() if encoding == "b" else quopri.encodestring(raw, header=True).decode()
    for subject in (text, f"=?utf-8?{encoding}?{word}?="):
        try:
            data = message_bytes(build_message(mail(subject=subject), "k"))
        except ValueError:
            continue
        assert header_names(data) == HEADERS


SCRIPT = """
object contact { first_name: text }
event signed_up {}
email welcome { subject: "Hi {first_name ?? "there"}", body: "Welcome." }
rule "Welcome" when signed_up then send email welcome
"""


@pytest.mark.parametrize("destination", ["file", "smtp"])
def test_a_script_subject_from_a_property_cannot_add_a_bcc(tmp_path, smtp_server, destination):
    """End to end: the property comes from the data, the subject from the script."""
    email = str(tmp_path / "mail") if destination == "file" else smtp_server.url()
    engine = Engine.from_source(
        SCRIPT, "welcome.flow", email=email, clock=SimulatedClock(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    )
    engine.emit("upsert", "ada@example.com", {"first_name": "=?utf-8?q?Ada=0D=0ABcc:_victim@evil.example?="})
    engine.emit("upsert", "grace@example.com", {"first_name": "Grace"})
    engine.emit("signed_up", "ada@example.com", {})
    engine.emit("signed_up", "grace@example.com", {})
    report = engine.deliver()
    assert (report.sent, report.dead) == (1, 1)
    [dead] = engine.store.effects("dead")
    assert dead.payload["to"] == "ada@example.com"
    assert "encoded word" in dead.last_error and "Subject" in dead.last_error
    if destination == "file":
        delivered = [p.read_bytes() for p in (tmp_path / "mail").iterdir()]
    else:
        delivered = [m.as_bytes() for m in smtp_server.inbox.messages]
        assert smtp_server.inbox.envelopes == [("leadflow@localhost", ["grace@example.com"])]
    assert len(delivered) == 1
    assert b"victim" not in delivered[0]
    assert header_names(delivered[0]) == HEADERS


@pytest.mark.parametrize("smtputf8", [False, True])
def test_an_international_address_needs_smtputf8_and_keeps_its_headers(smtputf8):
    """The checked bytes go out through sendmail, as send_message would have sent them."""
    from aiosmtpd.controller import Controller
    from effects_support import SmtpInbox, free_port

    inbox, port = SmtpInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        payload = mail(to="josé@exämple.com", html="<p>x</p>")
        outcome = SmtpEmailSender(f"smtp://127.0.0.1:{port}").send(payload, "k")
    finally:
        controller.stop()
    if not smtputf8:
        assert outcome.status == "fail" and "SMTPUTF8" in outcome.error and inbox.messages == []
        return
    assert outcome.status == "ok"
    assert inbox.envelopes == [("sales@leadflow.test", ["josé@exämple.com"])]
    [received] = inbox.messages
    assert list(received.keys()) == list(build_message(payload, "k").keys())
    assert received["To"] == "josé@exämple.com"
