"""Email addresses: one gate (validate.normal_email) for every address stored,
deciding with the email-validator library, so an event, a CSV cell and a rule's
`set` agree on what an address is."""

from __future__ import annotations

import email_validator
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine_support import CONTACT, make_engine, snapshot
from leadflow import InputError, LeadflowRuntimeError
from leadflow.interpreter import validate
from leadflow.interpreter.validate import NotAnEmail, normal_email

NOT_EMAILS = [
    "a@example.com,5",  # a CSV cell with a comma in quotes
    "a@example.com\n",
    "a@exa\rmple.com",
    "a\x00@example.com",
    "a\n@example.com",
    "a b@example.com",
    "a@b",
    "a..b@example.com",
    ".a@example.com",
    "a@-example.com",
    "a@example",
    "a@localhost",
    "a@x.test",  # special-use domains are no one's address
    "a@example.com.",
    "@example.com",
    "a@",
    "a@@example.com",
    "a@[127.0.0.1]",
    '"a b"@example.com',
]


@pytest.mark.parametrize("text", NOT_EMAILS)
def test_not_an_email(text):
    with pytest.raises(NotAnEmail):
        normal_email(text)


@pytest.mark.parametrize(
    "text, stored",
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ada@example.com\t", "ada@example.com"),  # padding around, not inside
        ("ada+crm@sub.example.co.uk", "ada+crm@sub.example.co.uk"),
        ("o'neil@example.com", "o'neil@example.com"),
        ("Ünïcødé@Bücher.example", "ünïcødé@bücher.example"),
    ],
)
def test_the_stored_spelling(text, stored):
    assert normal_email(text) == stored


ADDRESS_CHARS = st.sampled_from(list("abcXYZ019.-_+@'!#ü ,\n\x00") + ["--", "xn--", ".test", ".com", "@example.com"])


@settings(max_examples=600, deadline=None)
@given(st.lists(ADDRESS_CHARS, max_size=14).map("".join))
@example("a@example.com")
@example("a@b.c")
@example("a@b.co")
@example("a@xn--nxasmq6b.com")
@example("a--b@ab--cd.com")
def test_the_fast_path_agrees_with_the_library(text):
    """Plain addresses skip the library (it costs ~23 µs): the answer must be the library's."""
    try:
        expected = email_validator.validate_email(text.strip(" \t").lower(), check_deliverability=False)
    except email_validator.EmailNotValidError:
        expected = None
    try:
        got = normal_email(text)
    except NotAnEmail:
        got = None
    assert got == (expected.normalized.lower() if expected else None)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(validate._PLAIN_EMAIL, fullmatch=True))
def test_every_plain_address_the_fast_path_takes_the_library_takes_alike(text):
    try:
        expected = email_validator.validate_email(text, check_deliverability=False).normalized.lower()
    except email_validator.EmailNotValidError:
        expected = None
    try:
        got = normal_email(text)
    except NotAnEmail:
        got = None
    assert got == expected


SCRIPT = (
    CONTACT
    + """
event signed_up { reply_to: email? }
event rename { to: text }
when signed_up then set first_name = "x"
when rename then set email = event.to
"""
)


@pytest.mark.parametrize("bad", ["a@example.com,5", "a\x00@example.com", "a@example.com\r\nBcc: x@y.com"])
def test_every_way_in_refuses_what_is_not_an_email(bad):
    engine = make_engine(SCRIPT)
    engine.emit("upsert", "ada@example.com", {})
    before = snapshot(engine)
    with pytest.raises(InputError, match="contact: .* is not an email address"):
        engine.emit("signed_up", bad, {})
    with pytest.raises(InputError, match="signed_up.reply_to: .* is not an email address"):
        engine.emit("signed_up", "ada@example.com", {"reply_to": bad})
    with pytest.raises(InputError, match="upsert.email: .* is not an email address"):
        engine.emit("upsert", "ada@example.com", {"email": bad})
    with pytest.raises(LeadflowRuntimeError, match="cannot store .* in `email`: not an email address"):
        engine.emit("rename", "ada@example.com", {"to": bad})
    rows = engine.import_rows([{"email": bad, "first_name": "Bad"}])
    assert isinstance(rows[0], InputError) and "not an email address" in rows[0].message
    assert snapshot(engine) == before
    assert engine.find(bad) is None  # no contact can have it
