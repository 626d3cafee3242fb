"""What a user sees of a `leadflow` run, for the folders of tests that run the
command line (tests/cli, tests/testrunner): its exit code and its two streams.

Test folders are imported apart, each from its own directory; this module sits
above them and is on the test path through `pythonpath` in pyproject.toml.
Named uniquely, as each folder's own *_support.py is, so that no other module
on the path can hide it.
"""

from __future__ import annotations

import json
import re

import attrs

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@attrs.frozen
class Outcome:
    """The exit code and the two streams of one run."""

    code: int
    stdout: str
    stderr: str

    @classmethod
    def plain(cls, code: int, stdout: str, stderr: str) -> Outcome:
        """An outcome with the ANSI colour codes taken out of both streams, as a user reads them."""
        return cls(code, _ANSI.sub("", stdout), _ANSI.sub("", stderr))

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]
