"""Leadflow's standard library: a registry of typed builtins.

Importing this package registers every builtin (text, numbers, dates, lists,
records) into `REGISTRY`. See `registry` for the design notes.
"""

from leadflow.stdlib import dates, lists, numbers, records, text  # noqa: F401  (they register)
from leadflow.stdlib.registry import (
    REGISTRY,
    Builtin,
    CallContext,
    Param,
    describe,
    invoke,
    reference_markdown,
    show_type,
    signature_result,
)

__all__ = [
    "REGISTRY",
    "Builtin",
    "CallContext",
    "Param",
    "describe",
    "invoke",
    "reference_markdown",
    "show_type",
    "signature_result",
]
