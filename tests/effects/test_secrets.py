"""Secret values: refused at start when they cannot go in a header (naming the secret,
never the value), and removed, whole or in pieces, from whatever a receiver echoes."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from effects_support import NOW, Reply
from hypothesis import given
from hypothesis import strategies as st

from leadflow import Engine
from leadflow.effects.outbox import Deliverer
from leadflow.effects.secrets import FRAGMENT, Redactor, SecretValueError, check_values
from leadflow.effects.webhooks import WebhookSender

BEARER = "tok-3f9c1e7a-bearer-5kq2"


def fragments(value: str) -> set[str]:
    return {value[i : i + FRAGMENT] for i in range(len(value) - FRAGMENT + 1)}


def leaks(text: str, value: str) -> list[str]:
    return sorted(f for f in fragments(value) if f in text)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abcdefgh12345678\r\nX-Evil: ijklmnop", "line break"),
        ("zyxwvuts98765432qwerty\n", "line break"),
        ("pässwörd-ünïcode-secret", "outside ASCII"),
        ("nul\x00inside-the-value", "control character"),
        (" padded-secret-value", "white space"),
        ("", "is empty"),
    ],
)
def test_unusable_values_are_refused_naming_the_secret_only(value, problem):
    for start in (
        lambda: check_values({"API_KEY": value}),
        lambda: WebhookSender({"API_KEY": value}),
        lambda: Engine.from_source("secret API_KEY\n", secrets={"API_KEY": value}),
    ):
        with pytest.raises(SecretValueError) as caught:
            start()
        message = str(caught.value)
        assert message.startswith("secret API_KEY: its value") and problem in message
        assert not leaks(message, value) and (not value.strip() or value.strip() not in message)


def test_the_environment_is_checked_too(monkeypatch):
    monkeypatch.setenv("LEADFLOW_SECRET_API_KEY", "from-the-env-with-a-newline\n")
    with pytest.raises(SecretValueError, match="secret API_KEY"):
        Engine.from_source("secret API_KEY\n")


def test_pieces_and_other_spellings_are_removed():
    value = 'k"ey/with spaces+and-more-1234567890'
    redactor = Redactor([value])
    for text in (value, value[:13], value[9:], json.dumps(value), quote(value, safe=""), quote(value)):
        cleaned = redactor.text(f"before {text} after")
        assert cleaned.startswith("before ") and cleaned.endswith(" after")
        assert not leaks(cleaned, value)
        for spelling in (json.dumps(value)[1:-1], quote(value, safe="")):
            assert not leaks(cleaned, spelling)


def test_other_text_is_left_alone():
    assert Redactor([BEARER]).text("HTTP 500: nothing secret here") == "HTTP 500: nothing secret here"
    assert Redactor(["short"]).text("a short word") == "a *** word"  # under FRAGMENT: only whole


secret_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=FRAGMENT, max_size=40)


@given(secret_text, st.text(max_size=30), st.text(max_size=30), st.data())
def test_no_piece_of_a_secret_survives(value, before, after, data):
    start = data.draw(st.integers(0, len(value) - FRAGMENT))
    end = data.draw(st.integers(start + FRAGMENT, len(value)))
    cleaned = Redactor([value]).text(before + value[start:end] + after)
    assert not leaks(cleaned, value)


def test_an_error_snippet_cut_inside_the_echoed_secret_keeps_no_piece(http_server, store):
    """The snippet of a failed reply is 200 characters: the cut once left the secret's start."""
    padding = "x" * (200 - len('{"detail": "Bearer ') - 10)
    http_server.script(Reply(500, body=f'{{"detail": "{padding}Bearer {BEARER}"}}'))
    effect = store.add("webhook", {"method": "POST", "url": http_server.url(), "body": {}, "auth_bearer": "API_KEY"})
    sender = WebhookSender({"API_KEY": BEARER}, allow_private=True)
    Deliverer(store, None, sender).deliver(NOW)
    assert effect.status == "pending" and effect.last_error.startswith("HTTP 500")
    assert not leaks(effect.last_error, BEARER)
    assert http_server.received[0].headers["authorization"] == f"Bearer {BEARER}"


def test_a_reply_echoing_pieces_is_stored_without_them(http_server, store):
    http_server.script(
        Reply(
            200,
            {
                "you_sent": f"Bearer {BEARER}",
                "cut": BEARER[:15],
                "tail": BEARER[-9:],
                "escaped": json.dumps(f"Bearer {BEARER}"),
                "n": 1,
            },
        )
    )
    effect = store.add("webhook", {"method": "POST", "url": http_server.url(), "body": {}, "auth_bearer": "API_KEY"})
    Deliverer(store, None, WebhookSender({"API_KEY": BEARER}, allow_private=True)).deliver(NOW)
    assert effect.status == "sent" and effect.response["n"] == 1
    assert effect.response["you_sent"] == "Bearer ***"
    assert not leaks(json.dumps(effect.response), BEARER)
