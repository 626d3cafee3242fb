"""The REPL in a terminal: prompt_toolkit around a ReplSession.

Enter runs the input unless a bracket or a string is still open (then it
starts a new line; an empty line runs it anyway). History is kept in a file
across sessions; Tab completes (completion.py); input is highlighted with
the Leadflow Pygments lexer. When standard input is not a terminal (a file
or a pipe), `run_lines` reads it line by line instead and echoes each input
after its prompt, so the output reads as a transcript.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from pygments.lexer import inherit
from pygments.token import Keyword

from leadflow.repl.completion import ReplCompleter, complete_safely
from leadflow.repl.session import ReplSession
from leadflow.syntax.highlight import LeadflowLexer


class ReplLexer(LeadflowLexer):
    """Leadflow, plus the REPL's `:commands`."""

    tokens = {"root": [(r"^\s*:[A-Za-z?]+", Keyword.Pseudo), inherit]}


def history_file() -> Path | None:
    """LEADFLOW_HISTORY if set (empty: no history file), else the user's data folder."""
    if "LEADFLOW_HISTORY" in os.environ:
        return Path(os.environ["LEADFLOW_HISTORY"]) if os.environ["LEADFLOW_HISTORY"] else None
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "leadflow" / "repl_history"


def _history(path: Path | None) -> History:
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:  # a read-only home must not keep anyone from the REPL
        return InMemoryHistory()
    return FileHistory(str(path))


def _key_bindings(session: ReplSession) -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None:  # Enter picks the completion shown, as in a shell
            buffer.complete_state = None
        elif session.needs_more(buffer.text) and not buffer.text.endswith("\n"):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @bindings.add("tab")
    def _tab(event) -> None:
        # Inserts what all completions share at once (prompt_toolkit would do it in the
        # background, after keys typed ahead), then shows the menu if several remain.
        buffer = event.current_buffer
        if buffer.complete_state is not None:
            buffer.complete_next()
            return
        word, candidates = complete_safely(session, buffer.document.text_before_cursor)
        shared = os.path.commonprefix([c.text for c in candidates])
        if len(shared) > len(word):
            buffer.insert_text(shared[len(word) :])
        if len(candidates) > 1:
            buffer.start_completion(select_first=False)

    return bindings


def run_prompt(
    session: ReplSession, *, input=None, output=None, history: Path | None = None, write: Callable[[str], None] = print
) -> None:
    """The interactive loop. `input`/`output` are prompt_toolkit's (tests pass a pipe)."""
    prompt: PromptSession[str] = PromptSession(
        history=_history(history),
        lexer=PygmentsLexer(ReplLexer),
        completer=ReplCompleter(session),
        complete_while_typing=False,
        multiline=True,
        key_bindings=_key_bindings(session),
        prompt_continuation=lambda width, line, wrapped: "." * (width - 1) + " ",
        input=input,
        output=output,
    )
    write(session.banner())
    while not session.finished:
        try:
            text = prompt.prompt(session.prompt)
        except KeyboardInterrupt:  # Ctrl-C drops the line being typed, as in a shell
            continue
        except EOFError:  # Ctrl-D
            break
        result = session.run(text)
        if result:
            write(result)


def run_lines(session: ReplSession, lines: Iterable[str], write: Callable[[str], None] = print) -> None:
    """The REPL over lines read from a file or a pipe, echoed after their prompt."""
    write(session.banner())
    pending = ""
    for line in lines:
        prompt = session.prompt if not pending else "." * (len(session.prompt) - 1) + " "
        write(prompt + line.rstrip("\n"))
        pending += line
        if session.needs_more(pending) and line.strip():
            continue
        result, pending = session.run(pending), ""
        if result:
            write(result)
        if session.finished:
            return
    if pending.strip():
        write(session.run(pending))
