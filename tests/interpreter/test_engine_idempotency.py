"""Idempotency: an event applies once, and replaying an event file after a crash
gives the store that one clean run gives."""

from __future__ import annotations

import datetime as dt
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_support import CONTACT, START
from leadflow import Engine, SimulatedClock, load

SCRIPT = (
    CONTACT
    + """
event form_submitted { form: text }
list engaged
list demo_requests
email welcome { subject: "Welcome {first_name ?? "there"}" body: "Hi! Score {score}." }

rule "welcome" when created then send email welcome
rule "form" when form_submitted then { increment score by 10  set last_activity = now() }
rule "demo" when form_submitted where event.form == "demo" then { add to demo_requests  set lifecycle = lead }
rule "hot" when matching score >= 30 then { add to engaged  notify "sales" "hot: {email}" }
rule "cooled" when lifecycle changed to subscriber then remove from engaged
"""
)


def test_the_same_key_applies_once(engine_for):
    engine = engine_for(SCRIPT)
    first = engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, key="evt-1")
    assert not first.duplicate and first.key == "evt-1"
    engine.clock.advance(dt.timedelta(hours=1))
    second = engine.emit("form_submitted", "ada@example.com", {"form": "demo"}, key="evt-1")
    assert second.duplicate and second.fired == () and second.record_id is None
    props = engine.record("ada@example.com").properties
    assert props["score"] == 10
    assert [e.kind for e in engine.store.effects()] == ["email"]
    assert len(engine.store.events()) == 1


def test_the_same_content_without_a_key_applies_once(engine_for):
    engine = engine_for(SCRIPT)
    at = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    first = engine.emit("form_submitted", "ada@example.com", {"form": "x"}, at=at)
    second = engine.emit("form_submitted", "ada@example.com", {"form": "x"}, at=at)
    assert not first.duplicate and second.duplicate and second.key == first.key
    assert engine.record("ada@example.com").properties["score"] == 10
    # different content or a different moment is another event
    assert not engine.emit("form_submitted", "ada@example.com", {"form": "y"}, at=at).duplicate
    assert not engine.emit(
        "form_submitted", "ada@example.com", {"form": "x"}, at=at + dt.timedelta(seconds=1)
    ).duplicate
    assert engine.record("ada@example.com").properties["score"] == 30
    assert len(engine.store.effects(status="pending")) == 2  # the welcome email, and the "hot" notification


def test_emit_many_dedupes_within_and_across_batches(engine_for):
    engine = engine_for(SCRIPT)
    line = {
        "event": "form_submitted",
        "contact": "ada@example.com",
        "data": {"form": "x"},
        "at": "2026-12-01T10:00:00Z",
    }
    results = engine.emit_many([line, dict(line), {**line, "id": "a"}, {**line, "id": "a"}], batch_size=1)
    assert [r.duplicate for r in results] == [False, True, False, True]
    again = engine.emit_many([line, {**line, "id": "a"}])
    assert all(r.duplicate for r in again)
    assert engine.record("ada@example.com").properties["score"] == 20


# ---- crash and replay ---------------------------------------------------------------------

PROGRAM = load({"test.flow": SCRIPT})
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None  # commits without disk syncs: faster
EMAILS = ["ada@example.com", "bob@example.com", "cy@example.com"]

upserts = st.builds(
    lambda who, props: ("upsert", who, props),
    st.sampled_from(EMAILS),
    st.fixed_dictionaries(
        {},
        optional={
            "first_name": st.sampled_from(["Ada", "Bob", "<b>"]),
            "lifecycle": st.sampled_from(["subscriber", "lead", "mql"]),
            "score": st.integers(0, 40),
            "vip": st.booleans(),
        },
    ),
)
forms = st.builds(
    lambda who, form: ("form_submitted", who, {"form": form}),
    st.sampled_from(EMAILS),
    st.sampled_from(["demo", "ebook"]),
)


@st.composite
def event_files(draw):
    events = draw(st.lists(st.one_of(upserts, forms), min_size=1, max_size=12))
    lines = []
    moment = START
    for i, (name, who, data) in enumerate(events):
        moment += dt.timedelta(minutes=draw(st.integers(0, 90)))  # 0: two events at one moment
        line = {"event": name, "contact": who, "data": data, "at": moment.isoformat()}
        if draw(st.booleans()):
            line["id"] = f"e{i}"
        lines.append(line)
    if draw(st.booleans()):  # an exact repeat somewhere in the file
        lines.insert(draw(st.integers(0, len(lines))), dict(draw(st.sampled_from(lines))))
    return lines


def state_of(engine: Engine) -> dict:
    store = engine.store
    return {
        "records": [
            (r.id, r.type, r.props, sorted(store.lists_of(r.id)), len(store.history(r.id))) for r in store.records()
        ],
        "events": sorted(e.key for e in store.events()),
        "outbox": sorted(e.key for e in store.effects()),
        "payloads": sorted(repr(sorted(e.payload.items())) for e in store.effects()),
    }


def run_file(path: str, lines: list[dict]) -> dict:
    engine = Engine(PROGRAM, store=path, clock=SimulatedClock(START))
    try:
        for outcome in engine.emit_many(lines, batch_size=3):
            assert not isinstance(outcome, Exception), outcome
        return state_of(engine)
    finally:
        engine.store.close()


def crash_after(path: str, committed: list[dict], unfinished: list[dict]) -> None:
    """A first run that commits `committed`, then dies in the middle of a batch holding
    `unfinished`: a forked process that exits without leaving the batch, as a kill would."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        status = 1
        try:
            engine = Engine(PROGRAM, store=path, clock=SimulatedClock(START))
            engine.emit_many(committed)
            with engine.store.batch():
                for line in unfinished:
                    engine.emit_record(line)
                status = 0
                os._exit(status)
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=event_files(), data=st.data())
def test_replaying_after_a_crash_gives_the_same_store(lines, data):
    crash_at = data.draw(st.integers(0, len(lines)), label="crash_at")
    unfinished = data.draw(st.integers(0, 3), label="unfinished")
    with tempfile.TemporaryDirectory(dir=SCRATCH) as directory:
        clean = run_file(os.path.join(directory, "clean.db"), lines)
        crashed = os.path.join(directory, "crashed.db")
        crash_after(crashed, lines[:crash_at], lines[crash_at : crash_at + unfinished])
        # the crash kept exactly the committed prefix (the unfinished batch is gone)
        assert run_file(crashed, []) == run_file(os.path.join(directory, "prefix.db"), lines[:crash_at])
        replayed = run_file(crashed, lines)
    assert replayed == clean
