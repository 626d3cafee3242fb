"""explain: why each rule fires or not for a record, part by part."""

from __future__ import annotations

import pytest

from engine_support import CONTACT
from leadflow import InputError
from leadflow.interpreter.explain import Check, all3, any3, explain, render

SCRIPT = (
    CONTACT
    + """
object deal { name: text, amount: number = 0, contact: contact reverse deals }
event form_submitted { form: text }
list engaged "Engaged leads"
extern fn on_blocklist(address: text) -> bool

rule "Demo forms" when form_submitted where event.form == "demo" and score > 10 then increment score by 5
rule "Any busy form" when form_submitted where event.form == "demo" or score > 10 then increment score by 1
rule "Quiet forms" when form_submitted where event.form == "demo" and score > 100 then increment score by 1
rule "Hot" when matching lifecycle == mql and score > 90 then add to engaged
rule "Welcome" when created if persona != student then set vip = true
rule "Promoted" when lifecycle changed to sql if vip then add to engaged
rule "Joined" when added to engaged then set vip = true
rule "Deal made" when deal created then set amount = 1
rule "Blocked" when form_submitted if on_blocklist(email ?? "") then set vip = false
rule "Not a student" when form_submitted if not (persona == student) and visits is known then set vip = true
"""
)


@pytest.fixture
def engine(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("upsert", contact="ada@example.com", data={"score": 42, "lifecycle": "mql", "persona": "buyer"})
    return engine


@pytest.fixture
def ada(engine):
    return engine.find("ada@example.com")


def one(engine, record_id, name):
    (explanation,) = explain(engine, record_id, name)
    return explanation


def test_a_matching_rule_shows_each_part_with_its_operands(engine, ada):
    assert one(engine, ada, "Hot").render() == "\n".join(
        [
            '✗ rule "Hot"   test.flow:20:1',
            "  when matching lifecycle == mql and score > 90",
            "  does not match now; it fires when it starts to match",
            "  ✗ matching lifecycle == mql and score > 90",
            "    ✓ lifecycle == mql   (lifecycle = mql)",
            "    ✗ score > 90   (score = 42)",
            "  history: it never changed this record",
        ]
    )


def test_parts_that_need_the_event_are_unknown_and_a_false_part_still_decides(engine, ada):
    demo = one(engine, ada, "Demo forms")
    ((label, where),) = demo.checks
    assert label == "where "
    assert [(p.text, p.verdict, p.note) for p in where.parts] == [
        ('event.form == "demo"', None, "needs the event"),
        ("score > 10", True, ""),
    ]
    assert demo.verdict is None
    assert "if the parts that need the event hold" in demo.summary
    assert one(engine, ada, "Any busy form").verdict is True  # `or` with a true part
    quiet = one(engine, ada, "Quiet forms")
    assert quiet.verdict is False
    assert quiet.summary == "would not fire on a `form_submitted` event now: a condition is false"


def test_state_triggers_say_what_they_wait_for_and_the_state_now(engine, ada):
    promoted = one(engine, ada, "Promoted")
    # "Welcome" made her a vip when she was created
    assert promoted.summary == "fires when `lifecycle` changes to sql; its condition holds now (lifecycle = mql now)"
    assert promoted.checks[0][1].lines("", "if ") == ["✓ if vip"]
    joined = one(engine, ada, "Joined")
    assert (
        joined.summary
        == "fires when this contact is added to engaged; its condition holds now (not a member of engaged now)"
    )
    welcome = one(engine, ada, "Welcome")
    assert welcome.verdict is True
    assert welcome.checks[0][1].values == ("persona = buyer",)


def test_history_tells_whether_the_rule_changed_the_record(engine, ada):
    engine.emit("upsert", contact={"id": ada}, data={"score": 95})  # now it matches: "Hot" adds to engaged
    hot = one(engine, ada, "Hot")
    assert hot.verdict is True
    assert hot.summary.startswith("matches now")
    assert hot.history.startswith("history: 1 change to this record by this rule, the last at 2026-11-23T09:00Z")
    assert "a member of engaged now" in one(engine, ada, "Joined").summary


def test_a_rule_about_another_object_does_not_apply(engine, ada):
    deal = one(engine, ada, "Deal made")
    assert (deal.verdict, deal.summary) == (False, "does not apply: it acts on a deal, and this is a contact")


def test_a_part_that_fails_is_unknown_with_the_reason(engine, ada):
    ((_, check),) = one(engine, ada, "Blocked").checks
    assert check.verdict is None
    assert "host function `on_blocklist` is not bound" in check.note


def test_not_and_is_known_are_explained(engine, ada):
    ((_, check),) = one(engine, ada, "Not a student").checks
    negation, known = check.parts
    assert (negation.text, negation.verdict, negation.parts[0].text, negation.parts[0].verdict) == (
        "not (persona == student)",
        True,
        "persona == student",
        False,
    )
    assert (known.verdict, known.values) == (False, ("visits = null",))


def test_every_rule_is_explained_in_order_by_default(engine, ada):
    titles = [e.title for e in explain(engine, ada)]
    assert titles[0] == 'rule "Demo forms"' and len(titles) == 10


def test_an_unknown_rule_name_suggests_the_closest(engine, ada):
    with pytest.raises(InputError, match="no rule or workflow named `Hott`; did you mean `Hot`"):
        explain(engine, ada, "Hott")


def test_render_heads_with_the_record_and_the_time(engine, ada):
    text = render(engine, ada, explain(engine, ada, "Hot"))
    assert text.startswith('contact 1 (ada@example.com), at 2026-11-23T09:00Z\n\n✗ rule "Hot"')


def test_the_compiled_rules_are_untouched(engine, ada):
    before = [rule.condition for rule in engine.rules.all]
    explain(engine, ada)
    engine.bind("on_blocklist", lambda address: False)
    assert [rule.condition for rule in engine.rules.all] == before
    result = engine.emit("form_submitted", contact={"id": ada}, data={"form": "demo"})
    assert 'rule "Demo forms"' in result.fired and 'rule "Quiet forms"' not in result.fired


@pytest.mark.parametrize(
    "verdicts, conjunction, disjunction",
    [
        ([True, True], True, True),
        ([True, None], None, True),
        ([False, None], False, None),
        ([None, None], None, None),
        ([False, False], False, False),
    ],
)
def test_three_valued_logic(verdicts, conjunction, disjunction):
    assert (all3(verdicts), any3(verdicts)) == (conjunction, disjunction)


def test_a_check_renders_as_an_indented_tree():
    tree = Check("a and b", False, parts=(Check("a", True, ("a = 1",)), Check("b", None, note="needs the event")))
    assert tree.lines("", "if ") == ["✗ if a and b", "  ✓ a   (a = 1)", "  ? b   (needs the event)"]


# ---- workflows -----------------------------------------------------------------------------
WORKFLOWS = """
object contact { score: number = 0, last_activity: datetime? }
event signed_up { plan: text }
list trash
workflow onboarding {
  enroll when signed_up where event.plan == "pro" if score > 5
  suppress trash
  goal score > 100
  wait 1 day
}
workflow cleanup {
  enroll when every day at 02:00 where last_activity < now() - 2 years
  add to trash
}
when score changed to 1 then add to trash
"""


def explained(engine, email, name):
    from leadflow.interpreter.explain import explain, render

    record_id = engine.find(email)
    return render(engine, record_id, explain(engine, record_id, name))


def workflow_engine():
    import datetime as dt

    from leadflow import Engine, SimulatedClock

    return Engine.from_source(WORKFLOWS, "w.flow", clock=SimulatedClock(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)))


def test_a_workflow_shows_its_triggers_conditions_and_goal():
    engine = workflow_engine()
    engine.emit("upsert", "ada@example.com", {"score": 10})
    text = explained(engine, "ada@example.com", "onboarding")
    assert "? workflow onboarding" in text
    assert '? trigger 1 where event.plan == "pro"   (needs the event)' in text
    assert "✓ trigger 1 if score > 5   (score = 10)" in text
    assert "✗ goal score > 100   (score = 10)" in text
    assert "history: never enrolled" in text


def test_a_workflow_says_what_refuses_the_record():
    engine = workflow_engine()
    engine.emit("upsert", "ada@example.com", {"score": 1})  # the rule puts it in trash
    text = explained(engine, "ada@example.com", "onboarding")
    assert "✗ workflow onboarding" in text and "it is in the suppressed list trash" in text
    engine.emit("upsert", "bob@example.com", {"score": 200})
    assert "it already meets the goal" in explained(engine, "bob@example.com", "onboarding")


def test_a_scheduled_enrollment_shows_its_next_firing():
    engine = workflow_engine()
    engine.emit("upsert", "old@example.com", {"last_activity": "2020-01-01T00:00:00Z"})
    text = explained(engine, "old@example.com", "cleanup")
    assert "✓ workflow cleanup" in text
    assert "next firing 2026-11-24T02:00Z" in text
    assert "✓ trigger 1 where last_activity < now() - 2 years" in text
