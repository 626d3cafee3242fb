"""codec.py: the shortcuts taken for speed give what the general path gives."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from leadflow.errors import InputError
from leadflow.store.codec import decode_json, dump_value, encode_json, storable_name, storable_names
from leadflow.store.codec import _ENCODER as STANDARD_ENCODER
from leadflow.values import Duration, to_json_value

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5))])),
    st.dates(),
    st.builds(Duration, days=st.integers(0, 9)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=6,
)


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
    utc = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
    new_york = utc.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert utc == new_york
    assert [dump_value(utc), dump_value(new_york), dump_value(utc)] == [
        '{"$datetime":"2026-11-23T15:00:00+00:00"}',
        '{"$datetime":"2026-11-23T10:00:00-05:00"}',
        '{"$datetime":"2026-11-23T15:00:00+00:00"}',
    ]
    assert to_json_value(new_york) == {"$datetime": "2026-11-23T10:00:00-05:00"}


# What encode_json must agree with: the standard library's encoder, which it falls back on.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec="utf-8")),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3),
    max_leaves=8,
)


def standard_or_error(value):
    try:
        return STANDARD_ENCODER.encode(value)
    except (TypeError, ValueError):
        return None


@given(json_values)
@example(float("nan")).via("orjson writes null")
@example({"x": [1.5, float("inf")]}).via("orjson writes null")
@example({"x": [2**70, "\ud800"]}).via("orjson refuses")
def test_encode_json_writes_what_the_standard_encoder_writes_and_refuses_what_it_refuses(value):
    expected = standard_or_error(value)  # NaN and infinities refused, even where orjson writes null
    if expected is None:
        with pytest.raises(InputError, match="cannot store"):
            encode_json(value)
    else:
        assert json.loads(encode_json(value)) == json.loads(expected)


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**80},
        [-(2**64)],
        {1: "one"},
        {"s": "\ud800"},
        {"text": "null and none"},
        [None],
    ],
)
def test_what_orjson_cannot_write_takes_the_standard_path(value):
    assert encode_json(value) == STANDARD_ENCODER.encode(value)
