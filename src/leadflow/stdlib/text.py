"""Text builtins: case, trimming, searching, splitting, padding, emails, slugs, URLs.

Positions are zero-based and counted in characters (code points). Like
Python slices, `substring` counts negative positions from the end and clamps
positions past either end, so it never fails on a short string.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from leadflow import limits
from leadflow.check.types import BOOL, EMAIL, NUMBER, TEXT, ListType, nullable
from leadflow.interpreter.helpers import text as interpolated
from leadflow.interpreter.validate import NotAnEmail, normal_email
from leadflow.stdlib.registry import ANY_RECORD, builtin, fail, param, whole

MAX_PAD = 100_000  # a pad width past this is a script bug, not a layout

S = param("s", TEXT)


@builtin("lower", [S], TEXT)
def lower(s: str) -> str:
    """`s` in lower case."""
    return limits.check_text(s.lower())  # a few characters grow when their case changes


@builtin("upper", [S], TEXT)
def upper(s: str) -> str:
    """`s` in upper case."""
    return limits.check_text(s.upper())  # "ß" is "SS"


@builtin("trim", [S], TEXT)
def trim(s: str) -> str:
    """`s` without leading and trailing white space."""
    return s.strip()


@builtin("length", [S], NUMBER)
def length(s: str) -> int:
    """The number of characters in `s`. For lists, use `count`."""
    return len(s)


@builtin("contains", [S, param("part", TEXT)], BOOL)
def contains(s: str, part: str) -> bool:
    """Whether `part` occurs in `s` (case-sensitive; combine with `lower` to ignore case).
    For lists, use `includes`."""
    return part in s


@builtin("starts_with", [S, param("prefix", TEXT)], BOOL)
def starts_with(s: str, prefix: str) -> bool:
    """Whether `s` begins with `prefix`."""
    return s.startswith(prefix)


@builtin("ends_with", [S, param("suffix", TEXT)], BOOL)
def ends_with(s: str, suffix: str) -> bool:
    """Whether `s` ends with `suffix`."""
    return s.endswith(suffix)


@builtin("split", [S, param("sep", TEXT)], ListType(TEXT))
def split(s: str, sep: str) -> list[str]:
    """The pieces of `s` between occurrences of `sep`: `split("a@b.com", "@")` is
    `["a", "b.com"]`. Empty pieces are kept; `sep` must not be empty."""
    if not sep:
        raise fail("split", "the separator must not be empty")
    limits.check_list_length(s.count(sep) + 1, "the result of `split`")
    return s.split(sep)


@builtin("join", [param("items", ListType(TEXT)), param("sep", TEXT)], TEXT)
def join(items: list[str], sep: str) -> str:
    """The items of `items` with `sep` between them; the inverse of `split`."""
    limits.joined_length(items, sep)  # measured first: the items may be one long text many times over
    return sep.join(items)


@builtin("replace", [S, param("old", TEXT), param("new", TEXT)], TEXT)
def replace(s: str, old: str, new: str) -> str:
    """`s` with every occurrence of `old` replaced by `new`."""
    if not old:
        raise fail("replace", "the text to replace must not be empty")
    if len(new) > len(old):  # measured first: each pass of a loop could multiply the length
        grown = len(s) + s.count(old) * (len(new) - len(old))
        if grown > limits.MAX_TEXT:
            raise limits.text_too_long(grown)
    return s.replace(old, new)


@builtin("substring", [S, param("start", NUMBER), param("end", NUMBER, optional=True)], TEXT)
def substring(s: str, start: float, end: float | None = None) -> str:
    """The characters of `s` from `start` (included) to `end` (excluded, default the end).
    Positions start at 0; negative ones count from the end; out-of-range ones are clamped."""
    first = whole("substring", "start", start)
    last = None if end is None else whole("substring", "end", end)
    return s[first:last]


def _pad(name: str, width: float, fill: str) -> int:
    size = whole(name, "width", width)
    if len(fill) != 1:
        raise fail(name, f"the fill must be exactly one character, got {fill!r}")
    if size > MAX_PAD:
        raise fail(name, f"width {size} is over the limit of {MAX_PAD}")
    return max(size, 0)  # a negative width pads nothing (and past -2**63 Python could not take it)


@builtin("pad_left", [S, param("width", NUMBER), param("fill", TEXT, optional=True)], TEXT)
def pad_left(s: str, width: float, fill: str = " ") -> str:
    """`s` preceded by `fill` (default a space) up to `width` characters:
    `pad_left("7", 3, "0")` is `"007"`. Longer text is returned unchanged."""
    return s.rjust(_pad("pad_left", width, fill), fill)


@builtin("pad_right", [S, param("width", NUMBER), param("fill", TEXT, optional=True)], TEXT)
def pad_right(s: str, width: float, fill: str = " ") -> str:
    """`s` followed by `fill` (default a space) up to `width` characters."""
    return s.ljust(_pad("pad_right", width, fill), fill)


@builtin("is_email", [S], BOOL)
def is_email(s: str) -> bool:
    """Whether `s` is an email address that a contact's `email` can hold (syntax
    only, no DNS): `if is_email(event.reply) then ...`."""
    try:  # the test every stored address passes: is_email(x) means `set email = x` works
        normal_email(s.strip())
    except NotAnEmail:
        return False
    return True


@builtin("email_domain", [param("address", EMAIL)], TEXT)
def email_domain(address: str) -> str:
    """The domain of an email address, in lower case: `email_domain("Ann@Acme.COM")`
    is `"acme.com"`. Text without an `@` is a runtime error."""
    _, at, domain = address.strip().rpartition("@")
    if not at or not domain:
        raise fail("email_domain", f"{address!r} is not an email address")
    return domain.lower()


@builtin("slug", [S], TEXT)
def slug(s: str) -> str:
    """`s` as a URL-friendly identifier: accents removed, lower case, runs of other
    characters turned into `-`: `slug("Café Crème 2026!")` is `"cafe-creme-2026"`."""
    ascii_text = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return limits.check_text(re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-"))


NUMBER_PATTERN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


@builtin("parse_number", [S], nullable(NUMBER))
def parse_number(s: str) -> int | float | None:
    """The number written in `s` (`"42"`, `" -3.5 "`, `"1e3"`), or null when `s`
    is not a number. Commas are not accepted as decimal separators."""
    text = s.strip()
    if not NUMBER_PATTERN.fullmatch(text):
        return None
    try:
        value = int(text) if text.lstrip("+-").isdigit() else float(text)
    except ValueError:  # more digits than int() will read
        return None
    return value if -limits.MAX_NUMBER <= value <= limits.MAX_NUMBER else None


@builtin("url_encode", [S], TEXT)
def url_encode(s: str) -> str:
    """`s` percent-encoded for any part of a URL (path segment, query name or value):
    every character but letters, digits and `-._~` becomes `%XX` of its UTF-8 bytes.
    `"?email={url_encode(email)}"` sends `a+b@x.com` as `a%2Bb%40x.com`, and
    `url_encode("AT&T #1")` is `"AT%26T%20%231"`."""
    return limits.check_text(quote(s, safe=""))  # one character can be written as up to twelve


@builtin("url_query", [param("params", ANY_RECORD)], TEXT)
def url_query(params: dict[str, Any]) -> str:
    """A query string from a record, each name and value encoded as by `url_encode`:
    `url_query({email: email, company: "AT&T"})` is `"email=a%2Bb%40x.com&company=AT%26T"`.
    Values read as they do in `"{...}"`; null fields are left out and a list gives its
    name once per item (`{tag: ["a", "b"]}` is `"tag=a&tag=b"`). A nested record is a
    runtime error. Use it after `?`: `"https://api.example.com/find?{url_query(...)}"`."""
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, (dict, list)):
                raise fail(
                    "url_query", f"field `{name}` holds a record or a list of lists; give text, numbers or lists"
                )
            pairs.append(f"{quote(name, safe='')}={quote(interpolated(item), safe='')}")
    limits.joined_length(pairs, "&")
    return "&".join(pairs)
