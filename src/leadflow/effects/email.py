"""Email delivery: into a directory of .eml files, or to an SMTP server.

An email effect's payload, written by the engine::

    {"to": str, "from": str, "subject": str, "text": str,
     "html": str | None, "template": str, "record_id": int}

Delivery is at-least-once (see :mod:`leadflow.effects.outbox`), so a message
must be recognisable as a repeat of itself. :func:`build_message` derives the
``Message-ID`` from the effect's idempotency key, and mail clients and many
relays drop a second message with an ID they have seen; the key is also in
``X-Leadflow-Key``. The file sender names each file after the key and
replaces it atomically, so a re-delivery overwrites rather than duplicates.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
import time
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from leadflow.effects.mail_headers import check_serialised, set_header
from leadflow.effects.policy import Outcome
from leadflow.effects.secrets import Redactor
from leadflow.errors import LeadflowError

__all__ = [
    "FileEmailSender",
    "Outcome",
    "SmtpEmailSender",
    "build_message",
    "email_sender_from_url",
    "message_id",
]

SMTP_TIMEOUT = 30.0
ABANDONED_PART_AGE = 60.0  # seconds; see FileEmailSender
_REQUIRED = ("to", "from", "subject", "text")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def message_id(key: str, sender: str = "") -> str:
    """The Message-ID for the effect with idempotency key ``key``: same key, same ID."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "leadflow.invalid"
    return f"<leadflow.{digest}@{domain}>"


def build_message(payload: Mapping[str, Any], key: str) -> EmailMessage:
    """The message for an email effect; multipart/alternative when it has HTML.

    Raises ValueError for a payload that can never be sent (a missing field,
    a control character smuggled into a header, raw or as an encoded word:
    see :mod:`leadflow.effects.mail_headers`).
    """
    missing = [name for name in _REQUIRED if not isinstance(payload.get(name), str)]
    if missing:
        raise ValueError(f"email payload lacks {', '.join(missing)}")
    message = EmailMessage()
    set_header(message, "From", payload["from"])
    set_header(message, "To", payload["to"])
    set_header(message, "Subject", payload["subject"])
    set_header(message, "Date", formatdate(usegmt=True))
    set_header(message, "Message-ID", message_id(key, payload["from"]))
    set_header(message, "X-Leadflow-Key", key)
    if payload.get("template"):
        set_header(message, "X-Leadflow-Template", str(payload["template"]))
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message


def message_bytes(message: EmailMessage, linesep: str = "\n", utf8: bool = False) -> bytes:
    """The exact bytes to deliver for ``message``, checked to hold the headers
    that were set and no others (ValueError otherwise)."""
    policy = message.policy
    assert isinstance(policy, EmailPolicy)  # an EmailMessage's (only it has `utf8`)
    data = message.as_bytes(policy=policy.clone(linesep=linesep, utf8=utf8))
    check_serialised(message, data)
    return data


def safe_filename(key: str) -> str:
    """A file name for ``key``: the key itself when harmless, else cleaned plus a hash.

    The hash keeps two keys that clean to the same text in separate files.
    """
    cleaned = _UNSAFE.sub("_", key)[:120]
    if cleaned == key and key and not key.startswith("."):
        return key
    return f"{cleaned.lstrip('.') or 'key'}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


class FileEmailSender:
    """Writes each message to ``<directory>/<safe key>.eml`` (for development and tests).

    Each file is written aside as ``.<random>.part`` and renamed into place.
    A process killed between the two leaves the ``.part`` behind; its effect
    was not marked sent, so the message is written again on the next
    delivery. The first write of each sender removes such leftovers, but only
    those untouched for :data:`ABANDONED_PART_AGE` seconds: writing a message
    takes milliseconds, and a younger one may belong to another process
    delivering into the same directory right now.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self._swept = False

    def redact(self, text: str) -> str:
        return text

    def path_for(self, key: str) -> Path:
        return self.directory / f"{safe_filename(key)}.eml"

    def send(self, payload: Mapping[str, Any], key: str) -> Outcome:
        try:
            data = message_bytes(build_message(payload, key))
        except ValueError as error:
            return Outcome("fail", error=str(error))
        target = self.path_for(key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if not self._swept:
                remove_abandoned_parts(self.directory)
                self._swept = True
            # Write aside and rename: a reader never sees half a message, and
            # a re-delivery replaces the file instead of adding a second one.
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            return Outcome("retry", error=f"{type(error).__name__}: {error}")
        return Outcome("ok", response={"path": str(target)})


def remove_abandoned_parts(directory: Path, now: float | None = None) -> int:
    """Delete the ``.*.part`` files in ``directory`` older than ABANDONED_PART_AGE; how many."""
    cutoff = (time.time() if now is None else now) - ABANDONED_PART_AGE
    removed = 0
    for part in directory.glob(".*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:  # another process swept it first
            continue
    return removed


class SmtpEmailSender:
    """Sends through an SMTP server named by a URL.

    ``smtp://host:port`` (plain, ``?starttls=1`` to upgrade) or
    ``smtps://user:pass@host:port`` (TLS from the start); credentials are
    optional on both. SMTP 4xx replies and connection trouble are transient;
    5xx replies are permanent.
    """

    def __init__(self, url: str, timeout: float = SMTP_TIMEOUT):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise LeadflowError(f"not an SMTP URL: expected smtp://host:port or smtps://..., got {parts.scheme}://...")
        self.use_ssl = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.use_ssl else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self._redactor = Redactor([self.password] if self.password else [])
        flag = parse_qs(parts.query).get("starttls", ["0"])[-1].lower()
        self.starttls = flag in ("1", "true", "yes")
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the password
        scheme = "smtps" if self.use_ssl else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        return f"SmtpEmailSender('{scheme}://{user}{self.host}:{self.port}')"

    def redact(self, text: str) -> str:
        """``text`` without the password, or a piece of it (see leadflow.effects.secrets)."""
        return self._redactor.text(text)

    def send(self, payload: Mapping[str, Any], key: str) -> Outcome:
        try:
            message = build_message(payload, key)
        except ValueError as error:
            return Outcome("fail", error=str(error))
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password or "")
                _send_checked(client, message)
        except ValueError as error:  # the checked bytes would not be the message that was built
            return Outcome("fail", error=str(error))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            reply = "; ".join(f"{addr}: {_reply(c, m)}" for addr, (c, m) in error.recipients.items())
            return Outcome(
                "retry" if any(400 <= code < 500 for code in codes) else "fail",
                error=self.redact(f"recipient refused: {reply}"),
            )
        except smtplib.SMTPResponseException as error:
            text = f"{type(error).__name__}: {_reply(error.smtp_code, error.smtp_error)}"
            return Outcome("fail" if 500 <= error.smtp_code < 600 else "retry", error=self.redact(text))
        except smtplib.SMTPNotSupportedError as error:
            return Outcome("fail", error=self.redact(f"SMTP server does not support it: {error}"))
        except (smtplib.SMTPException, OSError) as error:
            return Outcome("retry", error=self.redact(f"{type(error).__name__}: {error}"))
        return Outcome("ok", response={"message_id": message["Message-ID"]})

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.use_ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            try:
                client.starttls(context=context)
            except BaseException:
                client.close()
                raise
        return client


def _send_checked(client: smtplib.SMTP, message: EmailMessage) -> None:
    """``client.send_message(message)``, but sending bytes that :func:`message_bytes`
    checked rather than a second serialisation nobody looked at."""
    senders = [address.addr_spec for address in message["From"].addresses]
    recipients = [address.addr_spec for address in message["To"].addresses]
    if not senders or not recipients:
        raise ValueError("email has no readable From or To address")
    sender = senders[0]
    options: tuple[str, ...] = ()
    international = not "".join([sender, *recipients]).isascii()
    if international:
        client.ehlo_or_helo_if_needed()
        if not client.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("the addresses need SMTPUTF8, which the server does not offer")
        options = ("SMTPUTF8", "BODY=8BITMIME")
    data = message_bytes(message, linesep="\r\n", utf8=international)
    client.sendmail(sender, recipients, data, options)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()[:300]


def email_sender_from_url(url_or_dir: str | os.PathLike[str]) -> FileEmailSender | SmtpEmailSender:
    """``smtp://``/``smtps://`` URLs send by SMTP; ``file://`` URLs and plain paths write files."""
    text = os.fspath(url_or_dir)
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in ("smtp", "smtps"):
        return SmtpEmailSender(text)
    if scheme == "file":
        return FileEmailSender(unquote(urlsplit(text).path))
    if scheme:
        raise LeadflowError(f"unknown email destination {scheme}://...; use smtp://, smtps://, file:// or a directory")
    return FileEmailSender(text)
