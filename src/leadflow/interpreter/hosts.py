"""Checking a host function against its `extern fn` declaration.

`engine.bind` compares the Python function's annotations with the declared
signature, so a mismatch is a HostError at start-up rather than a surprise in
the middle of an event. Unannotated functions are taken on trust; their
results are still checked against the declared type at every call.
"""

from __future__ import annotations

import datetime as dt
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from leadflow.check import types as T
from leadflow.check.program import FunctionSignature

PYTHON_TYPES = {str: T.TEXT, int: T.NUMBER, float: T.NUMBER, bool: T.BOOL, dt.datetime: T.DATETIME, dt.date: T.DATE}


def host_mismatch(function: Callable[..., Any], signature: FunctionSignature) -> str | None:
    """Compare a Python function's annotations with an `extern fn` signature."""
    try:
        params = list(inspect.signature(function).parameters.values())
        hints = typing.get_type_hints(function)
    except (TypeError, ValueError, NameError):
        return None  # builtins and unannotated callables are taken on trust
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not any(p.kind == p.VAR_POSITIONAL for p in params) and len(positional) != len(signature.params):
        return f"it takes {len(positional)} argument(s), the script passes {len(signature.params)}"
    for p, (_name, declared) in zip(positional, signature.params, strict=False):  # *args: fewer Python parameters
        hint = hints.get(p.name)
        if hint is not None and not _compatible(hint, declared):
            return f"parameter `{p.name}` is {getattr(hint, '__name__', hint)}, the script passes {declared}"
    result = hints.get("return")
    if result is not None and not _compatible(result, signature.result):
        return f"it returns {getattr(result, '__name__', result)}, the script expects {signature.result}"
    return None


def _compatible(hint: Any, declared: T.Type) -> bool:
    declared = T.strip_null(declared)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_compatible(arg, declared) for arg in typing.get_args(hint) if arg is not type(None))
    if hint is typing.Any or declared == T.ANY:
        return True
    if origin in (list, list) or hint is list:
        return isinstance(declared, T.ListType)
    if origin in (dict, dict) or hint is dict:
        return isinstance(declared, T.RecordType)
    if hint in PYTHON_TYPES:
        expected = PYTHON_TYPES[hint]
        if hint in (int, float):
            return declared == T.NUMBER
        if hint is str:
            return T.is_textual(declared) or isinstance(declared, T.EnumType)
        return declared == expected
    return True
