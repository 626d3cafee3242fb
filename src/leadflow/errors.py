"""The one exception root. Everything a user can cause is a LeadflowError.

Script mistakes carry diagnostics with spans; runtime errors name the rule or
step and its source line. No Python traceback should reach a user for a
mistake in a script or an input file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadflow.diagnostics import Diagnostic
    from leadflow.syntax.span import Span


class LeadflowError(Exception):
    """Root of every error Leadflow raises on purpose."""

    # Set on an error of any kind as it passes a rule or a workflow step (a
    # LeadflowRuntimeError always has `where`; read the others with getattr).
    where: str | None
    step: str  # the path of the workflow step that failed (workflows/runs.py)

    def __init__(self, message: str, span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.span = span

    def __str__(self) -> str:
        return f"{self.span}: {self.message}" if self.span else self.message


class ScriptError(LeadflowError):
    """A script failed to parse or check; `diagnostics` holds every error found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        first = diagnostics[0]
        super().__init__(first.message, first.span)
        self.diagnostics = diagnostics

    def render(self, sources: dict[str, str] | None = None) -> str:
        from leadflow.diagnostics import render_all

        return render_all(self.diagnostics, sources or {})

    def __str__(self) -> str:
        return self.render()


class LeadflowRuntimeError(LeadflowError):
    """A script failed while running: names the rule or step where it happened."""

    def __init__(self, message: str, span: Span | None = None, where: str | None = None):
        super().__init__(message, span)
        self.where = where

    def __str__(self) -> str:
        place = f" in {self.where}" if self.where else ""
        at = f"{self.span}: " if self.span else ""
        return f"{at}runtime error{place}: {self.message}"


class BudgetExceeded(LeadflowRuntimeError):
    """A rule, step or function ran past its step budget or time limit."""


class LimitExceeded(LeadflowRuntimeError):
    """A value went past a limit of its type: text or a list too long, a number
    too large or not finite, a date outside the calendar. The limits are in
    `leadflow.limits` and docs/language.md."""


class HostError(LeadflowError):
    """The embedding program's host functions do not match the script."""


class InputError(LeadflowError):
    """A malformed event, import row or other input, or an argument that an API
    method does not accept (the message says what it accepts); nothing of it
    was applied."""
