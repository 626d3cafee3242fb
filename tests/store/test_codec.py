"""codec.py: the shortcuts taken for speed give what the general path gives."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.errors import InputError
from leadflow.store.codec import decode_json, dump_value, encode_json, storable_name, storable_names
from leadflow.values import Duration, to_json_value

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(),
    st.datetimes(timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5))])),
    st.dates(), st.builds(Duration, days=st.integers(0, 9)),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                      max_leaves=6)


@given(values)
def test_dump_value_is_encode_json_of_to_json_value(value):
    assert dump_value(value) == encode_json(to_json_value(value))


@given(st.lists(st.one_of(st.text(), st.integers()), max_size=4))
def test_storable_names_checks_what_storable_name_checks(texts):
    def error_of(check):
        try:
            check()
        except InputError as error:
            return str(error)
        return None

    def one_by_one():
        for text in texts:
            storable_name(text)

    assert error_of(lambda: storable_names(*texts)) == error_of(one_by_one)


def test_storable_names_refuses_a_lone_surrogate():
    with pytest.raises(InputError, match="cannot store"):
        storable_names("ok", "\ud800")


@given(values)
def test_decode_json_is_json_loads(value):
    text = encode_json(to_json_value(value))
    assert decode_json(text) == json.loads(text)


@pytest.mark.parametrize("text", ["", "  ", "{} x", "{", "[1,]"])
def test_decode_json_refuses_what_json_loads_refuses(text):
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        decode_json(text)


def test_equal_instants_in_two_zones_keep_their_own_offsets():
    # datetime_text remembers the last datetime formatted; equal instants compare
    # equal, so only the same object may share its text.
    utc = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.timezone.utc)
    new_york = utc.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert utc == new_york
    assert [dump_value(utc), dump_value(new_york), dump_value(utc)] == [
        '{"$datetime":"2026-11-23T15:00:00+00:00"}',
        '{"$datetime":"2026-11-23T10:00:00-05:00"}',
        '{"$datetime":"2026-11-23T15:00:00+00:00"}',
    ]
    assert to_json_value(new_york) == {"$datetime": "2026-11-23T10:00:00-05:00"}
