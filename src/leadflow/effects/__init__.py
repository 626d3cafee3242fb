"""Effects: the outbox and its delivery of emails, webhooks and notifications.

See :mod:`leadflow.effects.outbox` for why delivery is at-least-once with
idempotency keys, and :mod:`leadflow.effects.policy` for the retry schedule.
"""

from leadflow.effects.email import FileEmailSender, SmtpEmailSender, build_message, email_sender_from_url
from leadflow.effects.outbox import Deliverer, DeliveryReport, OutboxEffect, OutboxStore
from leadflow.effects.policy import Outcome, classify, next_attempt
from leadflow.effects.webhooks import WebhookSender, sign, verify

__all__ = [
    "Deliverer",
    "DeliveryReport",
    "FileEmailSender",
    "OutboxEffect",
    "OutboxStore",
    "Outcome",
    "SmtpEmailSender",
    "WebhookSender",
    "build_message",
    "classify",
    "email_sender_from_url",
    "next_attempt",
    "sign",
    "verify",
]
