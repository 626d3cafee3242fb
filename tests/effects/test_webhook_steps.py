"""`webhook ... as info: {...}` in a workflow (issue #3, item 3): a durable step that
waits for delivery, against a real HTTP server on loopback."""

from __future__ import annotations

import datetime as dt

from effects_support import Reply

from leadflow import Engine, SimulatedClock

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def enrichment(url: str) -> str:
    return f"""
    object contact {{ company: text?, employees: number? }}
    event signed_up {{ plan: text }}
    list big
    list small
    workflow enrich {{
      enroll when signed_up
      webhook post "{url}" with {{email: email}} as info: {{company: text?, employees: number?}}
      set company = info.company
      if (info.employees ?? 0) > 100 {{ add to big }} else {{ add to small }}
    }}
    """


def engine_for(url: str) -> Engine:
    return Engine.from_source(enrichment(url), "enrich.flow", clock=SimulatedClock(START), allow_private_webhooks=True)


def run_of(engine):
    ((run, log),) = engine.record("ada@example.com").runs
    return run, log


def test_the_run_waits_for_the_answer_and_uses_it(http_server):
    http_server.script(Reply(200, {"company": "Acme", "employees": 250}))
    engine = engine_for(http_server.url())
    engine.emit("signed_up", "ada@example.com", {"plan": "pro"})
    run, _ = run_of(engine)
    assert run.status == "active" and run.wait["webhook"]  # waiting for delivery
    assert engine.record("ada@example.com").lists == []
    engine.deliver()
    engine.run_due()
    record = engine.record("ada@example.com")
    assert record.properties["company"] == "Acme"
    assert record.lists == ["big"]
    run, log = run_of(engine)
    assert run.status == "completed"
    assert [e.kind for e in log] == ["enrolled", "step", "answered", "step", "branch", "step", "completed"]
    assert len(http_server.received) == 1


def test_delivery_without_the_engine_wakes_the_run_for_its_next_run_due(http_server):
    """`leadflow deliver` has no script: it only marks the run due; the engine takes the answer."""
    from functools import partial

    from leadflow.effects import Deliverer, WebhookSender
    from leadflow.workflows.runs import wake_effect_run

    http_server.script(Reply(200, {"company": "Acme", "employees": 7}))
    engine = engine_for(http_server.url())
    engine.emit("signed_up", "ada@example.com", {"plan": "pro"})
    store = engine.store
    Deliverer(store, None, WebhookSender({}, allow_private=True), on_settled=partial(wake_effect_run, store)).deliver(
        START
    )
    assert run_of(engine)[0].due == START
    engine.run_due()
    assert engine.record("ada@example.com").lists == ["small"]


def test_a_5xx_is_retried_and_the_run_goes_on_after_the_retry(http_server):
    http_server.script(Reply(503), Reply(200, {"company": "Acme", "employees": 3}))
    engine = engine_for(http_server.url())
    engine.emit("signed_up", "ada@example.com", {"plan": "pro"})
    engine.deliver()
    engine.run_due()
    assert run_of(engine)[0].status == "active"
    engine.clock.advance(dt.timedelta(minutes=2))
    engine.deliver()
    engine.run_due()
    assert engine.record("ada@example.com").lists == ["small"]


def test_an_answer_of_the_wrong_type_is_a_step_error_not_a_crash(http_server):
    http_server.script(Reply(200, {"company": 42}))
    engine = engine_for(http_server.url())
    engine.emit("signed_up", "ada@example.com", {"plan": "pro"})
    engine.deliver()
    engine.run_due()
    run, log = run_of(engine)
    assert run.status == "error"
    assert "does not match its type" in run.error and "company" in run.error
    assert engine.stats("enrich")["errors_by_step"] == {"1": 1}


def test_a_dead_webhook_parks_the_run_and_retry_calls_it_again(http_server):
    http_server.script(Reply(400, {"error": "bad"}), Reply(200, {"company": "Acme", "employees": 1}))
    engine = engine_for(http_server.url())
    engine.emit("signed_up", "ada@example.com", {"plan": "pro"})
    engine.deliver()  # wakes the run, which finds the webhook dead
    engine.run_due()
    run, _ = run_of(engine)
    assert run.status == "error" and "webhook failed" in run.error and run.position == "1"
    engine.retry_run(run.id)
    engine.run_due()
    engine.deliver()
    engine.run_due()
    assert run_of(engine)[0].status == "completed"
    assert engine.record("ada@example.com").lists == ["small"]
    keys = [e.key for e in engine.store.effects()]
    assert len(keys) == 2 and len(set(keys)) == 2  # the retry is a new attempt with its own key
