"""The REPL session, line by line, as a user types: expressions, `let`,
commands, and errors that never end the session."""

from __future__ import annotations

import pytest
from repl_support import START

from leadflow.clock import SimulatedClock
from leadflow.repl.session import COMMANDS, ReplSession


def test_an_expression_prints_value_and_type(session):
    assert session.run("1 + 2 * 3") == "7 : number"
    assert session.run('"ada" + "@example.com"') == '"ada@example.com" : text'
    assert session.run("5 days") == "5 days : duration"
    assert session.run("now() + 1 week") == "2026-11-30T09:00Z : datetime"
    assert session.run("null") == "null : null"
    assert session.run("") == ""


def test_expressions_read_the_chosen_contact(session):
    assert session.run("score").startswith("error: this reads a record's properties: pick one first with :contact")
    assert session.prompt == "leadflow> "
    assert session.run(":contact ada@example.com") == "contact 1 (ada@example.com)"
    assert session.prompt == "ada@example.com> "
    assert session.run("email") == '"ada@example.com" : email?'
    assert session.run("lifecycle") == "subscriber : lifecycle's enum"
    assert session.run("persona in [buyer, other]") == "true : bool"
    assert session.run(":contact 3") == "contact 3 (linus@example.com)"
    assert session.run("company") == "null : text?"
    assert session.run('company ?? "none"') == '"none" : text'


def test_let_binds_a_typed_value_for_later_lines(ada):
    assert ada.run("let double = score * 2") == "double = 80 : number"
    assert ada.run("double + 1") == "81 : number"
    assert ada.run('let domain = split(email ?? "", "@")[1]') == 'domain = "example.com" : text?'
    assert ada.run(":type domain") == "text?"
    assert ada.run("let double = double * 2") == "double = 160 : number"  # a new binding replaces the old


def test_a_type_error_prints_the_diagnostic_and_the_session_goes_on(ada):
    assert ada.run("scor + 1") == "\n".join(
        [
            "<repl>:1:1: error[E200]: unknown name `scor` on contact",
            "  |",
            "1 | scor + 1",
            "  | ^^^^ did you mean `score`?",
        ]
    )
    assert ada.run("score") == "40 : number"


def test_a_syntax_error_spanning_lines_points_into_the_input(ada):
    output = ada.run("[score,\n score +]")
    assert output.startswith("<repl>:2:9: error[E100]: unexpected `]`")
    assert "2 |  score +]" in output


def test_warnings_print_before_the_value(ada):
    output = ada.run("score ?? 0")
    assert output.startswith("<repl>:1:1: warning[W201]: `score` is never null")
    assert output.endswith("\n40 : number")


def test_runtime_and_unexpected_errors_are_one_line(session, monkeypatch):
    assert session.run("10 / (5 - 5)") == "runtime error: division by zero"

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(session.engine, "expression", broken)
    assert session.run("1") == "internal error: RuntimeError: boom"


def test_type_shows_the_type_without_evaluating(ada):
    assert ada.run(":type score / 0") == "number"
    assert ada.run(":type [lifecycle]") == "list<lifecycle's enum>"
    # the caret points into the expression, not into the command
    assert ada.run(":type scor").splitlines()[2:4] == ["1 | scor", "  | ^^^^ did you mean `score`?"]


def test_emit_runs_the_rules_and_says_what_they_did(ada):
    assert ada.run(':emit form_submitted {"form": "demo"}') == "\n".join(
        [
            "form_submitted for contact 1 (ada@example.com) at 2026-11-23T09:00Z",
            'fired: rule "Activity counts", rule "Any form makes a lead", rule "Qualify marketing leads"',
            "queued email welcome to ada@example.com: Thanks for your interest, Ada",
        ]
    )
    assert ada.run("lifecycle") == "mql : lifecycle's enum"
    # the data may be written as a Leadflow record; the same event typed twice is two events
    assert ada.run(':emit form_submitted {form: "demo"}').splitlines()[1] == 'fired: rule "Activity counts"'
    assert ada.run("score") == "90 : number"


def test_emit_errors_name_the_problem(session, ada):
    assert ada.run(":emit form_submited") == "error: unknown event `form_submited`; did you mean `form_submitted`?"
    assert (
        ada.run(':emit form_submitted {"page": 1}') == "error: event `form_submitted` has no field page (it has form)"
    )
    assert ada.run(":emit form_submitted [1]").startswith("error: event data is an object")
    assert ada.run(":emit") == "error: name the event: :emit EVENT [{data}]"
    fresh = ReplSession(session.scripts)
    assert fresh.run(":emit form_submitted") == "error: no contact chosen; use :contact EMAIL|ID"


def test_new_creates_a_contact_and_chooses_it(session):
    assert (
        session.run(':new zoe@example.com {first_name: "Zoe", score: 95}')
        == "contact 6 (zoe@example.com)\nfired: no rule"
    )
    assert session.run("first_name") == '"Zoe" : text?'
    assert (
        session.run(":contact nobody@example.com")
        == "error: no record nobody@example.com; :new EMAIL creates a contact"
    )


def test_advance_moves_the_simulated_clock(ada):
    assert ada.run(":advance 2 days") == "now 2026-11-25T09:00Z"
    assert ada.run("now()") == "2026-11-25T09:00Z : datetime"
    assert ada.run(":advance 1 month") == "now 2026-12-25T09:00Z"
    assert ada.run(":advance 2027-01-01T00:00") == "now 2027-01-01T00:00Z"
    assert ada.run(":advance 2026-01-01T00:00").startswith(
        "error: :advance takes a positive duration or a later datetime"
    )
    assert ada.run(":advance score").startswith("error: :advance takes")
    # events emitted later carry the new time
    assert ada.run(':emit page_viewed {url: "https://example.com"}').splitlines()[0].endswith("at 2027-01-01T00:00Z")


def test_show_lists_properties_lists_and_history(session):
    session.run(":contact grace@example.com")
    for _ in range(3):
        session.run(':emit form_submitted {form: "x"}')
    shown = session.run(":show").splitlines()
    assert shown[0] == "contact 2 (grace@example.com)"
    assert "  lifecycle     = sql" in shown
    assert "  score         = 95" in shown
    assert "lists: engaged" in shown
    assert '  2026-11-23T09:00Z  set lifecycle: mql -> sql  [rule "MQL to SQL"]' in shown
    assert '  2026-11-23T09:00Z  added to engaged  [rule "MQL to SQL"]' in shown
    assert session.run(":show linus@example.com").splitlines()[0] == "contact 3 (linus@example.com)"
    assert session.run(":list engaged") == "engaged: 1 member(s)\n  contact 2 (grace@example.com)"
    assert session.run(":list nope") == "error: unknown list `nope` (declared: engaged)"


def test_explain_tells_why_a_rule_fires_or_not(ada):
    output = ada.run(':explain "MQL to SQL"')
    lines = output.splitlines()
    assert lines[:2] == ["contact 1 (ada@example.com), at 2026-11-23T09:00Z", ""]
    assert lines[2].startswith('✗ rule "MQL to SQL"   ') and lines[2].endswith("lifecycle.flow:50:1")
    assert "    ✗ score > 90   (score = 40)" in output
    assert ada.run(":explain").count("rule ") >= 5
    assert ada.run(":explain MQL to SQ") == "error: no rule or workflow named `MQL to SQ`; did you mean `MQL to SQL`?"


def test_load_and_reload_follow_the_edited_script(session, tmp_path):
    script = tmp_path / "mine.flow"
    script.write_text("object contact { score: number = 0 }\nevent ping {}\nwhen ping then increment score by 1\n")
    assert session.run(f":load {script}") == f"loaded {script}: 1 rule(s), 1 event(s)"
    session.run(":contact ada@example.com")
    assert session.run("score") == "40 : number"  # the records stay
    assert session.run("lifecycle").startswith("<repl>:1:1: error[E200]: unknown name `lifecycle`")
    script.write_text(script.read_text() + "when ping then increment score by 10\n")
    assert session.run(":reload") == f"loaded {script}: 2 rule(s), 1 event(s)"
    assert session.run(":emit ping").splitlines()[1] == "fired: rule at " + f"{script}:3:1, rule at {script}:4:1"
    assert session.run("score") == "51 : number"


def test_a_script_with_errors_leaves_the_previous_one_loaded(session, tmp_path):
    script = tmp_path / "bad.flow"
    script.write_text("object contact { score: number = 0 }\nwhen created then set scor = 1\n")
    output = session.run(f":load {script}")
    assert f"{script}:2:23: error[E202]: contact has no property `scor`" in output
    assert output.endswith("(the previous script is still loaded)")
    session.run(":contact ada@example.com")
    assert session.run("lifecycle") == "subscriber : lifecycle's enum"
    script.write_text("object contact { score: number = 0 }\nwhen created then set score = 1\n")
    assert session.run(":reload") == f"loaded {script}: 1 rule(s), 0 event(s)"
    assert session.run(":load /no/such.flow").startswith("error: cannot read /no/such.flow")
    assert session.run(":reload") == f"loaded {script}: 1 rule(s), 0 event(s)"  # still the last readable one


def test_bindings_survive_a_reload(ada):
    ada.run("let x = 41")
    ada.run(":reload")
    assert ada.run("x + 1") == "42 : number"


def test_help_unknown_commands_and_quit(session):
    help_text = session.run(":help")
    assert all(command.usage in help_text for command in COMMANDS.values())
    assert session.run(":frobnicate") == "error: unknown command :frobnicate; :help lists them"
    assert not session.finished
    assert session.run(":q") == ""
    assert session.finished


@pytest.mark.parametrize(
    "text, more",
    [
        ("score > 1", False),
        ("[1,", True),
        ("[1,\n 2]", False),
        ("{a: [1, 2", True),
        ('"open', True),
        ('"a ( b"', False),
        ('"esc \\" ("', False),
        ('"{first_name ?? "x"}" + (', True),
        ('"{first_name ?? "("}"', False),  # the string in the `{...}` holds the bracket
        ('"{first_name ?? "#"}" + (', True),  # and the `#`: no comment
        ("f( # a comment (", True),
        ("1 # ) (", False),
        ('f( # it\'s "x"\n', True),
        (":emit form_submitted {", True),
    ],
)
def test_input_continues_while_a_bracket_or_string_is_open(text, more):
    assert ReplSession.needs_more(text) is more


def test_the_banner_says_what_is_loaded(session):
    banner = session.banner()
    assert "imported the example's 5 contacts into an in-memory store" in banner
    assert "Clock: 2026-11-23T09:00Z (simulated)" in banner
    assert ReplSession().banner().startswith("Leadflow REPL. Script: none (an empty program).")


def test_command_arguments_may_span_lines(ada):
    assert ada.needs_more(":emit form_submitted {")
    assert (
        ada.run(':emit form_submitted\n{\n  form: "demo"\n}')
        .splitlines()[1]
        .startswith('fired: rule "Activity counts"')
    )


def test_an_empty_program_still_has_contacts_and_says_it_has_no_rules():
    empty = ReplSession(clock=SimulatedClock(START))
    assert empty.run(":new zoe@example.com") == "contact 1 (zoe@example.com)\nfired: no rule"
    assert empty.run("email") == '"zoe@example.com" : email?'
    assert empty.run(":explain") == "contact 1 (zoe@example.com), at 2026-11-23T09:00Z\nthe script has no rules"


def test_advance_runs_the_workflow_steps_that_fall_due(tmp_path):
    script = tmp_path / "w.flow"
    script.write_text("""
    event signed_up { plan: text }
    list done
    workflow onboarding {
      enroll when signed_up
      wait 2 days
      add to done
    }
    """)
    session = ReplSession([str(script)], clock=SimulatedClock(START))
    session.run(":new ada@example.com")
    session.run(':emit signed_up {plan: "pro"}')
    assert "done" not in session.run(":show")
    out = session.run(":advance 3 days")
    assert "workflow runs advanced 1 time(s)" in out
    assert "done" in session.run(":show").split("lists")[-1]


def test_loading_a_script_without_the_chosen_records_type_lets_the_record_go(session, tmp_path):
    with_deals = tmp_path / "deals.flow"
    with_deals.write_text(
        "object contact { score: number = 0 }\nobject deal { amount: number = 0 }\n"
        "event open_deal {}\nwhen open_deal then create deal { amount: 5 }\n"
    )
    without = tmp_path / "plain.flow"
    without.write_text("object contact { score: number = 0 }\nevent ping {}\n")
    session.run(f":load {with_deals}")
    session.run(":contact ada@example.com")
    assert session.run(":emit open_deal").endswith(f"fired: rule at {with_deals}:4:1")
    deal = max(r.id for r in session.store.records("deal"))
    assert session.run(f":contact {deal}") == f"deal {deal}"
    assert session.run("amount") == "5 : number"

    loaded = session.run(f":load {without}").splitlines()
    assert loaded == [
        f"loaded {without}: 0 rule(s), 1 event(s)",
        f"deal {deal} is a deal, which the script does not declare: no record chosen now; "
        ":contact EMAIL|ID chooses one",
    ]
    assert session.prompt == "leadflow> "
    assert session.run("amount + 1").startswith("<repl>:1:1: error[E200]: unknown name `amount`")
    assert session.run("score").startswith("error: this reads a record's properties")
    assert session.run(f":contact {deal}") == f"error: deal {deal} is a deal, which the script does not declare"
    assert session.run(":contact ada@example.com") == "contact 1 (ada@example.com)"
    assert session.run("score") == "40 : number"
    # a contact stays chosen across loads: every script declares contacts
    assert session.run(f":load {with_deals}") == f"loaded {with_deals}: 1 rule(s), 1 event(s)"
    assert session.prompt == "ada@example.com> "
