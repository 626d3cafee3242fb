"""The host of a test: stubbed `extern fn`s and senders that answer from the test.

Host functions are bound with `engine.bind`, exactly as an embedding program
binds its own, so the engine checks their results against the declared
types as it always does. Delivery goes through the real `Deliverer` with two
in-process senders: emails are accepted, and webhooks get the answer the
test declares (`stubs.webhooks`), so a workflow waiting at `webhook ... as`
resumes with a typed answer exactly as it would in production. Nothing
leaves the process.

A stub that cannot answer (called more often than `in_turn` has values,
arguments `by_args` does not list, a webhook a workflow waits for with no
answer declared) is a mistake in the test: it raises `StubProblem` and is
remembered, and the test is reported as an error, not as a failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from leadflow.effects.policy import Outcome, classify
from leadflow.errors import LeadflowRuntimeError
from leadflow.testing.match import matches, same
from leadflow.testing.reader import MISSING, Ref, to_engine
from leadflow.testing.spec import FunctionStub, WebhookStub
from leadflow.values import plain


class StubProblem(LeadflowRuntimeError):
    """A stub was asked something the test does not answer."""


class FunctionStubs:
    """The test's `extern fn`s; `calls` records each call's arguments, by function."""

    def __init__(self, stubs: dict[str, FunctionStub], resolve: Callable[[Ref], int | None]):
        self.stubs = stubs
        self.resolve = resolve
        self.calls: dict[str, list[list]] = {}
        self.problems: list[str] = []

    def bind(self, engine, hosts: Mapping[str, Callable] | None = None) -> None:
        """The test's stubs; for a function it does not stub, the host's (`leadflow test
        --hosts`), else one that stops the test."""
        for stub in self.stubs.values():
            engine.bind(stub.name, self._function(stub))
        for name in engine.unbound_externs():
            if hosts and name in hosts:
                engine.bind(name, hosts[name])
        for name in engine.unbound_externs():
            engine.bind(name, self._missing(name))

    def _missing(self, name: str):
        def call(*args):
            self._problem(f"`{name}` was called, but the test has no stub for it: add `stubs.{name} = ...`")

        return call

    def _function(self, stub: FunctionStub):
        def call(*args):
            calls = self.calls.setdefault(stub.name, [])
            calls.append(list(args))
            if stub.raises is not None:
                raise RuntimeError(stub.raises)  # the engine reports it as the host function failing
            if stub.in_turn is not None:
                if len(calls) > len(stub.in_turn):
                    self._problem(
                        f"`{stub.name}` was called {len(calls)} times; `in_turn` gives {len(stub.in_turn)} result(s)"
                    )
                return to_engine(stub.in_turn[len(calls) - 1], self.resolve)
            if stub.by_args:
                given = plain(list(args))
                for expected, result in stub.by_args:
                    if same(expected, given):
                        return to_engine(result, self.resolve)
                if stub.default is MISSING:
                    self._problem(
                        f"`{stub.name}` was called with {given}, which `by_args` does not list (add it, or a `default`)"
                    )
                return to_engine(stub.default, self.resolve)
            return to_engine(stub.returns, self.resolve)

        return call

    def _problem(self, message: str):
        self.problems.append(message)
        raise StubProblem(message)


class AcceptingEmails:
    """An email sender that takes every email; the outbox keeps what was sent."""

    def send(self, payload, key: str) -> Outcome:
        return Outcome("ok")


class StubWebhooks:
    """A webhook sender answering from `stubs.webhooks`: the first stub whose URL
    (and method) matches and that has answers left. A webhook no stub matches is
    accepted with an empty reply, unless a workflow run waits for its answer."""

    def __init__(self, stubs: tuple[WebhookStub, ...], store):
        self.stubs = stubs
        self.left = [stub.times for stub in stubs]
        self.store = store
        self.problems: list[str] = []

    def send(self, payload, key: str, now: dt.datetime) -> Outcome:
        method, url = str(payload.get("method") or "POST").upper(), str(payload.get("url"))
        for i, stub in enumerate(self.stubs):
            if self.left[i] == 0 or (stub.method and stub.method != method) or not matches(stub.url, url):
                continue
            left = self.left[i]
            if left is not None:
                self.left[i] = left - 1
            status = classify(stub.status)
            if status == "ok":
                return Outcome("ok", http_status=stub.status, response=stub.answer)
            return Outcome(status, http_status=stub.status, error=f"HTTP {stub.status} (stub)", response=stub.answer)
        if self._awaited(key):
            message = (
                f"a workflow waits for the answer of {method} {url}, but the test declares none: "
                f'add stubs.webhooks = [{{ url = "{url}", answer = {{ ... }} }}]'
            )
            self.problems.append(message)
            return Outcome("fail", error=message)
        return Outcome("ok", http_status=200)

    def _awaited(self, key: str) -> bool:
        return any(run.wait and run.wait.get("webhook") == key for run in self.store.runs(status="active"))
