"""A small Language Server Protocol client for the tests: it starts the real
server as a process and talks JSON-RPC to it over stdio, as an editor does.

Messages are framed with a `Content-Length` header. A reader thread puts
every message the server sends into a queue; `request` waits for the answer
to its id, keeping the notifications that arrive meanwhile for
`notification`, and answers the server's own requests (capability
registration, progress) with null, as a minimal editor would.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path

TIMEOUT = 20  # seconds; generous for a shared, busy machine


class ServerGone(Exception):
    pass


class LspClient:
    def __init__(self, command: list[str], cwd: Path | None = None):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd
        )
        self.inbox: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self.stderr: list[str] = []
        self._ids = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # ---- the wire ----------------------------------------------------------------------
    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    self.inbox.put(None)
                    return
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            self.inbox.put(json.loads(stream.read(int(headers["content-length"])).decode("utf-8")))

    def _drain_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _next(self, timeout: float) -> dict:
        try:
            message = self.inbox.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("the server said nothing in time; its stderr:\n" + "".join(self.stderr)) from None
        if message is None:
            raise ServerGone("the server closed its output; its stderr:\n" + "".join(self.stderr))
        if "method" in message and "id" in message:  # a request from the server
            self._send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        return message

    # ---- what the tests use ------------------------------------------------------------------
    def request(self, method: str, params: dict | None = None, timeout: float = TIMEOUT):
        self._ids += 1
        ident = self._ids
        self._send({"id": ident, "method": method, "params": params or {}})
        while True:
            message = self._next(timeout)
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                return message.get("result")

    def notify(self, method: str, params: dict | None = None) -> None:
        self._send({"method": method, "params": params or {}})

    def notification(self, method: str, where=lambda params: True, timeout: float = TIMEOUT) -> dict:
        """The params of the first notification of `method` that `where` accepts; it is used up."""
        while True:
            for message in self.notifications:
                if message["method"] == method and where(message["params"]):
                    self.notifications.remove(message)
                    return message["params"]
            self._next(timeout)

    def initialize(self, capabilities: dict | None = None) -> dict:
        result = self.request("initialize", {"processId": None, "rootUri": None, "capabilities": capabilities or {}})
        self.notify("initialized", {})
        return result

    def diagnostics(self, uri: str, version: int | None = None) -> list[dict]:
        """The next diagnostics published for `uri` (for that document version, if given)."""
        params = self.notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
        )
        return params["diagnostics"]

    def close(self) -> int:
        try:
            self.request("shutdown", timeout=5)
            self.notify("exit")
            return self.process.wait(timeout=10)
        except (ServerGone, TimeoutError, BrokenPipeError):
            self.process.kill()
            return self.process.wait()
