"""`leadflow repl` as a user starts it: in a real pseudo-terminal (prompt_toolkit
with history, completion and the prompt), and with input from a pipe."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

import pytest
from cli_support import LIFECYCLE, leadflow

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]|\r")


class Terminal:
    """A process on a pseudo-terminal, read until what the user waits to see appears."""

    def __init__(self, args: list[str], env: dict[str, str]):
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = b""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def screen(self) -> str:
        return ANSI.sub(b"", self.seen).decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.screen()):
                return self.screen()
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:  # the process ended
                    break
        raise AssertionError(f"never saw {pattern!r}; the terminal shows:\n{self.screen()[-3000:]}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.master)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_repl_in_a_real_terminal(tmp_path):
    history = tmp_path / "history"
    env = dict(
        os.environ,
        TERM="xterm",
        PROMPT_TOOLKIT_NO_CPR="1",
        LEADFLOW_HISTORY=str(history),
        COLUMNS="120",
        LINES="40",
        NO_COLOR="1",
    )
    terminal = Terminal([sys.executable, "-m", "leadflow", "repl"], env)
    try:
        terminal.wait_for(r"leadflow>")
        terminal.type("1 + 2\r")
        terminal.wait_for(r"3 : number")
        terminal.type(":contact ada@example.com\r")
        terminal.wait_for(r"ada@example\.com>")
        terminal.type("sco\t\r")  # Tab completes `score`
        terminal.wait_for(r"40 : number")
        terminal.type(':emit form_submitted {form: "demo"}\r')
        terminal.wait_for(r'fired: rule "Activity counts", rule "Any form makes a lead"')
        terminal.type(":advance 2 days\r")
        terminal.wait_for(r"now \d{4}-\d\d-\d\dT\d\d:\d\dZ")
        terminal.type("scor + 1\r")
        terminal.wait_for(r"did you mean `score`\?")
        terminal.type("score\r")  # the mistake did not end the session
        terminal.wait_for(r"65 : number")
        terminal.type(":quit\r")
        assert terminal.process.wait(timeout=30) == 0
    finally:
        terminal.close()
    assert "Traceback" not in terminal.screen()
    assert "+:contact ada@example.com" in history.read_text()


def test_the_repl_reads_a_pipe_as_a_transcript():
    result = leadflow("repl", input=':contact grace@example.com\nlifecycle\n:explain "MQL to SQL"\nnope(\n)\n:quit\n')
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert "leadflow> :contact grace@example.com" in lines
    assert lines[lines.index("grace@example.com> lifecycle") + 1] == "subscriber : lifecycle's enum"
    assert "    ✗ score > 90   (score = 20)" in lines
    assert "<repl>:1:1: error[E203]: unknown function `nope`" in lines
    assert lines[-1] == "grace@example.com> :quit"


def test_the_repl_works_on_a_database_and_a_script_given(tmp_path):
    db = tmp_path / "crm.db"
    assert (
        leadflow(
            "import", LIFECYCLE / "lifecycle.flow", LIFECYCLE / "contacts.csv", "--db", db, "--email", tmp_path / "out"
        ).code
        == 0
    )
    result = leadflow(
        "repl",
        LIFECYCLE / "lifecycle.flow",
        "--db",
        db,
        input=':contact linus@example.com\n:emit form_submitted {"form": "ebook"}\n',
    )
    assert 'fired: rule "Activity counts", rule "Any form makes a lead"' in result.stdout
    # the event went into the database
    history = leadflow("history", "linus@example.com", "--db", db, "--format", "json")
    assert any(line["cause"] == 'rule "Any form makes a lead"' for line in history.json_lines())


def test_a_script_with_errors_starts_the_repl_anyway(tmp_path):
    script = tmp_path / "bad.flow"
    script.write_text("when created then set nope = 1\n")
    result = leadflow("repl", script, input="1 + 1\n")
    assert "bad.flow:1:23: error[E202]: contact has no property `nope`" in result.stdout
    assert "2 : number" in result.stdout
