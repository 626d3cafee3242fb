"""Webhook delivery over HTTP(S) with httpx.

A webhook effect's payload is written by the engine inside the event's
transaction and names its secrets instead of holding them::

    {"method": "POST", "url": "https://...", "body": {...} | None,
     "headers": {...}, "auth_bearer": "ENRICH_KEY" | None,
     "sign_with": "HOOK_SECRET" | None, "timeout": 10.0 | None}

Secret values are looked up here at send time, so they never reach the
store; every error text and reply is scrubbed of them, whole or in pieces,
before it leaves this module (see :mod:`leadflow.effects.secrets`).

Signing. The body is serialised once (compact, sorted keys) and exactly
those bytes are both sent and signed:
``HMAC-SHA256(secret, f"{METHOD}\\n{url}\\n{timestamp}\\n{body}")`` where
``url`` is the payload's URL string as written and ``timestamp`` the
``X-Leadflow-Timestamp`` header. Receivers check it with :func:`verify`.

Address safety. A script author must not be able to make the server call
its own admin ports or a cloud metadata service, so URLs whose host resolves
to a loopback, private, link-local, reserved, multicast or unspecified
address are refused unless ``allow_private``, and so are IPv6 addresses
that embed such an IPv4 address (IPv4-mapped and -compatible, NAT64, 6to4,
Teredo: see :func:`internal_reason`). The check resolves the name
before httpx resolves it again, so a DNS server that answers differently the
second time (rebinding) is not stopped; deployments that need that guarantee
should also egress through a filtering proxy.

Redirects are not followed: a redirect could lead anywhere, including to a
private address, and it usually means the URL in the script is wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import httpx

from leadflow.effects.policy import Outcome, as_utc, classify, parse_retry_after
from leadflow.effects.secrets import Redactor, check_values

__all__ = [
    "Outcome",
    "WebhookSender",
    "check_address",
    "embedded_ipv4",
    "internal_reason",
    "redact",
    "sign",
    "verify",
]

CONNECT_TIMEOUT = 3.0
RESPONSE_TIMEOUT = 30.0
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_CHARS = 300
SIGNATURE_TOLERANCE = 300  # seconds of clock skew verify() accepts by default
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def sign(secret: str, method: str, url: str, timestamp: int, body: bytes) -> str:
    """The ``X-Leadflow-Signature`` header value: ``sha256=<hex digest>``."""
    message = f"{method.upper()}\n{url}\n{timestamp}\n".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    method: str,
    url: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    now: datetime | None = None,
    tolerance: float = SIGNATURE_TOLERANCE,
) -> bool:
    """Whether ``signature`` is ours for this request (constant-time compare).

    With ``now`` given, a timestamp more than ``tolerance`` seconds away from
    it is rejected too, which stops replays of old captured requests.
    """
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if now is not None and abs(as_utc(now).timestamp() - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, method, url, stamp, body), signature)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value, or piece of one, replaced by ``***``."""
    return Redactor(secrets).text(text)


def check_address(url: str, allow_private: bool = False) -> str | None:
    """Why ``url`` must not be called, or None when it may be.

    Raises OSError when the host name does not resolve (a transient failure).
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return f"invalid webhook URL {url!r}"
    if parsed.scheme not in ("http", "https"):
        return f"webhook URL scheme {parsed.scheme or '(none)'!r} is not allowed; use http or https"
    if not parsed.host:
        return f"webhook URL {url!r} has no host"
    if allow_private:
        return None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    for *_, sockaddr in socket.getaddrinfo(parsed.host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        why = internal_reason(address)
        if why is not None:
            return (
                f"webhook host {parsed.host!r} resolves to non-public address {why}; "
                "refused to protect internal services (allow it with Engine(allow_private_webhooks=True) or --allow-private-webhooks)"
            )
    return None


# IPv6 prefixes whose addresses carry an IPv4 address a gateway or tunnel will
# deliver to. A private IPv4 inside a public-looking IPv6 address is still the
# private host (2002:7f00:1:: is 6to4 for 127.0.0.1), so each is decoded.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215, local use only
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated, RFC 4291 2.5.5.1


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses embedded in ``address``, each with the name of its scheme."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        found.append(("IPv4-mapped", address.ipv4_mapped))
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        found.append(("IPv4-compatible", low32))
    if address in _NAT64 or address in _NAT64_LOCAL:
        found.append(("NAT64", low32))
    if address.sixtofour is not None:
        found.append(("6to4", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        found += [("Teredo server", server), ("Teredo client", client)]
    return found


def internal_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """``address`` described, when a webhook must not call it; None when it may.

    An IPv6 address that embeds an IPv4 one is refused when the IPv4 one is
    internal. A mapped or NAT64 address is otherwise judged by its IPv4 alone
    (it *is* that host); the other schemes must pass as IPv6 addresses too.
    The local-use NAT64 prefix is internal whatever it embeds.
    """
    if isinstance(address, ipaddress.IPv4Address):
        return str(address) if _is_internal(address) else None
    embedded = embedded_ipv4(address)
    for scheme, ipv4 in embedded:
        if _is_internal(ipv4):
            return f"{address} ({scheme} for {ipv4})"
    if address in _NAT64_LOCAL:
        return f"{address} (local-use NAT64)"
    translated = address.ipv4_mapped is not None or address in _NAT64
    if embedded and translated:
        return None
    return str(address) if _is_internal(address) else None


# Not globally reachable, per IANA's special-purpose registries. Python's
# is_global knows most of these, but which ones depends on its patch release
# (3.11.10 and 3.12.4 corrected the lists), so the ones it has missed are named here.
_NON_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/127",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        any(address in network for network in _NON_GLOBAL if network.version == address.version)
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


class WebhookSender:
    """Sends webhook effects; one instance may serve many deliveries."""

    def __init__(
        self,
        secrets: Mapping[str, str],
        allow_private: bool = False,
        client: httpx.Client | None = None,
    ):
        """SecretValueError (naming the secret) for a value that cannot go in a header."""
        self.secrets = check_values(secrets)
        self._redactor = Redactor(self.secrets.values())
        self.allow_private = allow_private
        self._client = client or httpx.Client(follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:  # never show the values
        return f"WebhookSender(secrets={sorted(self.secrets)}, allow_private={self.allow_private})"

    def redact(self, text: str) -> str:
        """``text`` without any configured secret value, or piece of one, in it."""
        return self._redactor.text(text)

    def send(self, payload: Mapping[str, Any], key: str, now: datetime) -> Outcome:
        """One attempt to deliver ``payload``; never raises."""
        try:
            return self._send(payload, key, now)
        except Exception as error:  # anything unforeseen is transient, and scrubbed
            return Outcome("retry", error=self._error_text(error))

    def _send(self, payload: Mapping[str, Any], key: str, now: datetime) -> Outcome:
        method = str(payload.get("method") or "POST").upper()
        url = payload.get("url")
        if method not in _METHODS:
            return Outcome("fail", error=f"unsupported webhook method {method!r}")
        if not isinstance(url, str):
            return Outcome("fail", error="webhook payload has no URL")
        try:
            refusal = check_address(url, self.allow_private)
        except OSError as error:
            return Outcome("retry", error=self._error_text(error, f"cannot resolve host of {url}"))
        if refusal:
            return Outcome("fail", error=self.redact(refusal))

        headers = httpx.Headers(payload.get("headers") or {})
        body = b"" if payload.get("body") is None else _encode(payload["body"])
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = key
        for role in ("auth_bearer", "sign_with"):
            name = payload.get(role)
            if name is not None and name not in self.secrets:
                return Outcome("fail", error=f"secret {name!r} ({role}) is not configured")
        if payload.get("auth_bearer") is not None:
            headers["Authorization"] = f"Bearer {self.secrets[payload['auth_bearer']]}"
        if payload.get("sign_with") is not None:
            timestamp = int(as_utc(now).timestamp())
            headers["X-Leadflow-Timestamp"] = str(timestamp)
            headers["X-Leadflow-Signature"] = sign(self.secrets[payload["sign_with"]], method, url, timestamp, body)

        read = float(payload.get("timeout") or RESPONSE_TIMEOUT)
        timeout = httpx.Timeout(read, connect=CONNECT_TIMEOUT)
        try:
            with self._client.stream(
                method,
                url,
                content=body or None,
                headers=headers,
                timeout=timeout,
                follow_redirects=False,
            ) as reply:
                raw, truncated = _read_limited(reply)
        except httpx.HTTPError as error:
            return Outcome("retry", error=self._error_text(error))

        response = self._scrub(_decode(reply, raw, truncated))
        status = classify(reply.status_code)
        if status == "ok":
            return Outcome("ok", http_status=reply.status_code, response=response)
        retry_after = None
        if reply.status_code in (429, 503):
            retry_after = parse_retry_after(reply.headers.get("Retry-After"), now)
        # scrubbed before it is cut, so the cut cannot leave the start of a secret
        snippet = self.redact(raw.decode("utf-8", "replace"))[:200].strip()
        detail = self.redact(f"HTTP {reply.status_code} {reply.reason_phrase}".strip())
        return Outcome(
            status,
            http_status=reply.status_code,
            error=self._clip(f"{detail}: {snippet}" if snippet else detail),
            retry_after=retry_after,
            response=response,
        )

    def _error_text(self, error: BaseException, context: str | None = None) -> str:
        name = type(error).__name__
        message = str(error) or ("timed out" if isinstance(error, httpx.TimeoutException) else "")
        text = f"{name}: {message}" if message else name
        return self._clip(self.redact(f"{context}: {text}" if context else text))

    def _scrub(self, value: Any) -> Any:
        """The response with secrets removed: a receiver may echo our headers."""
        return self._redactor.value(value)

    @staticmethod
    def _clip(text: str) -> str:
        return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _read_limited(reply: httpx.Response) -> tuple[bytes, bool]:
    """At most MAX_RESPONSE_BYTES of the body, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    for chunk in reply.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return b"".join(chunks)[:MAX_RESPONSE_BYTES], True
    return b"".join(chunks), False


def _decode(reply: httpx.Response, raw: bytes, truncated: bool) -> Any:
    if not raw:
        return None
    if not truncated and "json" in reply.headers.get("Content-Type", ""):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    try:
        return raw.decode(reply.charset_encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", "replace")
