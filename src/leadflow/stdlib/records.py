"""Record builtins.

A record's fields are known to the checker, so most code reads them by name
(`info.company`). `keys` is for records whose fields a script walks over, such
as a webhook response typed as a record and logged field by field.
"""

from __future__ import annotations

from typing import Any

from leadflow.check.types import TEXT, ListType
from leadflow.stdlib.registry import ANY_RECORD, builtin, param


@builtin("keys", [param("r", ANY_RECORD)], ListType(TEXT))
def keys(r: dict[str, Any]) -> list[str]:
    """The field names of a record, in the order they were written."""
    return list(r)
