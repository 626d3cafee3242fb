"""Hover and the per-document analysis, without the protocol."""

from __future__ import annotations

from leadflow.lsp.analysis import analyse_text
from leadflow.lsp.hover import hover

SCRIPT = """object contact {
  first_name: text
  lifecycle: enum { subscriber, lead, mql, sql } = subscriber
  score: number = 0
}
event form_submitted { form: text }
list engaged "Engaged leads"
email welcome { subject: "Hi {first_name ?? "there"}", body: "Welcome" }
const limit = 90
extern fn enrich(email: text) -> text
fn double(x: number) -> number = x * 2

rule "Qualify"
when form_submitted if lifecycle == lead and score > double(limit)
then {
  set lifecycle = mql
  add to engaged
  send email welcome
  do enrich(event.form)
}
"""


def hover_at(marker: str, text: str = SCRIPT, offset: int = 0) -> str | None:
    """Hover text at the first `marker` (plus `offset` characters)."""
    index = text.index(marker) + offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    found = hover(analyse_text(text, "t.flow"), line, column)
    return found[0] if found else None


def test_properties_show_their_type_default_and_owner():
    text = hover_at("lifecycle == lead")
    assert "lifecycle: enum { subscriber, lead, mql, sql } = subscriber" in text
    assert "property of `contact`" in text
    assert "first_name: text?" in hover_at("first_name ??")
    assert "lifecycle: enum" in hover_at("lifecycle = mql")  # the target of `set`
    assert "score: number = 0" in hover_at("score: number")  # the declaration


def test_an_enum_member_names_its_enum():
    text = hover_at("lead and")
    assert text.startswith("```leadflow\nlead\n```")
    assert "a member of ```leadflow\nenum { subscriber, lead, mql, sql }" in text


def test_functions_show_their_signature():
    assert "fn double(x: number) -> number" in hover_at("double(limit)")
    assert "extern fn enrich(email: text) -> text" in hover_at("enrich(event")
    assert "provided by the host program" in hover_at("enrich(event")


def test_named_things_in_rules_and_declarations():
    assert "event form_submitted { form: text }" in hover_at("form_submitted if")
    assert 'list engaged "Engaged leads"' in hover_at("engaged\n")
    assert 'subject: "Hi {first_name ?? "there"}"' in hover_at("welcome\n")
    assert "const limit: number = 90" in hover_at("limit)")
    assert "const limit: number = 90" in hover_at("limit = 90")
    assert "event.form: text" in hover_at("form)", offset=0)
    assert "x: number" in hover_at("x * 2")


def test_other_expressions_show_their_type():
    assert hover_at("> double") == "```leadflow\nbool\n```"
    assert hover_at("90") == "```leadflow\nnumber\n```"
    assert hover_at("\n", offset=0) is None  # the end of the first line: nothing there


def test_the_analysis_keeps_what_a_broken_declaration_hides():
    good = analyse_text(SCRIPT, "t.flow")
    assert good.diagnostics == ()
    broken_text = SCRIPT.replace("  score: number = 0\n", "  score: number =\n")
    broken = analyse_text(broken_text, "t.flow", good)
    assert [d.code for d in broken.diagnostics] == ["E100"]
    # the object no longer parses; its properties come from the last analysis
    assert "score" in broken.model.objects["contact"].properties
    # hover reads only what parsed from the current text, at its current place
    assert "list engaged" in hover(broken, 7, 6)[0]


def test_warnings_are_diagnostics_too():
    analysis = analyse_text(SCRIPT + "list vips\n", "t.flow")
    assert [(d.code, d.severity) for d in analysis.diagnostics] == [("W301", "warning")]


def test_type_errors_keep_a_model_for_completion():
    analysis = analyse_text(SCRIPT.replace("set lifecycle = mql", "set lifecycle = mqk"), "t.flow")
    assert [d.code for d in analysis.diagnostics] == ["E201"]
    assert "lifecycle" in analysis.model.objects["contact"].properties
