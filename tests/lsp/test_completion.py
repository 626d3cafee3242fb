"""Completion without the protocol: what is offered after a text, on scripts
that parse and on scripts broken at the cursor."""

from __future__ import annotations

import pytest

from leadflow.lsp.analysis import analyse_text
from leadflow.lsp.completion import DECLARATIONS, complete

BASE = """object contact {
  first_name: text
  lifecycle: enum { subscriber, lead, mql, sql } = subscriber
  persona: enum { student, buyer }
  score: number = 0
}
object deal { stage: enum { open, won, lost } = open, owner: contact reverse deals }
event form_submitted { form: text, kind: enum { demo, ebook } }
event deal_closed on deal { won: bool }
list engaged "Engaged leads"
email welcome { subject: "Hi", body: "Welcome" }
secret API_KEY
const limit = 90
extern fn enrich(email: text) -> text
fn double(x: number) -> number = x * 2
when form_submitted then add to engaged
"""


def labels(typed: str, base: str = BASE) -> list[str]:
    good = analyse_text(base, "t.flow")
    text = base + typed
    analysis = analyse_text(text, "t.flow", good)
    return [item.label for item in complete(analysis.model, text)]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("when form_submitted then set lifecycle = ", ["subscriber", "lead", "mql", "sql"]),
        ("when form_submitted then set lifecycle = le", ["subscriber", "lead", "mql", "sql"]),
        ("when form_submitted if lifecycle != ", ["subscriber", "lead", "mql", "sql"]),
        ("when form_submitted if persona not in [student, ", ["student", "buyer"]),
        ("when lifecycle changed from lead to ", ["subscriber", "lead", "mql", "sql"]),
        ("when form_submitted where event.kind == ", ["demo", "ebook"]),
        ("when deal_closed if stage == ", ["open", "won", "lost"]),
        ("when deal created if owner.lifecycle >= ", ["subscriber", "lead", "mql", "sql"]),
        ("object ticket { level: enum { low, high } = ", ["low", "high"]),
        ("when form_submitted then add to ", ["engaged"]),
        ("when form_submitted then remove from ", ["engaged"]),
        ("when added to ", ["engaged"]),
        ("when form_submitted then send email ", ["welcome"]),
        ('when form_submitted then webhook post "https://x.example.com" auth bearer ', ["API_KEY"]),
        ("when form_submitted then create ", ["contact", "deal"]),
        ("when form_submitted then do ", ["double", "enrich"]),
        ("when form_submitted if event.", ["form", "kind"]),
        ("when form_submitted if score > const.", ["limit"]),
        (
            "when deal_closed if owner.",
            ["id", "created_at", "updated_at", "email", "first_name", "lifecycle", "persona", "score", "deals"],
        ),
        (
            "when form_submitted then {\n  create deal { stage: won } as d\n  set d.",
            ["id", "created_at", "updated_at", "stage", "owner"],
        ),
    ],
)
def test_names_of_one_kind(typed, expected):
    assert labels(typed) == expected


def test_after_when_events_trigger_words_objects_and_properties():
    offered = labels("when ")
    assert offered[:3] == ["upsert", "form_submitted", "deal_closed"]
    assert {"matching", "created", "added to", "removed from", "deal", "lifecycle"} <= set(offered)


def test_set_offers_the_properties_that_can_be_written():
    assert labels("when form_submitted then set ") == ["email", "first_name", "lifecycle", "persona", "score"]
    assert "stage" in labels("when deal_closed then set ")


def test_in_an_expression_the_record_event_locals_constants_and_functions():
    offered = labels('when form_submitted then {\n  let domain = "x"\n  notify "sales" "{')
    assert offered[:7] == ["id", "created_at", "updated_at", "email", "first_name", "lifecycle", "persona"]
    assert {"event", "domain", "limit", "double", "enrich", "upper", "now", "and", "true"} <= set(offered)
    assert "stage" not in offered  # a deal's property, not a contact's


def test_functions_show_signatures_and_docs():
    items = complete(analyse_text(BASE + "when form_submitted if ", "t.flow").model, BASE + "when form_submitted if ")
    by_label = {i.label: i for i in items}
    assert by_label["upper"].detail == "upper(s: text) -> text"
    assert by_label["upper"].documentation.value
    assert by_label["enrich"].detail == "extern fn enrich(email: text) -> text"
    assert by_label["double"].insert_text == "double($1)"


def test_keywords_where_a_declaration_or_an_action_starts():
    assert labels("\n")[:3] == ["object", "event", "list"]
    assert labels("when form_submitted then {\n  ")[:4] == ["set", "clear", "increment", "decrement"]
    assert labels("when form_submitted then ")[:2] == ["set", "clear"]


def test_types_in_declarations_but_values_in_record_literals():
    assert {"text", "number", "contact", "deal", "enum", "list"} <= set(labels("object ticket { title: "))
    assert "number" in labels("fn half(x: ")
    assert "number" in labels("fn half(x: number) -> ")
    assert "first_name" in labels("when form_submitted then create deal { stage: won, owner: ")


def test_nothing_in_comments_and_plain_text():
    assert labels("# when form_submitted then add to ") == []
    assert labels('when form_submitted then notify "sales" "add to ') == []
    assert "first_name" in labels('when form_submitted then notify "sales" "Hi {')
    assert labels('when form_submitted then notify "sales" "Hi {first_name ?? "add to ') == []


def test_a_document_that_never_parsed_still_completes_from_what_does():
    text = BASE + "when form_submitted then set lifecycle = "
    analysis = analyse_text(text, "t.flow")  # no earlier analysis to fall back on
    assert [i.label for i in complete(analysis.model, text)] == ["subscriber", "lead", "mql", "sql"]


def test_nothing_without_a_model():
    assert complete(None, "when ") == []


@pytest.mark.parametrize(
    "rule",
    [
        "when form_submitted then set lifecycle = lead\n",
        "when form_submitted if lifecycle == lead then set lifecycle = mql\n",
        "when lifecycle changed to lead then add to engaged\n",
        "when form_submitted if score > limit then add to engaged\n",
    ],
)
def test_a_line_after_a_complete_rule_offers_declarations_not_the_word_ending_the_rule(rule):
    # the word at the end of the line above is no word being typed on this one
    assert labels(rule) == list(DECLARATIONS)
    assert labels(rule + "\n") == list(DECLARATIONS)
