"""Custom code: `fn` with let, for, if/else and match, under the step budget."""

from __future__ import annotations

import pytest

from engine_support import CONTACT
from leadflow import BudgetExceeded

SCRIPT = (
    CONTACT
    + """
object deal { name: text, amount: number = 0, contact: contact reverse deals }
event big { items: list<number> }
event order { amount: number }

fn pairs(xs: list<number>) -> number {
  let n = 0
  for a in xs {
    for b in xs {
      n = n + 1
    }
  }
  return n
}
fn total(xs: list<number>) -> number {
  let t = 0
  for x in xs {
    if x > 2 {
      t = t + x
    } else {
      t = t - 1
    }
  }
  return t
}
fn grade(s: number) -> text = match s { 0 => "none", 1, 2 => "low" else => "high" }
fn commission(amount: number) -> number {
  let base = amount * 0.05
  return if amount > 50000 then base * 1.5 else base
}
fn stage_rank(l: enum { subscriber, lead, mql, sql, opportunity, customer }) -> number =
  match l { subscriber => 0, lead => 1 else => 2 }

rule "Count" when big then set visits = pairs(event.items)
rule "Grade" when big then set first_name = grade(total(event.items))
rule "Commission" when order then set score = commission(event.amount)
rule "Rank" when order then set visits = stage_rank(lifecycle)
"""
)


def test_functions_compute_with_let_for_if_and_match(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("big", "ada@example.com", {"items": [1, 2, 3]})
    props = engine.record("ada@example.com").properties
    assert props["visits"] == 9  # 3 x 3 pairs
    assert props["first_name"] == "low"  # total: -1 -1 +3 = 1
    engine.emit("big", "ada@example.com", {"items": []}, key="empty")
    assert engine.record("ada@example.com").properties["first_name"] == "none"
    engine.emit("big", "ada@example.com", {"items": [5, 10]}, key="high")
    assert engine.record("ada@example.com").properties["first_name"] == "high"


@pytest.mark.parametrize("amount, expected", [(1000, 50), (100000, 7500), (50000, 2500)])
def test_let_and_if_expression(engine_for, amount, expected):
    engine = engine_for(SCRIPT)
    engine.emit("order", "ada@example.com", {"amount": amount})
    assert engine.record("ada@example.com").properties["score"] == pytest.approx(expected)


def test_match_on_an_enum(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("order", "ada@example.com", {"amount": 1})
    assert engine.record("ada@example.com").properties["visits"] == 0
    engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"})
    engine.emit("order", "ada@example.com", {"amount": 2})
    assert engine.record("ada@example.com").properties["visits"] == 1
    engine.emit("upsert", "ada@example.com", {"lifecycle": "customer"})
    engine.emit("order", "ada@example.com", {"amount": 3})
    assert engine.record("ada@example.com").properties["visits"] == 2


def test_a_runaway_loop_exceeds_the_step_budget(engine_for):
    source = SCRIPT
    engine = engine_for(source, step_budget=10_000)
    engine.emit("big", "ada@example.com", {"items": list(range(50))})  # 2,500 steps: fine
    assert engine.record("ada@example.com").properties["visits"] == 2500
    with pytest.raises(BudgetExceeded) as caught:
        engine.emit("big", "ada@example.com", {"items": list(range(1000))})
    error = caught.value
    assert error.where == 'rule "Count"'
    assert "fn pairs ran past its step budget of 10000" in error.message
    # the span is the inner loop, where the steps ran out
    assert error.span.line == source.splitlines().index("    for b in xs {") + 1
    assert f"test.flow:{error.span.line}" in str(error)
    assert engine.record("ada@example.com").properties["visits"] == 2500  # rolled back


def test_the_budget_is_per_rule_run(engine_for):
    engine = engine_for(SCRIPT, step_budget=3_000)
    # each event uses ~2,500 steps in "Count": close to the budget, but never over it
    for i in range(4):
        engine.emit("big", "ada@example.com", {"items": list(range(50))}, key=str(i))
    assert engine.record("ada@example.com").properties["visits"] == 2500


def test_the_budget_is_fresh_for_the_next_event_after_a_failure(engine_for):
    engine = engine_for(
        SCRIPT
        + """
rule "Hot" when matching score > pairs([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) then set vip = true
""",
        step_budget=1_000,
    )
    with pytest.raises(BudgetExceeded):
        engine.emit("big", "ada@example.com", {"items": list(range(40))})
    # the next event evaluates the `matching` condition (100 steps) before any rule runs
    result = engine.emit("upsert", "ada@example.com", {"score": 500})
    assert result.fired == ('rule "Hot"',)


def test_conditions_get_a_budget_per_evaluation(engine_for):
    engine = engine_for(SCRIPT, step_budget=1_000)
    predicate = engine.condition("pairs([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) > score")  # 100 steps each
    assert all(predicate({}) for _ in range(50))
    assert not predicate({"score": 100})
    runaway = engine.condition("pairs([" + ", ".join(["1"] * 40) + "]) > 0")
    with pytest.raises(BudgetExceeded, match="step budget of 1000") as caught:
        runaway({})
    assert caught.value.where.startswith("condition `pairs(")


def test_functions_over_records_in_rules_and_conditions(engine_for):
    engine = engine_for(
        CONTACT
        + """
object deal { name: text, amount: number = 0, contact: contact reverse deals }
fn deal_commission(d: deal) -> number = if d.amount > 50000 then d.amount * 0.075 else d.amount * 0.05
fn pipeline(ds: list<deal>) -> number {
  let t = 0
  for d in ds {
    t = t + d.amount
  }
  return t
}
event won { amount: number }
when won then {
  create deal { name: "x", amount: event.amount } as d
  set score = deal_commission(d)
  set visits = pipeline(deals)
}
"""
    )
    big = engine.condition("pipeline(deals) > 50000")
    engine.emit("won", "ada@example.com", {"amount": 100000}, key="1")
    assert engine.record(1).properties["score"] == 7500
    engine.emit("won", "ada@example.com", {"amount": 10}, key="2")
    props = engine.record(1).properties
    assert props["score"] == 0.5 and props["visits"] == 100010
    # outside an event, a condition reads the committed records
    assert big({"id": 1}) is True
    assert big({"id": 999}) is False
