"""The REPL's prompt_toolkit application, driven by keys through a pipe as a
terminal would send them: Enter is \\r, Tab is \\t, Up is ESC [ A."""

from __future__ import annotations

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from leadflow.repl.app import history_file, run_prompt, run_lines

UP = "\x1b[A"
CTRL_C = "\x03"


def type_keys(session, keys: str, history=None) -> list[str]:
    """Run the prompt on `keys` (then end of input); returns what it printed, banner first."""
    printed: list[str] = []
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # Ctrl-D after the keys: the loop must end by itself
        run_prompt(session, input=pipe, output=DummyOutput(), history=history, write=printed.append)
    return printed


def test_a_session_typed_at_the_prompt(session):
    printed = type_keys(
        session,
        "".join(
            [
                "1 + 2\r",
                ":contact ada@example.com\r",
                "sco\t\r",  # Tab completes the property
                "[score,\r score + 1]\r",  # an open bracket continues the input on the next line
                ':emit form_sub\t {form: "demo"}\r',
                "lifecycle\r",
                ":advance 2 days\r",
                "scor +\r",  # a mistake: a diagnostic, and the session goes on
                "now()\r",
                ":quit\r",
                "1\r",  # not read: the session has ended
            ]
        ),
    )
    assert printed[0].startswith("loaded ")
    assert printed[1:] == [
        "3 : number",
        "contact 1 (ada@example.com)",
        "40 : number",
        "[40, 41] : list<number>",
        "form_submitted for contact 1 (ada@example.com) at 2026-11-23T09:00Z\n"
        'fired: rule "Activity counts", rule "Any form makes a lead", rule "Qualify marketing leads"\n'
        "queued email welcome to ada@example.com: Thanks for your interest, Ada",
        "mql : lifecycle's enum",
        "now 2026-11-25T09:00Z",
        "<repl>:1:7: error[E100]: the expression ends too early\n  |\n1 | scor +\n  |       ^ expected a date, a datetime, "
        "a name, a number, a string, a time, `(`, `-`, ...",
        "2026-11-25T09:00Z : datetime",
    ]
    assert session.finished


def test_history_is_kept_across_sessions(session, tmp_path):
    history = tmp_path / "history"
    type_keys(session, "40 + 2\r", history=history)
    assert "+40 + 2" in history.read_text()
    session.finished = False
    assert type_keys(session, UP + "\r", history=history)[1:] == ["42 : number"]  # Up recalls it


def test_ctrl_c_drops_the_line_and_an_empty_line_runs_open_input(session):
    printed = type_keys(session, "scor" + CTRL_C + "2 * 21\r" + "[1,\r\r")
    assert printed[1] == "42 : number"
    assert printed[2].startswith("<repl>:1:4: error[E100]: the expression ends too early")


def test_history_file_location(monkeypatch, tmp_path):
    monkeypatch.setenv("LEADFLOW_HISTORY", str(tmp_path / "h"))
    assert history_file() == tmp_path / "h"
    monkeypatch.setenv("LEADFLOW_HISTORY", "")
    assert history_file() is None
    monkeypatch.delenv("LEADFLOW_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert history_file() == tmp_path / "leadflow" / "repl_history"


def test_lines_from_a_pipe_read_as_a_transcript(session):
    printed: list[str] = []
    run_lines(
        session,
        iter([":contact ada@example.com\n", "[score,\n", " 1]\n", "nope\n", ":q\n", "2\n"]),
        write=printed.append,
    )
    assert printed[1:6] == [
        "leadflow> :contact ada@example.com",
        "contact 1 (ada@example.com)",
        "ada@example.com> [score,",
        "................  1]",
        "[40, 1] : list<number>",
    ]
    assert printed[6] == "ada@example.com> nope"
    assert printed[7].startswith("<repl>:1:1: error[E200]: unknown name `nope` on contact")
    assert printed[8:] == ["ada@example.com> :q"]


@pytest.fixture(autouse=True)
def no_user_history(monkeypatch, tmp_path):
    monkeypatch.setenv("LEADFLOW_HISTORY", str(tmp_path / "unused-history"))


def test_a_failing_completion_offers_nothing_and_the_prompt_goes_on(session, monkeypatch):
    def broken(*args):
        raise RuntimeError("store gone")

    monkeypatch.setattr("leadflow.repl.completion._names", broken)
    assert type_keys(session, "1 +\t 1\r")[1:] == ["2 : number"]


def test_the_prompt_highlights_commands_and_leadflow():
    from pygments.token import Keyword, Name, Punctuation, String

    from leadflow.repl.app import ReplLexer

    found = [(kind, text) for kind, text in ReplLexer().get_tokens(':emit form_submitted {form: "x"}') if text.strip()]
    assert found[:3] == [(Keyword.Pseudo, ":emit"), (Name, "form_submitted"), (Punctuation, "{")]
    assert (String.Double, "x") in found
