"""Helpers for the effects tests: an in-memory outbox store and real servers.

Named uniquely (not conftest) so test modules can import it; conftest.py
re-exports the fixtures.

The store is a fake of a collaborator's storage (the real one is SqliteStore);
the HTTP and SMTP servers are real ones on 127.0.0.1 with ephemeral ports.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from leadflow.effects.webhooks import verify

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@attrs.define
class FakeEffect:
    id: int
    kind: str
    payload: dict
    key: str
    status: str = "pending"
    attempts: int = 0
    first_attempt_at: datetime | None = None
    last_error: str | None = None
    next_attempt_at: datetime = EPOCH
    response: Any = None


class FakeStore:
    """Implements leadflow.effects.outbox.OutboxStore over a dict."""

    def __init__(self) -> None:
        self.effects: dict[int, FakeEffect] = {}

    def add(self, kind: str, payload: dict, key: str | None = None, **fields: Any) -> FakeEffect:
        number = len(self.effects) + 1
        effect = FakeEffect(number, kind, payload, key or f"effect-{number}", **fields)
        self.effects[number] = effect
        return effect

    def due_effects(self, now: datetime, limit: int = 100) -> list[FakeEffect]:
        due = [e for e in self.effects.values() if e.status == "pending" and e.next_attempt_at <= now]
        return sorted(due, key=lambda e: (e.next_attempt_at, e.id))[:limit]

    def _attempted(self, id: int, at: datetime, error: str | None) -> FakeEffect:
        effect = self.effects[id]
        effect.attempts += 1
        effect.first_attempt_at = effect.first_attempt_at or at
        effect.last_error = error
        return effect

    def mark_sent(self, id: int, at: datetime, response: Any = None) -> None:
        effect = self._attempted(id, at, None)
        effect.status, effect.response = "sent", response

    def mark_retry(self, id: int, next_attempt_at: datetime, error: str, at: datetime) -> None:
        self._attempted(id, at, error).next_attempt_at = next_attempt_at

    def mark_dead(self, id: int, error: str, at: datetime) -> None:
        self._attempted(id, at, error).status = "dead"


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@attrs.frozen
class Reply:
    status: int = 200
    body: bytes | str | dict | None = None
    headers: dict = attrs.Factory(dict)
    delay: float = 0.0
    echo_authorization: bool = False


@attrs.frozen
class Received:
    method: str
    path: str
    headers: dict
    body: bytes
    signature_ok: bool | None


class ScriptedServer(ThreadingHTTPServer):
    """Answers each request with the next scripted Reply (200 {} when none is left)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        self.signing_secret: str | None = None
        self.released = threading.Event()

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or stop reading reset connections; that is expected

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        signature_ok = None
        if self.server.signing_secret and "x-leadflow-signature" in headers:
            signature_ok = verify(
                self.server.signing_secret,
                self.command,
                f"http://127.0.0.1:{self.server.server_address[1]}{self.path}",
                headers.get("x-leadflow-timestamp", ""),
                body,
                headers["x-leadflow-signature"],
            )
        self.server.received.append(Received(self.command, self.path, headers, body, signature_ok))
        reply = self.server.replies.popleft() if self.server.replies else Reply(200, {"ok": True})
        if reply.delay and self.server.released.wait(reply.delay):
            return
        content = reply.body
        extra = dict(reply.headers)
        if reply.echo_authorization:
            content = {"you_sent": headers.get("authorization")}
        if isinstance(content, dict):
            content = json.dumps(content)
            extra.setdefault("Content-Type", "application/json")
        data = content.encode() if isinstance(content, str) else (content or b"")
        try:
            self.send_response(reply.status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up first (timeout tests)
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server():
    server = ScriptedServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-pa55word"


class SmtpInbox:
    """An aiosmtpd handler that keeps what it receives; replies can be scripted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(BytesParser(policy=default_policy).parsebytes(envelope.content))
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@attrs.frozen
class SmtpServer:
    inbox: SmtpInbox
    port: int

    def url(self, credentials: str = "") -> str:
        return f"smtp://{credentials}127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server():
    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer(inbox, port)
    finally:
        controller.stop()
