"""The run context that compiled code sees as `ctx`: clock, randomness,
host functions, record access and the step budget.

One context serves an engine. Before each rule, step or condition run the
engine calls `start(where)`, which resets the budget; compiled `fn` loops and
host calls `tick`, so a runaway script ends with a BudgetExceeded that names
the rule and the source line, never a hang.

The clock is read every CLOCK_EVERY ticks, not on each: a tick is the hot
path of a loop. That holds the time limit because no step can take long:
every value is bounded (leadflow.limits), so a pass of a loop costs what its
few statements cost on values of at most a megabyte, milliseconds, and the
rule stops within CLOCK_EVERY passes of its limit.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from leadflow import limits
from leadflow.errors import BudgetExceeded, LeadflowError, LeadflowRuntimeError, LimitExceeded
from leadflow.syntax.span import Span

if TYPE_CHECKING:  # (not imported at run time: leadflow.clock brings sqlite3, which `check` does without)
    from leadflow.clock import SimulatedClock, SystemClock

DEFAULT_STEP_BUDGET = 100_000
DEFAULT_TIME_LIMIT = 5.0  # seconds per rule run, host calls included
CLOCK_EVERY = 16  # ticks between two readings of the clock (a power of two)


def _no_reader(*args: object) -> NoReturn:
    raise LeadflowRuntimeError("records are read only while the engine processes an event")


class RunContext:
    def __init__(
        self,
        clock: SimulatedClock | SystemClock,
        timezone: ZoneInfo,
        sites: list[tuple[str, Span]],
        *,
        seed: int | None = None,
        step_budget: int = DEFAULT_STEP_BUDGET,
        time_limit: float = DEFAULT_TIME_LIMIT,
    ) -> None:
        self.clock = clock
        self.timezone = timezone
        self.random = random.Random(seed)  # noqa: S311 (random() and splits in scripts, seedable; no secret)
        self.sites = sites
        self.step_budget = step_budget
        self.time_limit = time_limit
        self.hosts: dict[str, Callable[..., Any]] = {}
        # The store readers, set by the engine (per transaction for the first two).
        self.records: Callable[[int], dict[str, Any]] = _no_reader
        self.reverse_lookup: Callable[[int, str, str], list[int]] = _no_reader
        self.events_of: Callable[[int, str, dt.datetime | None], list[dict[str, Any]]] = _no_reader
        self.where = ""
        self.moment: dt.datetime | None = None  # the time of the event being processed
        self._steps = 0
        self._deadline: float | None = None

    # ---- clock ------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        # While an event is processed, now() is the event's time: a back-dated
        # event stamps `set last_activity = now()` as its history does.
        return self.moment or self.clock.now()

    def today(self) -> dt.date:
        return self.now().astimezone(self.timezone).date()

    # ---- budget -------------------------------------------------------------------------
    def start(self, where: str) -> None:
        self.where = where
        self._steps = 0
        self._deadline = None  # read the clock only once something ticks: most rules never do

    def _past_deadline(self) -> bool:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.time_limit
            return False
        return time.monotonic() > self._deadline

    def tick(self, site: int = -1) -> None:
        self._steps += 1
        if self._steps == 1:
            self._past_deadline()  # starts the time limit
        if self._steps > self.step_budget or (self._steps & (CLOCK_EVERY - 1) == 0 and self._past_deadline()):
            where, span = self.sites[site] if site >= 0 else (self.where, None)
            what = (
                f"step budget of {self.step_budget}"
                if self._steps > self.step_budget
                else f"time limit of {self.time_limit:g} s"
            )
            raise BudgetExceeded(f"{where} ran past its {what}", span, self.where)

    # ---- the event log ----------------------------------------------------------------
    def happened(
        self,
        record_id: int,
        event: str,
        where: Callable[..., Any] | None,
        p: dict[str, Any],
        loc: dict[str, Any],
        since: dt.datetime | None,
    ) -> bool:
        """`happened(EVENT where COND, since: T)`: a logged event of the record matches."""
        return any(where is None or where(p, ev, loc, self) for ev in self.events_of(record_id, event, since))

    # ---- host functions and records ---------------------------------------------------
    def host(self, name: str, args: tuple[Any, ...]) -> Any:
        self.tick()
        function = self.hosts.get(name)
        if function is None:
            raise LeadflowRuntimeError(
                f"host function `{name}` is not bound; the embedding program must call engine.bind({name!r}, ...)"
            )
        try:
            result = function(*args)
        except LeadflowError:
            raise
        except Exception as error:  # a host bug must not crash the engine or hide the rule
            raise LeadflowRuntimeError(f"host function `{name}` failed: {type(error).__name__}: {error}") from error
        if self._past_deadline():
            raise BudgetExceeded(
                f"host function `{name}` ran past the time limit of {self.time_limit:g} s", None, self.where
            )
        try:
            return limits.fit_value(result)
        except LimitExceeded as error:
            raise LimitExceeded(f"the result of host function `{name}` is past a limit: {error.message}") from None

    def record(self, record_id: int) -> dict[str, Any]:
        if record_id is None:
            raise LeadflowRuntimeError("no such record")
        return self.records(record_id)

    def reverse(self, record_id: int, owner: str, field: str) -> list[int]:
        return self.reverse_lookup(record_id, owner, field)
