"""Helpers for the CLI tests: invoking `leadflow` in-process or as a process,
copies of the bundled examples, and a real webhook receiver on 127.0.0.1.

Named uniquely (not conftest) so test modules can import it; conftest.py
re-exports the fixtures.

Most tests go through click's CliRunner (fast, in-process); a few run
`python -m leadflow` in a subprocess to check what a user's shell sees. Every
result passes through `_no_traceback`: a Python traceback must never reach a
user, whatever the exit code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from outcome_support import Outcome

import leadflow.examples
from leadflow.cli import main

EXAMPLES = Path(leadflow.examples.__file__).parent
LIFECYCLE = EXAMPLES / "lifecycle"
ENRICHMENT = EXAMPLES / "enrichment"


def _no_traceback(outcome: Outcome) -> Outcome:
    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome.stderr
    return outcome


def leadflow(*args: Any, input: str | bytes | None = None) -> Outcome:
    """Run the CLI in-process; an exception that escapes the CLI fails the test."""
    result = CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
    return _no_traceback(Outcome.plain(result.exit_code, result.stdout, result.stderr))


def leadflow_process(*args: Any, input: str | None = None, cwd: Path | None = None) -> Outcome:
    """Run `python -m leadflow` as a separate process, as a user's shell would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_SECRET_")}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "leadflow", *(str(a) for a in args)],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        cwd=cwd,
        env=env,
    )
    return _no_traceback(Outcome.plain(done.returncode, done.stdout, done.stderr))


def rejected_lines(stderr: str) -> dict[int, str]:
    """`line N: rejected: reason` messages of `run`, by line number."""
    return {int(m[1]): m[2] for m in re.finditer(r"^line (\d+): rejected: (.*)$", stderr, re.MULTILINE)}


def jsonl(*events: dict | str) -> str:
    """An event file: dicts as JSON, strings as they are (to write malformed lines)."""
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events)


def form(contact: str, at: str = "2020-01-06T09:00:00Z", name: str = "demo request") -> dict:
    return {"event": "form_submitted", "contact": contact, "at": at, "data": {"form": name}}


def enrichment_script(directory: Path, base_url: str) -> Path:
    """A copy of the enrichment example whose webhook goes to `base_url`."""
    text = (ENRICHMENT / "enrichment.flow").read_text("utf-8")
    assert "https://enrich.example.com" in text
    path = directory / "enrichment.flow"
    path.write_text(text.replace("https://enrich.example.com", base_url), "utf-8")
    return path


# ---- a webhook receiver ---------------------------------------------------------------
@attrs.frozen
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(ThreadingHTTPServer):
    """Records each request and answers 200 with JSON that echoes the Authorization
    header, whole and in pieces, as careless services do: the sender must scrub it
    before storing the reply."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Request] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(Request(self.command, self.path, dict(self.headers.items()), body))
        auth = self.headers.get("Authorization")
        # the header whole and in pieces, as a reply cut short or quoted in part carries it
        pieces = {"cut": auth[3:24], "tail": auth[-12:]} if auth else {}
        reply = json.dumps({"ok": True, "you_sent": auth, **pieces}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_ambient_secrets(monkeypatch):
    """Secrets come from LEADFLOW_SECRET_* too: keep the developer's out of the tests,
    and keep requests to the local receiver away from any configured proxy."""
    for name in list(os.environ):
        if name.startswith("LEADFLOW_SECRET_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
