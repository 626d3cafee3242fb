"""Header safety for outgoing email: what a script writes is what is delivered.

A header value comes from script data (a subject built from a property, an
address from an import), so it must not be able to add a header of its own.
Raw line breaks are the obvious way; there are two less obvious ones that
Python's email package lets through in the versions Leadflow runs on:

- an RFC 2047 encoded word that *decodes* to a line break
  (``=?utf-8?q?Hi=0D=0ABcc:_x@evil.example?=``): the header object decodes
  it, and the serialiser of Python before 3.11.10/3.12.5 writes the decoded
  CR/LF out raw, adding a ``Bcc`` (CVE-2024-6923);
- a NUL or other control character, which the package writes verbatim and
  which mail software reads in ways nobody can predict.

So Leadflow checks both the value as given and the value as the email
package decoded it, and refuses any control character in either. Then,
because a check of inputs can only be as good as its author's imagination,
:func:`check_serialised` parses the bytes that will be sent and refuses the
message unless they hold exactly the headers that were set, in order.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

__all__ = ["check_serialised", "set_header"]

# C0 controls except tab (folding white space), DEL, C1 controls, and the
# Unicode line and paragraph separators that str.splitlines() breaks on.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _control_name(text: str) -> str | None:
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def set_header(message: EmailMessage, name: str, value: str) -> None:
    """Add header ``name``; ValueError if ``value``, raw or decoded, holds a control character."""
    control = _control_name(value)
    if control is not None:
        raise ValueError(f"email header {name} contains a control character ({control}); refused")
    try:
        message[name] = value
    except ValueError:  # the package's own parser found a decoded line break first
        control = "CR or LF"
    else:
        control = _control_name(str(message[name]))
    if control is not None:
        del message[name]  # nothing to delete when the assignment itself failed
        raise ValueError(
            f"email header {name} contains an encoded word that decodes to a control character ({control}); refused"
        )


def check_serialised(message: EmailMessage, data: bytes) -> None:
    """ValueError unless ``data`` (``message`` serialised) parses back to the same header names."""
    written = [name.lower() for name in message]  # a message iterates over its header names
    parsed = BytesHeaderParser(policy=default_policy).parsebytes(data)
    found = [name.lower() for name in parsed]
    if found != written:
        extra = sorted(set(found) - set(written)) or found
        raise ValueError(f"email headers changed when serialised ({', '.join(extra)}); refused")
