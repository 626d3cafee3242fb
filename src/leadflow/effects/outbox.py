"""The outbox: delivering emails, webhooks and notifications after commit.

Why at-least-once, with idempotency keys. A rule's effects are not performed
while the rule runs. They are written as rows into the outbox in the same
store transaction as the change that caused them, so either both the change
and its effects are committed or neither is: a rolled-back event sends
nothing, and a committed one cannot lose its email. The :class:`Deliverer`
runs after commit, reads the due rows and performs them.

Performing an effect and recording that it was performed cannot be one
atomic step: the receiver is another system. If the process dies after the
webhook was accepted but before ``mark_sent`` commits, the row is still
pending and the next run sends it again. Exactly-once is impossible here, so
Leadflow promises at-least-once and makes repeats harmless: every effect
carries a key that is fixed when the row is written, the same on every
attempt. Webhooks send it as ``Idempotency-Key`` (receivers dedupe on it),
emails derive their ``Message-ID`` from it, and file emails are named after
it, so a re-delivery overwrites the earlier file.

Failures follow :mod:`leadflow.effects.policy`: transient ones are retried
with backoff, permanent ones and those past the 3-day window go dead, into
the dead-letter view where a person can replay them. A sender that raises is
treated as a transient failure; nothing raised by a sender escapes
:meth:`Deliverer.deliver`, and recorded errors are scrubbed of secret values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from contextlib import AbstractContextManager
from typing import Any, Protocol

import attrs

from leadflow.effects.policy import Outcome, next_attempt

__all__ = [
    "Deliverer",
    "DeliveryReport",
    "EmailSenderLike",
    "OutboxEffect",
    "OutboxStore",
    "WebhookSenderLike",
]

BATCH_SIZE = 100
MAX_ERROR_CHARS = 500

Notify = Callable[[str, str, dict], None]


class OutboxEffect(Protocol):
    """One outbox row as the store hands it out."""

    @property
    def id(self) -> Any: ...
    @property
    def kind(self) -> str: ...  # "email" | "webhook" | "notify"
    @property
    def payload(self) -> dict: ...
    @property
    def key(self) -> str: ...  # the idempotency key, fixed when the row is written
    @property
    def status(self) -> str: ...  # "pending" | "sent" | "dead"
    @property
    def attempts(self) -> int: ...  # attempts made so far
    @property
    def first_attempt_at(self) -> datetime | None: ...
    @property
    def last_error(self) -> str | None: ...


class OutboxStore(Protocol):
    """What delivery needs from the store (SqliteStore provides it)."""

    def due_effects(self, now: datetime, limit: int = 100) -> Sequence[OutboxEffect]: ...

    def mark_sent(self, id: Any, at: datetime, response: Any = None) -> None: ...

    def mark_retry(self, id: Any, next_attempt_at: datetime, error: str, at: datetime) -> None:
        """Schedule another try; the store counts the attempt and sets first_attempt_at if unset."""

    def mark_dead(self, id: Any, error: str, at: datetime) -> None: ...

    def transaction(self) -> AbstractContextManager[Any]:
        """One atomic unit: marking an effect settled and `on_settled`'s writes."""
        ...


class EmailSenderLike(Protocol):
    def send(self, payload: Mapping[str, Any], key: str) -> Outcome: ...


class WebhookSenderLike(Protocol):
    def send(self, payload: Mapping[str, Any], key: str, now: datetime) -> Outcome: ...


@attrs.frozen
class DeliveryReport:
    """How many effects one :meth:`Deliverer.deliver` call sent, rescheduled and gave up."""

    sent: int = 0
    retried: int = 0
    dead: int = 0


class Deliverer:
    """Delivers due outbox effects through the configured senders.

    A sender may offer ``redact(text) -> str``; every error the deliverer
    records, and every string in a reply it stores, goes through all of them,
    so a secret that turns up in an exception message (from any sender or the
    notify callback) or an echoing receiver is not stored.
    """

    def __init__(
        self,
        store: OutboxStore,
        email_sender: EmailSenderLike | None,
        webhook_sender: WebhookSenderLike | None,
        notify: Notify | None = None,
        on_settled: Callable | None = None,
    ):
        self.store = store
        self.email_sender = email_sender
        self.webhook_sender = webhook_sender
        self.notify = notify
        # (effect, "sent"|"dead", response, error, now): called in the unit that records
        # the outcome, so a workflow waiting for a webhook's answer resumes atomically with it
        self.on_settled = on_settled
        self._redactors: list[Callable[[str], str]] = [
            redact for sender in (email_sender, webhook_sender) if callable(redact := getattr(sender, "redact", None))
        ]

    def deliver(self, now: datetime, limit: int | None = None) -> DeliveryReport:
        """Deliver what is due at ``now``, in batches, until nothing is (or ``limit`` effects).

        Each effect is attempted at most once per call, even if the store
        hands it out again (a Retry-After of 0 makes it due at once); it will
        be picked up by the next call instead.
        """
        counts = {"sent": 0, "retried": 0, "dead": 0}
        seen: set[Any] = set()
        while limit is None or len(seen) < limit:
            size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - len(seen))
            fresh = [e for e in self.store.due_effects(now, limit=size) if e.id not in seen]
            if not fresh:
                break
            for effect in fresh:
                seen.add(effect.id)
                counts[self._deliver_one(effect, now)] += 1
        return DeliveryReport(**counts)

    def _deliver_one(self, effect: OutboxEffect, now: datetime) -> str:
        try:
            outcome = self._attempt(effect, now)
        except Exception as failure:  # a sender bug must not stop the other effects
            outcome = Outcome("retry", error=f"{type(failure).__name__}: {failure}")
        error = self._clean(outcome.error or outcome.status)
        if outcome.status == "ok":
            return self._settle(effect, "sent", now, response=self._clean_reply(outcome.response))
        if outcome.status == "retry":
            when = next_attempt(now, effect.first_attempt_at, effect.attempts + 1, outcome.retry_after)
            if when is not None:
                self.store.mark_retry(effect.id, when, error, now)
                return "retried"
            error = self._clean(f"gave up after {effect.attempts + 1} attempts over 3 days: {error}")
        return self._settle(effect, "dead", now, error=error)

    def _settle(
        self, effect: OutboxEffect, status: str, now: datetime, response: Any = None, error: str | None = None
    ) -> str:
        def mark():
            if status == "sent":
                self.store.mark_sent(effect.id, now, response)
            else:
                assert error is not None  # a dead effect says why
                self.store.mark_dead(effect.id, error, now)

        if self.on_settled is None:
            mark()
        else:
            with self.store.transaction():
                mark()
                self.on_settled(effect, status, response, error, now)
        return status

    def _attempt(self, effect: OutboxEffect, now: datetime) -> Outcome:
        payload = effect.payload
        if effect.kind == "email":
            if self.email_sender is None:
                return Outcome("retry", error="no email sender is configured")
            return self.email_sender.send(payload, effect.key)
        if effect.kind == "webhook":
            if self.webhook_sender is None:
                return Outcome("retry", error="no webhook sender is configured")
            return self.webhook_sender.send(payload, effect.key, now)
        if effect.kind == "notify":
            if self.notify is not None:
                self.notify(str(payload.get("channel", "")), str(payload.get("message", "")), payload)
            return Outcome("ok")
        return Outcome("fail", error=f"unknown effect kind {effect.kind!r}")

    def _clean_reply(self, value: Any) -> Any:
        """A reply with every string in it redacted (a receiver may echo a secret)."""
        if not self._redactors:
            return value
        if isinstance(value, str):
            for redact in self._redactors:
                value = redact(value)
            return value
        if isinstance(value, list):
            return [self._clean_reply(item) for item in value]
        if isinstance(value, dict):
            return {self._clean_reply(k): self._clean_reply(v) for k, v in value.items()}
        return value

    def _clean(self, text: str) -> str:
        for redact in self._redactors:
            text = redact(text)
        return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
