"""Event semantics: which rules an event, a change or a list membership fires."""

from __future__ import annotations

import datetime as dt

import pytest

from engine_support import CONTACT
from leadflow import InputError

SCRIPT = (
    CONTACT
    + """
event form_submitted { form: text, page: url? }
list engaged "Engaged leads"
list trash

rule "welcome" when created then add to engaged
rule "any change" when lifecycle changed then increment visits by 1
rule "left subscriber" when lifecycle changed from subscriber then set first_name = "from-subscriber"
rule "became customer" when lifecycle changed to customer then set vip = true
rule "lead to mql" when lifecycle changed from lead to mql then increment score by 7
rule "demo form" when form_submitted where event.form == "demo" then set persona = buyer
rule "any form" when form_submitted then increment score by 1
rule "then mql" when form_submitted if persona == buyer then set lifecycle = mql
rule "joined trash" when added to trash then set first_name = "trashed"
rule "left trash" when removed from trash then clear first_name
"""
)

TRASH = """
event junk {}
event unjunk {}
when junk then add to trash
when unjunk then remove from trash
"""


def test_unknown_email_creates_the_contact_and_fires_created(engine_for):
    engine = engine_for(SCRIPT)
    result = engine.emit("upsert", "ada@example.com", {})
    assert result.record_id == 1 and not result.duplicate
    assert result.fired == ('rule "welcome"',)
    view = engine.record("ada@example.com")
    assert view.properties["email"] == "ada@example.com"
    assert view.properties["lifecycle"] == "subscriber" and view.properties["score"] == 0
    assert view.lists == ["engaged"]
    # a known email finds the same contact and does not fire `created` again
    again = engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    assert again.record_id == 1
    assert 'rule "welcome"' not in again.fired
    assert engine.store.count_records("contact") == 1


def test_upsert_sets_typed_properties(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit(
        "upsert",
        "ada@example.com",
        {
            "first_name": "Ada",
            "score": 12.5,
            "visits": 3,
            "vip": True,
            "persona": "partner",
            "last_activity": "2026-11-20T10:00:00+01:00",
        },
    )
    props = engine.record("ada@example.com").properties
    assert props["first_name"] == "Ada"
    assert props["score"] == 12.5
    assert props["visits"] == 3
    assert props["vip"] is True
    assert props["persona"] == "partner"
    assert props["last_activity"] == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    assert props["last_activity"].tzinfo is not None


def test_changed_fires_on_every_change_and_only_on_a_change(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("upsert", "ada@example.com", {})
    result = engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"})
    assert result.fired == ('rule "any change"', 'rule "left subscriber"')
    props = engine.record("ada@example.com").properties
    assert props["visits"] == 1 and props["first_name"] == "from-subscriber"
    # the same value again is no change: nothing fires
    same = engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"}, key="same")
    assert same.fired == ()
    assert engine.record("ada@example.com").properties["visits"] == 1


def test_changed_from_and_to_filter_on_old_and_new_values(engine_for):
    engine = engine_for(SCRIPT)
    engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"})
    to_mql = engine.emit("upsert", "ada@example.com", {"lifecycle": "mql"})
    assert to_mql.fired == ('rule "any change"', 'rule "lead to mql"')
    to_customer = engine.emit("upsert", "ada@example.com", {"lifecycle": "customer"})
    assert to_customer.fired == ('rule "any change"', 'rule "became customer"')
    props = engine.record("ada@example.com").properties
    assert props["score"] == 7 and props["vip"] is True
    # from mql to lead is neither `from lead to mql` nor `to customer`
    # (a key of its own: the same content at the same moment would be a duplicate)
    back = engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"}, key="back")
    assert back.fired == ('rule "any change"',)


def test_event_where_filter_and_declaration_order(engine_for):
    engine = engine_for(SCRIPT)
    other = engine.emit("form_submitted", "ada@example.com", {"form": "newsletter"})
    # created first, then the event's rules in declaration order; "demo form" filtered out
    assert other.fired == ('rule "welcome"', 'rule "any form"')
    assert engine.record("ada@example.com").properties.get("persona") is None

    demo = engine.emit("form_submitted", "ada@example.com", {"form": "demo", "page": "https://x.example/p"})
    # "demo form" runs before "then mql" (declaration order) so the `if` sees persona = buyer,
    # and the lifecycle change it causes fires the `changed` rules afterwards
    assert demo.fired == (
        'rule "demo form"',
        'rule "any form"',
        'rule "then mql"',
        'rule "any change"',
        'rule "left subscriber"',
    )
    props = engine.record("ada@example.com").properties
    assert props["persona"] == "buyer" and props["lifecycle"] == "mql" and props["score"] == 2


def test_added_to_and_removed_from_list_triggers(engine_for):
    engine = engine_for(SCRIPT + TRASH)
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    joined = engine.emit("junk", "ada@example.com")
    assert 'rule "joined trash"' in joined.fired
    view = engine.record("ada@example.com")
    assert view.lists == ["engaged", "trash"] and view.properties["first_name"] == "trashed"
    # already a member: no list change, so no trigger
    engine.clock.advance(dt.timedelta(minutes=1))
    twice = engine.emit("junk", "ada@example.com")
    assert 'rule "joined trash"' not in twice.fired
    left = engine.emit("unjunk", "ada@example.com")
    assert 'rule "left trash"' in left.fired
    view = engine.record("ada@example.com")
    assert view.lists == ["engaged"] and "first_name" not in view.properties
    kinds = [(h.kind, h.field) for h in view.history if h.kind.startswith("list")]
    assert kinds == [("list_add", "engaged"), ("list_add", "trash"), ("list_remove", "trash")]


MATCHING = (
    CONTACT
    + """
event bump { by: number }
rule "hot" when matching score > 10 and lifecycle == lead then increment visits by 1
when bump then increment score by event.by
"""
)


def test_matching_fires_only_on_the_false_to_true_transition(engine_for):
    engine = engine_for(MATCHING)
    engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"})
    first = engine.emit("bump", "ada@example.com", {"by": 5}, key="1")
    assert 'rule "hot"' not in first.fired
    crossing = engine.emit("bump", "ada@example.com", {"by": 10}, key="2")
    assert 'rule "hot"' in crossing.fired
    assert engine.record("ada@example.com").properties["visits"] == 1
    # stays true: no new firing
    still = engine.emit("bump", "ada@example.com", {"by": 10}, key="3")
    assert 'rule "hot"' not in still.fired
    # goes false (another property of the condition), then true again: fires again
    engine.emit("upsert", "ada@example.com", {"lifecycle": "mql"}, key="4")
    engine.emit("upsert", "ada@example.com", {"lifecycle": "lead"}, key="5")
    assert engine.record("ada@example.com").properties["visits"] == 2
    engine.emit("upsert", "ada@example.com", {"score": 0}, key="6")
    again = engine.emit("bump", "ada@example.com", {"by": 11}, key="7")
    assert 'rule "hot"' in again.fired
    assert engine.record("ada@example.com").properties["visits"] == 3


def test_matching_fires_for_a_record_created_matching(engine_for):
    engine = engine_for(
        CONTACT
        + """
rule "new subscriber" when matching lifecycle == subscriber then set first_name = "new"
"""
    )
    result = engine.emit("upsert", "ada@example.com", {})
    assert result.fired == ('rule "new subscriber"',)
    assert engine.record("ada@example.com").properties["first_name"] == "new"


def test_matching_watches_properties_named_through_the_record(engine_for):
    engine = engine_for(
        CONTACT
        + """
event bump {}
rule "hot" when matching contact.score > 10 then set vip = true
when bump then increment score by 20
"""
    )
    engine.emit("upsert", "ada@example.com", {})
    result = engine.emit("bump", "ada@example.com")
    assert 'rule "hot"' in result.fired
    assert engine.record("ada@example.com").properties["vip"] is True


def test_rules_on_other_objects_do_not_fire_for_contacts(engine_for):
    engine = engine_for(
        CONTACT
        + """
object deal { name: text, amount: number = 0, contact: contact reverse deals }
event open_deal { amount: number }
rule "deal made" when deal created then set amount = 99
rule "contact made" when created then set first_name = "c"
when open_deal then create deal { name: "d", amount: event.amount }
"""
    )
    result = engine.emit("open_deal", "ada@example.com", {"amount": 5})
    assert result.fired == ('rule "contact made"', "rule at test.flow:16:1", 'rule "deal made"')
    deal = engine.record(2)
    assert deal.type == "deal" and deal.properties["amount"] == 99
    assert engine.record(1).properties["first_name"] == "c"


def test_matching_with_an_if_watches_the_if_properties_too(engine_for):
    engine = engine_for(
        CONTACT
        + """
rule "hot vip" when matching score > 10 if vip == true then set first_name = "hot"
"""
    )
    engine.emit("upsert", "ada@example.com", {"score": 20})
    assert "first_name" not in engine.record("ada@example.com").properties
    # the rule becomes true through its `if`, however the two changes are ordered
    result = engine.emit("upsert", "ada@example.com", {"vip": True})
    assert result.fired == ('rule "hot vip"',)
    assert engine.record("ada@example.com").properties["first_name"] == "hot"


def test_event_with_both_where_and_if(engine_for):
    engine = engine_for(
        CONTACT
        + """
event form_submitted { form: text }
rule "demo buyers" when form_submitted where event.form == "demo" if persona == buyer then increment score by 10
"""
    )
    engine.emit("upsert", "ada@example.com", {"persona": "buyer"})
    assert engine.emit("form_submitted", "ada@example.com", {"form": "other"}).fired == ()
    assert engine.emit("form_submitted", "ada@example.com", {"form": "demo"}).fired == ('rule "demo buyers"',)
    engine.emit("upsert", "bob@example.com", {"persona": "student"})
    assert engine.emit("form_submitted", "bob@example.com", {"form": "demo"}).fired == ()
    assert engine.record("ada@example.com").properties["score"] == 10
    assert engine.record("bob@example.com").properties["score"] == 0


def test_events_about_other_objects(engine_for):
    engine = engine_for(
        CONTACT
        + """
object deal { name: text, stage: enum { open, won } = open, contact: contact reverse deals }
event deal_won on deal { amount: number }
event open_deal {}
when open_deal then create deal { name: "d" }
rule "Won" when deal_won then set stage = won
rule "Deal won" when deal.stage changed to won then set name = "won deal"
"""
    )
    engine.emit("open_deal", "ada@example.com")
    result = engine.emit("deal_won", {"id": 2}, {"amount": 5})
    assert result.record_id == 2 and result.fired == ('rule "Won"', 'rule "Deal won"')
    assert engine.record(2).properties["name"] == "won deal"
    with pytest.raises(InputError, match="no deal with id 1"):
        engine.emit("deal_won", {"id": 1}, {"amount": 5})  # 1 is the contact
    with pytest.raises(InputError):
        engine.emit("deal_won", "ada@example.com", {"amount": 5})


def test_records_stored_before_a_property_was_added_read_its_default(engine_for):
    old = engine_for(CONTACT)
    old.emit("upsert", "ada@example.com", {})
    evolved = CONTACT.replace(
        "  vip: bool = false\n", "  vip: bool = false\n  tier: number = 10\n  stage: enum { new, old } = new\n"
    )
    engine = engine_for(
        evolved
        + """
event bump {}
rule "bump" when bump then { increment tier by 1  set stage = old }
rule "left new" when stage changed from new then set first_name = "left new"
""",
        store=old.store,
        clock=old.clock,
    )
    result = engine.emit("bump", "ada@example.com")
    assert result.fired == ('rule "bump"', 'rule "left new"')
    props = engine.record("ada@example.com").properties
    assert props["tier"] == 11 and props["stage"] == "old" and props["first_name"] == "left new"


def test_matching_does_not_run_when_the_cascade_made_it_false_again(engine_for):
    engine = engine_for(
        CONTACT
        + """
list engaged
rule "reset" when score changed if score > 100 then set score = 0
rule "hot" when matching score > 10 then add to engaged
"""
    )
    # score 200 makes "hot" true, but "reset" (breadth-first, before "hot" runs) makes it false
    result = engine.emit("upsert", "ada@example.com", {"score": 200})
    assert result.fired == ('rule "reset"',)
    assert engine.record("ada@example.com").lists == []
    # a later, lasting change to true fires it
    result = engine.emit("upsert", "ada@example.com", {"score": 20})
    assert result.fired == ('rule "hot"',)
    assert engine.record("ada@example.com").lists == ["engaged"]


def test_durations_of_different_units_compare_by_length():
    from leadflow import Engine

    engine = Engine.from_source("""
        object contact { seen: datetime }
        list stale
        event check
        when check if now() - (seen ?? now()) > 30 days then add to stale
    """)
    engine.emit(
        "upsert", "old@example.com", {"seen": "2026-01-01T00:00:00Z"}, at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    )
    engine.emit(
        "upsert", "new@example.com", {"seen": "2026-10-25T00:00:00Z"}, at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    )
    engine.emit("check", "old@example.com", at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    engine.emit("check", "new@example.com", at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    assert engine.record("old@example.com").lists == ["stale"]
    assert engine.record("new@example.com").lists == []


def test_now_is_the_event_time_and_naive_times_take_the_engine_zone():
    from leadflow import Engine, SimulatedClock

    clock = SimulatedClock(dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC))
    engine = Engine.from_source(
        """
        object contact { last_activity: datetime }
        event visit
        when visit then set last_activity = now()
    """,
        clock=clock,
        timezone="Europe/Paris",
    )
    engine.emit("visit", "ada@example.com", at=dt.datetime(2020, 1, 1, 9, 0))  # back-dated and naive
    stored = engine.record("ada@example.com").properties["last_activity"]
    assert stored == dt.datetime(2020, 1, 1, 8, 0, tzinfo=dt.UTC)  # 09:00 in Paris
    assert clock.now() == dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)  # the clock never goes back


def test_email_addresses_are_one_contact_whatever_their_case():
    from leadflow import Engine

    engine = Engine.from_source("object contact { first_name: text }")
    first = engine.emit("upsert", "Ada@Example.com", {"first_name": "Ada"})
    second = engine.emit("upsert", "ada@example.com ", {"first_name": "Ada L."})
    assert first.record_id == second.record_id
    assert engine.record("ADA@example.com").properties["first_name"] == "Ada L."


def test_sending_to_an_invalid_address_fails_the_event():
    import pytest

    from leadflow import Engine, LeadflowRuntimeError

    engine = Engine.from_source("""
        object contact { manager: text }
        email hello { subject: "hi" body: "hi" }
        event ping
        rule "Tell the manager" when ping then send email hello to manager ?? "nobody"
    """)
    with pytest.raises(LeadflowRuntimeError, match="recipient of email hello"):
        engine.emit("ping", "ada@example.com")
    assert engine.store.effects() == []
