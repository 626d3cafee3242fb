"""`url_encode` and `url_query`: text goes into a URL and comes out the same at the
receiver, whatever it holds (`a+b@...`, `AT&T #1`, spaces, accents)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.errors import LeadflowRuntimeError
from leadflow.stdlib import text

UNRESERVED_OR_ESCAPE = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})*")


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a+b@example.com", "a%2Bb%40example.com"),
        ("AT&T #1", "AT%26T%20%231"),
        ("café/crème?x=1", "caf%C3%A9%2Fcr%C3%A8me%3Fx%3D1"),
        ("plain-text_1.0~", "plain-text_1.0~"),
        ("", ""),
    ],
)
def test_url_encode(raw, encoded):
    assert text.url_encode(raw) == encoded


def test_url_query_reads_values_as_interpolation_does_and_skips_nulls():
    params = {
        "email": "a+b@example.com",
        "company": "AT&T #1",
        "n": 3.0,
        "vip": True,
        "since": dt.date(2026, 1, 5),
        "tag": ["a b", "c"],
        "gone": None,
        "ünï": "x",
    }
    assert text.url_query(params) == (
        "email=a%2Bb%40example.com&company=AT%26T%20%231&n=3&vip=true&since=2026-01-05&tag=a%20b&tag=c&%C3%BCn%C3%AF=x"
    )
    assert text.url_query({}) == ""


def test_url_query_refuses_a_nested_record():
    with pytest.raises(LeadflowRuntimeError, match="url_query.*field `address`"):
        text.url_query({"address": {"city": "Paris"}})


TEXT = st.text(st.characters(blacklist_categories=("Cs",)))  # what a script can hold: no lone surrogates


@given(TEXT)
def test_url_encode_round_trips_and_leaves_nothing_special(s):
    encoded = text.url_encode(s)
    assert UNRESERVED_OR_ESCAPE.fullmatch(encoded)
    assert unquote(encoded) == s


@given(st.dictionaries(TEXT.filter(bool), TEXT | st.lists(TEXT, max_size=3), max_size=5))
def test_url_query_parses_back_to_the_same_pairs(params):
    expected = [(k, item) for k, v in params.items() for item in (v if isinstance(v, list) else [v])]
    assert parse_qsl(text.url_query(params), keep_blank_values=True) == expected
