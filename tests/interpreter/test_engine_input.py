"""Input errors: a malformed event is rejected with a reason before anything is applied."""

from __future__ import annotations

import pytest

from engine_support import CONTACT, snapshot
from leadflow import InputError

SCRIPT = (
    CONTACT
    + """
event form_submitted { form: text, page: url?, visits: number?, at_time: datetime? }
event purchase { amount: number }
list buyers
when purchase then { add to buyers  increment score by event.amount }
when form_submitted then increment score by 1
"""
)

BAD = [
    # (event, contact, data, words the message must contain)
    (
        "form_submited",
        "ada@example.com",
        {"form": "x"},
        ["unknown event `form_submited`", "did you mean `form_submitted`"],
    ),
    ("form_submitted", "ada@example.com", {"form": "x", "color": "red"}, ["has no field color", "form, page"]),
    ("form_submitted", "ada@example.com", {"form": 42}, ["form_submitted.form", "expected text, got a number"]),
    ("purchase", "ada@example.com", {"amount": "12"}, ["purchase.amount", "expected a number, got text"]),
    ("purchase", "ada@example.com", {"amount": True}, ["purchase.amount", "expected a number, got a bool"]),
    (
        "form_submitted",
        "ada@example.com",
        {"form": "x", "at_time": "next tuesday"},
        ["form_submitted.at_time", "'next tuesday' is not a valid datetime"],
    ),
    (
        "form_submitted",
        "ada@example.com",
        {"form": "x", "page": "ftp://x"},
        ["form_submitted.page", "not an http(s) URL"],
    ),
    ("purchase", "ada@example.com", {}, ["purchase.amount", "a value is required"]),
    (
        "form_submitted",
        "ada@example.com",
        {"page": "https://x.example"},
        ["form_submitted.form", "a value is required"],
    ),
    ("purchase", "not an email", {"amount": 1}, ["contact", "not an email address"]),
    ("purchase", {"id": 99}, {"amount": 1}, ["no contact with id 99"]),
    ("purchase", {"email": "ada@example.com"}, {"amount": 1}, ['"contact" must be an email or {"id": N}']),
    ("purchase", None, {"amount": 1}, ['"contact" must be an email or {"id": N}, got null']),
    ("upsert", "ada@example.com", {"shoe_size": 42}, ["contact property `shoe_size` does not exist"]),
    ("upsert", "ada@example.com", {"id": 7}, ["contact property `id` is read-only"]),
    ("upsert", "ada@example.com", {"lifecycle": "leed"}, ["upsert.lifecycle", "not one of subscriber, lead"]),
    ("upsert", "ada@example.com", {"score": None}, ["upsert.score", "a value is required"]),
    ("upsert", "ada@example.com", {"score": float("nan")}, ["upsert.score", "finite"]),
]


@pytest.mark.parametrize("event, contact, data, words", BAD, ids=[f"{i}-{b[0]}" for i, b in enumerate(BAD)])
def test_bad_input_is_an_input_error_and_applies_nothing(engine_for, event, contact, data, words):
    engine = engine_for(SCRIPT)
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    before = snapshot(engine)
    with pytest.raises(InputError) as caught:
        engine.emit(event, contact, data)
    for word in words:
        assert word in caught.value.message
    assert snapshot(engine) == before


def test_a_contact_can_be_named_by_id(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("upsert", "ada@example.com", {})
    result = engine.emit("purchase", {"id": 1}, {"amount": 5})
    assert result.record_id == 1
    assert engine.record(1).properties["score"] == 5


def test_optional_fields_default_to_null_and_text_kinds_are_trimmed(engine_for):
    engine = engine_for(
        SCRIPT
        + """
rule "page seen" when form_submitted if event.page is known then set first_name = event.page
"""
    )
    engine.emit("form_submitted", "ada@example.com", {"form": "a"})
    assert "first_name" not in engine.record("ada@example.com").properties
    engine.emit("form_submitted", "ada@example.com", {"form": "b", "page": " https://x.example/p "})
    assert engine.record("ada@example.com").properties["first_name"] == "https://x.example/p"


EVENT_FILE_BAD = [
    ([], "an event must be a JSON object"),
    ({"event": "purchase", "contact": "ada@example.com", "data": {"amount": 1}, "when": "now"}, "unknown key(s) when"),
    ({"contact": "ada@example.com"}, 'the event has no "event" name'),
    ({"event": "purchase", "contact": "ada@example.com", "data": [1]}, '"data" must be a JSON object'),
    (
        {"event": "purchase", "contact": "ada@example.com", "data": {"amount": 1}, "id": 1.5},
        '"id" must be text or a whole number, got 1.5',
    ),
    (
        {"event": "purchase", "contact": "ada@example.com", "data": {"amount": 1}, "id": True},
        '"id" must be text or a whole number, got true',
    ),
    (
        {"event": "purchase", "contact": "ada@example.com", "data": {"amount": 1}, "at": "soon"},
        "at: 'soon' is not a valid datetime",
    ),
]


@pytest.mark.parametrize("item, words", EVENT_FILE_BAD, ids=[str(i) for i in range(len(EVENT_FILE_BAD))])
def test_bad_event_file_lines(engine_for, item, words):
    engine = engine_for(SCRIPT)
    with pytest.raises(InputError) as caught:
        engine.emit_record(item)
    assert words in caught.value.message
    assert engine.store.count_records() == 0 and engine.store.events() == []
