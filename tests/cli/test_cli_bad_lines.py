"""The blast radius of one bad line in `leadflow run`: the line is rejected with its
number and reason, and every other line is applied exactly once, whatever the
line's shape and wherever it falls in a batch.

Each file has 701 lines, the bad one at 601: 100 events into emit_many's second
batch of 500, so the batch around it has good events before and after it.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from cli_support import LIFECYCLE, jsonl, leadflow, rejected_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow import Engine, InputError

SCRIPT = LIFECYCLE / "lifecycle.flow"
GOOD = 700
BAD_AT = 601

BAD_LINES = {
    # shape: (the line's text, words its rejection must contain)
    "an int of 5,000 digits": (
        '{"event": "form_submitted", "contact": "x@example.com", "data": {"form": ' + "9" * 5000 + "}}",
        "more than 4300 digits",
    ),
    "JSON nested 100,000 deep": (
        '{"event": "form_submitted", "contact": "x@example.com", "data": {"form": '
        + "[" * 100_000
        + "]" * 100_000
        + "}}",
        "nested too deeply",
    ),
    "a contact id past SQLite's integers": (
        json.dumps({"event": "upsert", "contact": {"id": 99999999999999999999999}, "data": {}}),
        "no contact with id 99999999999999999999999",
    ),
    "a contact id of 10**30": (
        json.dumps({"event": "form_submitted", "contact": {"id": 10**30}, "data": {"form": "demo"}}),
        f"no contact with id {10**30}",
    ),
    "an at past year 9999 in UTC": (
        json.dumps(
            {
                "event": "form_submitted",
                "contact": "x@example.com",
                "at": "9999-12-31T23:59:59-12:00",
                "data": {"form": "demo"},
            }
        ),
        "outside the clock's range",
    ),
    "an at before year 1 in UTC": (
        json.dumps(
            {
                "event": "form_submitted",
                "contact": "x@example.com",
                "at": "0001-01-01T00:00:00+14:00",
                "data": {"form": "demo"},
            }
        ),
        "outside the clock's range",
    ),
    "an event id of 1.5": (
        json.dumps({"event": "form_submitted", "contact": "x@example.com", "id": 1.5, "data": {"form": "demo"}}),
        '"id" must be text or a whole number, got 1.5',
    ),
    "a lone surrogate": (
        '{"event": "form_submitted", "contact": "x@example.com", "data": {"form": "\\ud800"}}',
        "lone surrogate",
    ),
}


def event_file(tmp_path, bad_line: str):
    good = [
        {
            "event": "form_submitted",
            "contact": f"c{i}@example.com",
            "at": "2026-01-05T09:00:00Z",
            "data": {"form": "demo request"},
        }
        for i in range(GOOD)
    ]
    lines = [*good[: BAD_AT - 1], bad_line, *good[BAD_AT - 1 :]]
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(*lines), "utf-8")
    return path


@pytest.mark.parametrize("shape", list(BAD_LINES))
def test_a_bad_line_deep_in_a_batch_is_rejected_alone(tmp_path, shape):
    line, words = BAD_LINES[shape]
    events, db = event_file(tmp_path, line), tmp_path / "crm.db"

    first = leadflow("run", SCRIPT, "--events", events, "--db", db, "--no-deliver")
    assert first.code == 3, first.text
    rejected = rejected_lines(first.stderr)
    assert list(rejected) == [BAD_AT]
    assert words in rejected[BAD_AT]
    assert f"{GOOD} event(s) applied, 0 already seen, 1 rejected" in first.stdout

    # every good line's effects, exactly once: the contact, its score, its welcome email
    records = leadflow("export", "--db", db).json_lines()
    contacts = {r["properties"]["email"]: r["properties"] for r in records if r["type"] == "contact"}
    assert sorted(contacts) == sorted(f"c{i}@example.com" for i in range(GOOD))
    assert {p["score"] for p in contacts.values()} == {25}
    assert {p["lifecycle"] for p in contacts.values()} == {"lead"}
    effects = leadflow("outbox", "--db", db, "--format", "json").json_lines()
    assert Counter(e["payload"]["to"] for e in effects) == Counter({email: 1 for email in contacts})

    again = leadflow("run", SCRIPT, "--events", events, "--db", db, "--no-deliver")
    assert again.code == 3, again.text
    assert list(rejected_lines(again.stderr)) == [BAD_AT]
    assert f"0 event(s) applied, {GOOD} already seen, 1 rejected" in again.stdout
    assert len(leadflow("outbox", "--db", db, "--format", "json").json_lines()) == GOOD


def test_a_value_python_cannot_handle_fails_its_event_not_the_batch(tmp_path):
    """No check names an event id of 5,000 digits (only the API can give one): Python's
    own failure to turn it to text is still that event's InputError, not its batch's."""
    engine = Engine.from_files([SCRIPT], store=str(tmp_path / "crm.db"))
    items = [
        {"event": "form_submitted", "contact": f"c{i}@example.com", "data": {"form": "demo"}, "id": f"e{i}"}
        for i in range(12)
    ]
    items[7]["id"] = 10**5000
    results = engine.emit_many(items, batch_size=5)
    assert [type(r).__name__ for r in results] == ["EmitResult"] * 7 + ["InputError"] + ["EmitResult"] * 4
    assert isinstance(results[7], InputError) and "cannot be processed" in results[7].message
    assert engine.store.count_records() == 11
    assert len(engine.store.events()) == 11
    engine.close()


def test_lines_are_reported_in_their_order_with_their_numbers(tmp_path):
    """A line that cannot be read is reported in its place among the events' own
    rejections, which come only once their batch has committed."""
    lines = [{"event": "form_submitted", "contact": f"c{i}@example.com", "data": {"form": "demo"}} for i in range(9)]
    lines[2] = "{not json"
    lines[4] = {"event": "form_submited", "contact": "x@example.com", "data": {}}
    lines[6] = "[1, 2]"
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(*lines[:5]) + "\n\n" + jsonl(*lines[5:]), "utf-8")  # two blank lines: 6 and 7
    result = leadflow("run", SCRIPT, "--events", path, "--db", tmp_path / "crm.db", "--no-deliver")
    assert result.code == 3
    assert list(rejected_lines(result.stderr)) == [3, 5, 9]
    assert "6 event(s) applied, 0 already seen, 3 rejected" in result.stdout


# ---- any line at all --------------------------------------------------------------------------
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**18, max_value=10**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
EVENT_LINE = st.fixed_dictionaries(
    {"event": st.sampled_from(["form_submitted", "upsert", "page_viewed", "nope"]) | JSON},
    optional={
        "contact": st.sampled_from(["x@example.com", "not an email"]) | st.fixed_dictionaries({"id": JSON}) | JSON,
        "at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | JSON,
        "data": st.fixed_dictionaries({}, optional={"form": JSON, "url": JSON, "score": JSON, "email": JSON}) | JSON,
        "id": JSON,
    },
).map(json.dumps)
RAW_LINE = st.text(max_size=40).filter(lambda t: "\n" not in t and "\r" not in t)
DEEP_LINE = st.integers(min_value=1, max_value=50_000).map(
    lambda n: '{"event": "upsert", "data": ' + "[" * n + "]" * n + "}"
)
HUGE_INT_LINE = st.integers(min_value=4300, max_value=6000).map(lambda n: '{"event": "upsert", "id": ' + "7" * n + "}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=EVENT_LINE | RAW_LINE | DEEP_LINE | HUGE_INT_LINE)
def test_any_line_is_applied_or_rejected_alone(tmp_path_factory, line):
    """Property: whatever one line holds, `run` ends with exit 0 or 3 and no traceback, the
    line is applied or rejected by its number, and each good line after it is applied once."""
    directory = tmp_path_factory.mktemp("any")
    good = [
        {"event": "form_submitted", "contact": f"c{i}@example.com", "data": {"form": "demo request"}} for i in range(5)
    ]
    path = directory / "events.jsonl"
    path.write_text(jsonl(line, *good), "utf-8")
    result = leadflow("run", SCRIPT, "--events", path, "--db", directory / "crm.db", "--no-deliver")
    assert result.code in (0, 3), result.text
    rejected = rejected_lines(result.stderr)
    assert set(rejected) <= {1} and (result.code == 3) == bool(rejected)
    applied = 5 + (0 if rejected or not line.strip() else 1)
    assert f"{applied} event(s) applied, 0 already seen, {len(rejected)} rejected" in result.stdout
    records = leadflow("export", "--db", directory / "crm.db").json_lines()
    scores = {r["properties"]["email"]: r["properties"]["score"] for r in records if r["type"] == "contact"}
    assert all(scores[f"c{i}@example.com"] == 25 for i in range(5))
