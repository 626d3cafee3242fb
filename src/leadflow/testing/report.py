"""Printing test results the way pytest does.

    tests/nurture.test.toml ..F.
    ==================== FAILURES ====================
    ______ tests/nurture.test.toml::reaches the goal ______
    at expect: expectations not met
    expect."ada@example.com".enrolled.nurturing: the run differs
        expected: goal
        actual:   active, at step 3
    ========= 3 passed, 1 failed in 0.21s =========

One line per file with a character per test (`.` passed, `F` failed, `E`
error), or with `-v` one line per test; then the details of every test that
did not pass; then a summary line. Bad test files and scripts that do not
check are listed under ERRORS.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

import click

from leadflow.diagnostics import render_all
from leadflow.testing import coverage as cov
from leadflow.testing.runner import TestResult
from leadflow.testing.spec import TestFile
from leadflow.testing.suite import SuiteResult

MARK = {"passed": ".", "failed": "F", "error": "E"}
WORD = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR"}
COLOR = {"passed": "green", "failed": "red", "error": "red"}


class Reporter:
    def __init__(self, echo: Callable[..., None] = click.echo, verbose: bool = False):
        self.echo = echo
        self.verbose = verbose
        self.width = min(shutil.get_terminal_size((80, 20)).columns, 100)
        self._open_line = False

    # ---- as tests run ------------------------------------------------------------------------
    def file_started(self, test_file: TestFile) -> None:
        self._end_line()
        if not self.verbose:
            self.echo(f"{test_file.path} ", nl=False)
            self._open_line = True

    def test_done(self, result: TestResult) -> None:
        if self.verbose:
            word = click.style(WORD[result.outcome], fg=COLOR[result.outcome])
            self.echo(f"{result.file}::{result.name} {word}")
        else:
            self.echo(click.style(MARK[result.outcome], fg=COLOR[result.outcome]), nl=False)

    def _end_line(self) -> None:
        if self._open_line:
            self.echo("")
            self._open_line = False

    # ---- at the end ----------------------------------------------------------------------------
    def summary(self, suite: SuiteResult) -> None:
        self._end_line()
        if suite.bad_files or suite.broken_scripts:
            self.echo(self._rule("ERRORS", "="))
            for error in suite.bad_files:
                self.echo(f"bad test file: {error}")
            for test_file in suite.broken_scripts:
                self.echo(
                    f"{test_file.path}: the script does not check, so its {len(test_file.tests) or 'no'} "
                    "test(s) cannot run:"
                )
                assert test_file.script_error is not None  # what makes it broken
                self.echo(render_all(test_file.script_error.diagnostics, test_file.sources))
        failed = [r for r in suite.results if r.outcome != "passed"]
        if failed:
            self.echo(self._rule("FAILURES", "="))
            for result in failed:
                self.failure(result)
        if suite.coverage is not None:
            self.echo(self._rule("coverage", "-"))
            for line in cov.report(suite.coverage) or ["no rules or workflows were measured"]:
                self.echo(line)
        self.echo(self._rule(self._counts(suite), "="))

    def failure(self, result: TestResult) -> None:
        self.echo(self._rule(f"{result.file}::{result.name}", "_"))
        what = "error" if result.outcome == "error" else "failed"
        self.echo(f"{what} at {result.where}: {result.message}" if result.where else f"{what}: {result.message}")
        for mismatch in result.mismatches:
            self.echo(f"{mismatch.what}: {mismatch.message}")
            diff = mismatch.diff()
            if diff:
                for line in diff:
                    self.echo("    " + _colored_diff_line(line))
            elif mismatch.expected is not None or mismatch.actual is not None:
                self.echo(f"    expected: {_one_line(mismatch.expected, mismatch.sequence)}")
                self.echo(f"    actual:   {_one_line(mismatch.actual, mismatch.sequence)}")
        self.echo("")

    def _counts(self, suite: SuiteResult) -> str:
        parts = [f"{n} {word}" for word in ("passed", "failed") if (n := suite.count(word))]
        errors = suite.count("error") + len(suite.bad_files) + len(suite.broken_scripts)
        if errors:
            parts.append(f"{errors} error{'s' if errors != 1 else ''}")
        return f"{', '.join(parts) or 'no tests ran'} in {suite.seconds:.2f}s"

    def _rule(self, title: str, char: str) -> str:
        title = f" {title} "
        side = max((self.width - len(title)) // 2, 3)
        return char * side + title + char * side


def _one_line(lines: list[str] | None, sequence: bool) -> str:
    if lines is None:
        return "-"
    return "[" + ", ".join(lines) + "]" if sequence else "; ".join(lines)


def _colored_diff_line(line: str) -> str:
    if line.startswith("-") and not line.startswith("---"):
        return click.style(line, fg="red")
    if line.startswith("+") and not line.startswith("+++"):
        return click.style(line, fg="green")
    return line
