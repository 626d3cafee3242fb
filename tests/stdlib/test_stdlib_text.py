"""Text builtins: edge cases and the errors they raise for bad data."""

from __future__ import annotations

import pytest

from leadflow.errors import LeadflowRuntimeError
from leadflow.stdlib import text


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (0, None, "hello"),
        (1, None, "ello"),
        (-3, None, "llo"),
        (2, 100, "llo"),
        (10, 20, ""),
        (-100, 2, "he"),
        (3, 1, ""),
        (1.0, 3.0, "el"),
    ],
)
def test_substring_clamps_instead_of_failing(start, end, expected):
    assert text.substring("hello", start, end) == expected


def test_substring_needs_whole_positions():
    with pytest.raises(LeadflowRuntimeError, match="start must be a whole number"):
        text.substring("hello", 1.5)


def test_split_keeps_empty_pieces_and_rejects_an_empty_separator():
    assert text.split("a,,b,", ",") == ["a", "", "b", ""]
    assert text.split("", ",") == [""]
    with pytest.raises(LeadflowRuntimeError, match="separator must not be empty"):
        text.split("abc", "")


def test_replace():
    assert text.replace("aaa", "a", "bb") == "bbbbbb"
    with pytest.raises(LeadflowRuntimeError, match="must not be empty"):
        text.replace("abc", "", "x")


def test_case_and_search_are_case_sensitive():
    assert not text.contains("Hello", "hello")
    assert text.contains(text.lower("Hello"), "hello")
    assert text.contains("abc", "")
    assert not text.starts_with("abc", "b") and not text.ends_with("abc", "b")


def test_padding():
    assert text.pad_left("12345", 3, "0") == "12345"
    assert text.pad_right("a", 3, ".") == "a.."
    assert text.pad_left("a", -2) == "a"
    with pytest.raises(LeadflowRuntimeError, match="exactly one character"):
        text.pad_left("a", 3, "ab")
    with pytest.raises(LeadflowRuntimeError, match="over the limit"):
        text.pad_right("a", 10**9)


@pytest.mark.parametrize(
    "candidate, expected",
    [
        ("ann@acme.com", True),
        (" ann@acme.com ", True),
        ("a.b+tag@sub.acme.co.uk", True),
        ("ann@acme", False),
        ("ann acme.com", False),
        ("@acme.com", False),
        ("ann@@acme.com", False),
        ("ann@acme.", False),
        ("", False),
    ],
)
def test_is_email(candidate, expected):
    assert text.is_email(candidate) is expected


def test_email_domain():
    assert text.email_domain("first.last@Mail.Example.ORG") == "mail.example.org"
    for bad in ("no-at-sign", "ann@"):
        with pytest.raises(LeadflowRuntimeError, match="is not an email address"):
            text.email_domain(bad)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("Hello, World", "hello-world"),
        ("  --Ünïcödé--  ", "unicode"),
        ("日本", ""),
        ("Q3 2026: Big Sale!!", "q3-2026-big-sale"),
    ],
)
def test_slug(source, expected):
    assert text.slug(source) == expected


@pytest.mark.parametrize(
    "source, expected",
    [
        ("42", 42),
        ("+7", 7),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("3.", 3.0),
        ("1e3", 1000.0),
        (" 12 ", 12),
        ("", None),
        ("abc", None),
        ("1,5", None),
        ("1_000", None),
        ("nan", None),
        ("inf", None),
        ("1e999", None),
        ("١٢", None),
        ("9" * 5000, None),
    ],
)
def test_parse_number(source, expected):
    parsed = text.parse_number(source)
    assert parsed == expected and type(parsed) is type(expected)


def test_length_counts_characters():
    assert text.length("") == 0 and text.length("née") == 3
