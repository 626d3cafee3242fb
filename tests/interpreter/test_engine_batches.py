"""emit_many: a batch of events gives what the same events give one by one.

emit_many groups events into store batches and, before each batch, lets the
store read all their contacts with one query. Neither may change an outcome:
the results, and the store they leave, must be those of emit_record called
for each event in its own transaction.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_support import CONTACT, START
from leadflow import Engine, SimulatedClock, load
from leadflow.errors import LeadflowError

PROGRAM = load(
    {
        "test.flow": CONTACT
        + """
event form_submitted { form: text }
event moved { to: email }
list engaged

rule "form" when form_submitted then { increment score by 10  set last_activity = now() }
rule "fail" when form_submitted where event.form == "fail" then set score = 1 / 0
rule "move" when moved then set email = event.to
rule "hot" when matching score >= 20 then add to engaged
"""
    }
)

# One address in several spellings, an unknown one, and one that is not an email.
WHO = ["ada@example.com", " Ada@Example.com", "bob@example.com", "new@example.com", "not an email", {"id": 1}]

lines = st.lists(
    st.one_of(
        st.builds(
            lambda who, form: {"event": "form_submitted", "contact": who, "data": {"form": form}},
            st.sampled_from(WHO),
            st.sampled_from(["demo", "fail"]),
        ),
        st.builds(
            lambda who, to: {"event": "moved", "contact": who, "data": {"to": to}},
            st.sampled_from(WHO),
            st.sampled_from(["ada@example.com", "bob@example.com", "cy@example.com"]),
        ),
        st.builds(lambda who: {"event": "upsert", "contact": who, "data": {"first_name": "A"}}, st.sampled_from(WHO)),
        st.just({"event": "nope", "contact": "ada@example.com"}),
        st.just(["not", "an", "object"]),
    ),
    max_size=14,
)


def engine_with_contacts() -> Engine:
    engine = Engine(PROGRAM, store=":memory:", clock=SimulatedClock(START))
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"}, key="setup-ada")
    engine.emit("upsert", "bob@example.com", {"first_name": "Bob"}, key="setup-bob")
    return engine


def outcome_of(outcome) -> tuple:
    if isinstance(outcome, LeadflowError):
        return (type(outcome).__name__, str(outcome))
    return (outcome.key, outcome.record_id, outcome.duplicate, outcome.fired)


def state_of(engine: Engine) -> dict:
    store = engine.store
    return {
        "records": [
            (
                r.id,
                r.props,
                sorted(store.lists_of(r.id)),
                [(h.kind, h.field, h.old, h.new) for h in store.history(r.id)],
            )
            for r in store.records()
        ],
        "events": [(e.key, e.record_id) for e in store.events()],
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines, batch_size=st.integers(1, 6))
def test_a_batch_gives_what_its_events_give_one_by_one(lines, batch_size):
    lines = [{**line, "id": f"e{i}"} if isinstance(line, dict) else line for i, line in enumerate(lines)]
    lines += lines[:2]  # repeats: duplicates, found by their keys
    batched, single = engine_with_contacts(), engine_with_contacts()
    try:
        in_batches = batched.emit_many(lines, batch_size=batch_size)
        one_by_one = []
        for line in lines:
            try:
                one_by_one.append(single.emit_record(line))
            except LeadflowError as error:
                one_by_one.append(error)
        assert [outcome_of(o) for o in in_batches] == [outcome_of(o) for o in one_by_one]
        assert state_of(batched) == state_of(single)
    finally:
        batched.store.close()
        single.store.close()


def test_contacts_of_a_batch_are_read_with_one_query():
    engine = engine_with_contacts()
    seen: list[str] = []
    engine.store._conn.set_trace_callback(seen.append)
    results = engine.emit_many(
        [
            {"event": "form_submitted", "contact": who, "data": {"form": "demo"}, "id": f"e{i}"}
            for i, who in enumerate(["ada@example.com", "BOB@example.com", "ada@example.com"])
        ]
    )
    engine.store._conn.set_trace_callback(None)
    assert [r.record_id for r in results] == [1, 2, 1]
    reads = [sql for sql in seen if sql.startswith("SELECT") and "FROM records" in sql]
    assert len(reads) == 1 and "json_each" in reads[0]
    engine.store.close()
