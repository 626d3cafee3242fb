"""W405: text interpolated into a webhook URL's query without encoding.

`webhook get "https://api.example.com/find?email={email}"` sends
`a+b@example.com` as it is, and the receiver reads the `+` as a space; a
company called `AT&T #1` ends the parameter at `&` and the URL at `#`. The
lint looks at the URL of each webhook: once a literal part has opened the
query (a `?`), any later interpolation of text (text, email, phone, url)
that is not a call to `url_encode` or `url_query` is reported. Numbers,
booleans, dates and enum members need no encoding and are left alone. A
local is taken as encoded when every `let` of its name in the script is such
a call (`let q = url_query({...})` then `"...?{q}"`); locals are not tracked
further, so a name given both kinds of value is reported.
"""

from __future__ import annotations

from collections.abc import Callable

from leadflow.check.program import CheckedProgram
from leadflow.check.types import is_textual, strip_null
from leadflow.diagnostics import Diagnostic
from leadflow.syntax import ast
from leadflow.syntax.walk import walk

ENCODERS = ("url_encode", "url_query")


def unencoded_url_queries(checked: CheckedProgram, warning: Callable[..., Diagnostic]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    encoded = _encoded_locals(checked)
    for node in walk(checked.program):
        if isinstance(node, ast.Webhook) and isinstance(node.url, ast.TextLit):
            in_query = False
            for part in node.url.parts:
                if isinstance(part, str):
                    in_query = in_query or "?" in part
                elif in_query and _needs_encoding(checked, part, encoded):
                    found.append(
                        warning(
                            "W405",
                            "text in a URL's query is not encoded",
                            part.span,
                            "`+`, `&`, `#` and spaces in it would change the request",
                            ("wrap it: `url_encode(...)`, or build the whole query with `url_query({...})`",),
                        )
                    )
    return found


def _is_encoder_call(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Call) and expr.func in ENCODERS


def _encoded_locals(checked: CheckedProgram) -> set[str]:
    """Names whose every `let` is a call to an encoder."""
    lets = [n for n in walk(checked.program) if isinstance(n, (ast.LetAction, ast.LetStmt))]
    plain = {n.name for n in lets if not _is_encoder_call(n.value)}
    return {n.name for n in lets} - plain


def _needs_encoding(checked: CheckedProgram, part: ast.Expr, encoded: set[str]) -> bool:
    if _is_encoder_call(part):
        return False
    if isinstance(part, ast.Name):
        resolution = checked.names.get(id(part))
        if resolution is not None and resolution.kind == "local" and resolution.name in encoded:
            return False
    kind = checked.types.get(id(part))
    return kind is not None and is_textual(strip_null(kind))
