from __future__ import annotations

from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from effects_support import NOW, SMTP_PASSWORD, SMTP_USER, free_port

from leadflow.effects.email import (
    FileEmailSender,
    SmtpEmailSender,
    build_message,
    email_sender_from_url,
    message_id,
)
from leadflow.effects.outbox import Deliverer
from leadflow.errors import LeadflowError


def mail(**fields) -> dict:
    payload = {
        "to": "ada@example.com",
        "from": "Sales <sales@leadflow.test>",
        "subject": "Welcome, Ada",
        "text": "Hello Ada,\nthanks for signing up.",
        "html": "<p>Hello <b>Ada</b></p>",
        "template": "welcome",
        "record_id": 7,
    }
    payload.update(fields)
    return payload


def parts(message) -> dict[str, str]:
    """Leaf parts by content type, with SMTP's CRLF line ends made plain."""
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in message.walk()
        if not part.is_multipart()
    }


def test_build_message_is_multipart_alternative_with_key_headers():
    message = build_message(mail(), "evt-1:welcome")
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "ada@example.com" and message["Subject"] == "Welcome, Ada"
    assert message["X-Leadflow-Key"] == "evt-1:welcome"
    assert message["X-Leadflow-Template"] == "welcome"
    assert message["Message-ID"] == message_id("evt-1:welcome", "sales@leadflow.test")
    assert message["Message-ID"].endswith("@leadflow.test>")
    assert parts(message) == {
        "text/plain": "Hello Ada,\nthanks for signing up.\n",
        "text/html": "<p>Hello <b>Ada</b></p>\n",
    }


def test_message_id_is_the_same_for_the_same_key_only():
    assert build_message(mail(), "k1")["Message-ID"] == build_message(mail(), "k1")["Message-ID"]
    assert build_message(mail(), "k1")["Message-ID"] != build_message(mail(), "k2")["Message-ID"]


def test_plain_text_only_without_html():
    message = build_message(mail(html=None), "k")
    assert message.get_content_type() == "text/plain"


@pytest.mark.parametrize("bad", [{"subject": "Hi\r\nBcc: everyone@example.com"}, {"to": None}])
def test_unsendable_payloads_fail(tmp_path, bad):
    outcome = FileEmailSender(tmp_path).send(mail(**bad), "k")
    assert outcome.status == "fail" and outcome.error


def test_file_sender_writes_a_parseable_eml_and_redelivery_overwrites(tmp_path):
    sender = FileEmailSender(tmp_path / "outbox")
    first = sender.send(mail(), "evt-1:welcome")
    second = sender.send(mail(subject="Welcome again"), "evt-1:welcome")
    assert first.status == second.status == "ok"
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1 and files[0].name.startswith("evt-1_welcome-")
    assert second.response == {"path": str(files[0])}
    message = BytesParser(policy=default_policy).parsebytes(files[0].read_bytes())
    assert message["Subject"] == "Welcome again"
    assert message["X-Leadflow-Key"] == "evt-1:welcome"
    assert parts(message)["text/html"] == "<p>Hello <b>Ada</b></p>\n"


def test_file_names_stay_inside_the_directory_and_apart(tmp_path):
    sender = FileEmailSender(tmp_path)
    for key in ("../../etc/passwd", "a/b", "a:b", ".hidden", "plain-key_1.0"):
        assert sender.send(mail(), key).status == "ok"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 5 and "plain-key_1.0.eml" in names
    assert all(not n.startswith(".") and "/" not in n for n in names)


def test_file_sender_through_the_deliverer(tmp_path, store):
    effect = store.add("email", mail(), key="evt-9:welcome")
    Deliverer(store, FileEmailSender(tmp_path), None).deliver(NOW)
    assert effect.status == "sent"
    assert effect.response["path"].endswith(".eml")


def test_unwritable_directory_is_retried(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    outcome = FileEmailSender(blocker / "outbox").send(mail(), "k")
    assert outcome.status == "retry" and "Error" in outcome.error


def test_smtp_delivers_text_and_html(smtp_server, store):
    effect = store.add("email", mail(), key="evt-3:welcome")
    report = Deliverer(store, SmtpEmailSender(smtp_server.url()), None).deliver(NOW)
    assert report.sent == 1 and effect.status == "sent"
    [message] = smtp_server.inbox.messages
    assert message["Subject"] == "Welcome, Ada"
    assert message["To"] == "ada@example.com"
    assert message["X-Leadflow-Key"] == "evt-3:welcome"
    assert message["Message-ID"] == effect.response["message_id"]
    assert parts(message) == {
        "text/plain": "Hello Ada,\nthanks for signing up.\n",
        "text/html": "<p>Hello <b>Ada</b></p>\n",
    }
    assert smtp_server.inbox.envelopes == [("sales@leadflow.test", ["ada@example.com"])]


def test_smtp_login(smtp_server):
    sender = SmtpEmailSender(smtp_server.url(f"{SMTP_USER}:{SMTP_PASSWORD}@"))
    assert sender.send(mail(), "k").status == "ok"
    assert len(smtp_server.inbox.messages) == 1


def test_smtp_bad_password_fails_without_revealing_it(smtp_server):
    wrong = "not-the-" + SMTP_PASSWORD
    sender = SmtpEmailSender(smtp_server.url(f"{SMTP_USER}:{wrong}@"))
    outcome = sender.send(mail(), "k")
    assert outcome.status == "fail" and "535" in outcome.error
    assert wrong not in outcome.error and wrong not in repr(sender)


def test_smtp_permanent_rejection_fails(smtp_server):
    smtp_server.inbox.rcpt_reply = "550 5.1.1 no such mailbox"
    outcome = SmtpEmailSender(smtp_server.url()).send(mail(), "k")
    assert outcome.status == "fail" and "550" in outcome.error


@pytest.mark.parametrize("where", ["rcpt_reply", "data_reply"])
def test_smtp_temporary_rejection_retries(smtp_server, where):
    setattr(smtp_server.inbox, where, "451 4.3.0 try again later")
    outcome = SmtpEmailSender(smtp_server.url()).send(mail(), "k")
    assert outcome.status == "retry" and "451" in outcome.error


def test_smtp_server_down_retries():
    outcome = SmtpEmailSender(f"smtp://127.0.0.1:{free_port()}").send(mail(), "k")
    assert outcome.status == "retry" and "ConnectionRefused" in outcome.error


def test_sender_from_url(tmp_path):
    smtp = email_sender_from_url("smtps://me%40x.test:p%2Fw@mail.example.com:2465")
    assert isinstance(smtp, SmtpEmailSender)
    assert (smtp.use_ssl, smtp.host, smtp.port, smtp.username, smtp.password) == (
        True,
        "mail.example.com",
        2465,
        "me@x.test",
        "p/w",
    )
    plain = email_sender_from_url("smtp://relay:2525?starttls=1")
    assert (plain.use_ssl, plain.starttls, plain.port) == (False, True, 2525)
    assert email_sender_from_url("smtp://relay").port == 25
    assert email_sender_from_url(str(tmp_path)).directory == tmp_path
    assert email_sender_from_url(f"file://{tmp_path}").directory == tmp_path
    with pytest.raises(LeadflowError):
        email_sender_from_url("http://mail.example.com")
