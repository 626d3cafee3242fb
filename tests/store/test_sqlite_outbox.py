"""SqliteStore's outbox: idempotent enqueue, due order, retry, dead, replay."""

from __future__ import annotations

import datetime as dt

import pytest

from leadflow.errors import InputError
from store_support import at

NEW_YORK = dt.timezone(dt.timedelta(hours=-4))


def test_enqueue_is_idempotent_on_key(store):
    first = store.enqueue_effect("email", {"to": "ann@x.io", "template": "welcome"}, "evt1/welcome", at(0))
    again = store.enqueue_effect("email", {"to": "someone@else"}, "evt1/welcome", at(5))
    assert again == first
    (effect,) = store.effects()
    assert effect.payload == {"to": "ann@x.io", "template": "welcome"}
    assert (effect.kind, effect.key, effect.status) == ("email", "evt1/welcome", "pending")
    assert effect.attempts == 0
    assert effect.next_attempt_at == at(0) and effect.created_at == at(0)
    assert effect.first_attempt_at is None and effect.sent_at is None and effect.response is None
    assert store.get_effect(first) == effect
    assert store.get_effect(first + 1) is None


def test_due_effects_order_and_due_time(store):
    late = store.enqueue_effect("webhook", {}, "late", at(30))
    early = store.enqueue_effect("email", {}, "early", at(10))
    tie_a = store.enqueue_effect("notify", {}, "tie-a", at(20))
    tie_b = store.enqueue_effect("notify", {}, "tie-b", at(20))
    assert store.due_effects(at(5)) == []
    assert [e.id for e in store.due_effects(at(20))] == [early, tie_a, tie_b]
    assert [e.id for e in store.due_effects(at(20), limit=2)] == [early, tie_a]
    # "now" in another zone: 05:30 in New York is 09:30 UTC.
    assert [e.id for e in store.due_effects(at(30).astimezone(NEW_YORK))] == [early, tie_a, tie_b, late]
    store.mark_sent(early, at(31))
    assert [e.id for e in store.due_effects(at(60))] == [tie_a, tie_b, late]


def test_due_effects_uses_the_due_index(store):
    store.enqueue_effect("email", {}, "k", at(0))
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    store.due_effects(at(0))
    store._conn.set_trace_callback(None)
    plan = " ".join(row[-1] for row in store._conn.execute("EXPLAIN QUERY PLAN " + seen[-1]))
    assert "outbox_due" in plan and "TEMP B-TREE" not in plan


def test_retry_then_dead_then_replay(store):
    effect_id = store.enqueue_effect("webhook", {"url": "https://hooks.example/x"}, "k", at(0))
    store.mark_retry(effect_id, at(5), "HTTP 503", at(1))
    effect = store.get_effect(effect_id)
    assert (effect.status, effect.attempts, effect.last_error) == ("pending", 1, "HTTP 503")
    assert effect.first_attempt_at == at(1) and effect.next_attempt_at == at(5)
    assert store.due_effects(at(4)) == []
    assert [e.id for e in store.due_effects(at(5))] == [effect_id]

    store.mark_retry(effect_id, at(20), "timeout", at(6))
    store.mark_dead(effect_id, "HTTP 410", at(21))
    effect = store.get_effect(effect_id)
    assert (effect.status, effect.attempts, effect.last_error) == ("dead", 3, "HTTP 410")
    assert effect.first_attempt_at == at(1)
    assert store.due_effects(at(999)) == []
    assert [e.id for e in store.effects("dead")] == [effect_id]

    store.replay(effect_id, at(100))
    effect = store.get_effect(effect_id)
    assert (effect.status, effect.attempts, effect.first_attempt_at) == ("pending", 0, None)
    assert effect.next_attempt_at == at(100)
    assert store.due_effects(at(99)) == []
    assert [e.id for e in store.due_effects(at(100))] == [effect_id]

    store.mark_sent(effect_id, at(101), {"status": 200, "body": "ok"})
    effect = store.get_effect(effect_id)
    assert (effect.status, effect.attempts, effect.sent_at) == ("sent", 1, at(101))
    assert effect.first_attempt_at == at(101)
    assert effect.response == {"status": 200, "body": "ok"}
    assert store.effects("pending") == [] and [e.id for e in store.effects("sent")] == [effect_id]


def test_transitions_require_the_right_status(store):
    effect_id = store.enqueue_effect("email", {}, "k", at(0))
    with pytest.raises(InputError, match="is pending, not dead"):
        store.replay(effect_id, at(1))
    store.mark_sent(effect_id, at(1))
    for attempt in (
        lambda: store.mark_sent(effect_id, at(2)),
        lambda: store.mark_retry(effect_id, at(3), "x", at(2)),
        lambda: store.mark_dead(effect_id, "x", at(2)),
    ):
        with pytest.raises(InputError, match="is sent, not pending"):
            attempt()
    with pytest.raises(InputError, match="no effect"):
        store.mark_dead(effect_id + 1, "x", at(2))
    assert store.get_effect(effect_id).attempts == 1


def test_effects_lists_all_in_id_order(store):
    kinds = ["email", "notify"]
    ids = [store.enqueue_effect(kind, {"n": n}, f"k{n}", at(10 - n)) for n, kind in enumerate(kinds)]
    assert [e.id for e in store.effects()] == ids
    assert [e.payload for e in store.effects()] == [{"n": 0}, {"n": 1}]
