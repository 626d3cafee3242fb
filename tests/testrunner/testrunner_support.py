"""Helpers for the test runner's tests: writing a test file next to a script,
and running `leadflow test` in-process or as a process.

Named uniquely (not conftest) so test modules can import it. Every run is
checked for a Python traceback: `leadflow test` must never show one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from outcome_support import Outcome

from leadflow.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
NURTURE = FIXTURES / "nurture.flow"


def _checked(outcome: Outcome) -> Outcome:
    assert "Traceback" not in outcome.text, outcome.text
    return outcome


def leadflow_test(*args) -> Outcome:
    """`leadflow test ARGS` in-process."""
    result = CliRunner().invoke(main, ["test", *map(str, args)], catch_exceptions=False)
    return _checked(Outcome.plain(result.exit_code, result.stdout, result.stderr))


def leadflow_process(*args, cwd: Path | None = None) -> Outcome:
    """`python -m leadflow ARGS` as a separate process, as a user's shell runs it."""
    env = dict(os.environ, NO_COLOR="1", PYTHONIOENCODING="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "leadflow", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=cwd,
        env=env,
    )
    return _checked(Outcome(done.returncode, done.stdout, done.stderr))


def write_test(
    folder: Path, body: str, *, script: str | Path = NURTURE, name: str = "case.test.toml", header: str = ""
) -> Path:
    """A test file in `folder` for `script` (a path to copy, or the script's text)."""
    script_path = folder / "script.flow"
    text = script.read_text("utf-8") if isinstance(script, Path) else script
    script_path.write_text(text, "utf-8")
    path = folder / name
    path.write_text(f'script = "script.flow"\n{header}\n{body}', "utf-8")
    return path
