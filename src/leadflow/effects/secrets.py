"""Secret values: checked when the engine starts, kept out of everything written.

A script names its secrets (`secret ENRICH_KEY`) and uses them only in
`auth bearer` and `sign with`; the checker refuses every other use (E214).
The outbox row of a webhook holds the secret's *name*; its value is looked
up when the request is sent, and the HMAC signature is computed then too,
so neither is stored.

What remains is text the engine did not write itself: an error raised while
sending, or a receiver's reply that echoes the Authorization header. Such
text may hold the value whole, cut short (an error snippet ends mid-value),
or spelled differently (JSON or percent escapes). :class:`Redactor` therefore
removes every run of :data:`FRAGMENT` or more characters that occurs in a
secret in any of those spellings, not just the whole value.

Values are checked once, at start (:func:`check_values`): each must be
printable ASCII without surrounding blanks, because the value goes into an
HTTP header, where a line break would end the header (or be refused by the
HTTP library with an error that quotes it) and anything beyond ASCII is
encoded differently by each side. The error names the secret, never its
value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from leadflow.errors import LeadflowError

__all__ = ["FRAGMENT", "Redactor", "SecretValueError", "check_values"]

FRAGMENT = 8  # the shortest piece of a secret that is removed wherever it turns up
MASK = "***"


class SecretValueError(LeadflowError):
    """A secret's value cannot be used; the message names the secret only."""


def _problem(value: str) -> str | None:
    if not value:
        return "is empty"
    if not value.isascii():
        return "has a character outside ASCII"
    if any(c in "\r\n" for c in value):
        return "has a line break"
    if not value.isprintable():
        return "has a control character"
    if value != value.strip():
        return "starts or ends with white space"
    return None


def check_values(secrets: Mapping[str, str]) -> dict[str, str]:
    """``secrets`` as a plain dict; SecretValueError naming the first unusable one."""
    for name, value in secrets.items():
        problem = _problem(value) if isinstance(value, str) else "is not text"
        if problem is not None:
            raise SecretValueError(
                f"secret {name}: its value {problem}; a secret must be printable ASCII "
                "without surrounding blanks, since it is sent in an HTTP header"
            )
    return dict(secrets)


def _spellings(value: str) -> set[str]:
    """``value`` as it may appear in text: as is, JSON-escaped, percent-encoded."""
    return {value, json.dumps(value)[1:-1], quote(value, safe=""), quote(value)}


class Redactor:
    """Removes secret values, whole or in pieces, from text and replies."""

    def __init__(self, values: Iterable[str]):
        spellings = {s for v in values if v for s in _spellings(v)}
        # Shorter than FRAGMENT: only the whole value can be recognised.
        self._whole = sorted((s for s in spellings if len(s) < FRAGMENT), key=len, reverse=True)
        pieces = {s[i : i + FRAGMENT] for s in spellings for i in range(len(s) - FRAGMENT + 1)}
        self._piece_set = frozenset(pieces)
        # A lookahead finds every start, overlapping ones included, in one pass of the regex engine.
        alternatives = "|".join(re.escape(p) for p in sorted(pieces))
        self._pieces = re.compile(f"(?=(?:{alternatives}))") if pieces else None

    def text(self, text: str) -> str:
        """``text`` with every piece of a secret replaced by ``***``."""
        # `in` is a fast substring search; most text holds no piece and stops here
        if self._pieces is not None and any(piece in text for piece in self._piece_set):
            covered = bytearray(len(text))
            for found in self._pieces.finditer(text):
                start = found.start()
                covered[start : start + FRAGMENT] = b"\1" * FRAGMENT
            if any(covered):
                text = _mask(text, covered)
        for value in self._whole:
            text = text.replace(value, MASK)
        return text

    def value(self, value: Any) -> Any:
        """A reply (parsed JSON or text) with secrets removed from every string in it."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        return value


def _mask(text: str, covered: bytearray) -> str:
    """``text`` with each run of covered characters replaced by one ``***``."""
    out, start = [], 0
    while start < len(text):
        end = start
        while end < len(text) and covered[end] == covered[start]:
            end += 1
        out.append(MASK if covered[start] else text[start:end])
        start = end
    return "".join(out)
