"""SSRF through IPv6: an address that embeds a private IPv4 address is refused, in
every embedding a gateway or tunnel would deliver through (table-driven, and a
Hypothesis property over all of them)."""

from __future__ import annotations

import ipaddress

import pytest
from effects_support import NOW
from hypothesis import given
from hypothesis import strategies as st

from leadflow.effects.outbox import Deliverer
from leadflow.effects.webhooks import WebhookSender, check_address, internal_reason

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address


def mapped(v4: V4, rest: int = 0) -> V6:
    return V6(0xFFFF << 32 | int(v4))


def compatible(v4: V4, rest: int = 0) -> V6:
    return V6(int(v4))


def nat64(v4: V4, rest: int = 0) -> V6:
    return V6(int(V6("64:ff9b::")) | int(v4))


def nat64_local(v4: V4, rest: int = 0) -> V6:
    return V6(int(V6("64:ff9b:1::")) | (rest & 0xFFFF_FFFF_FFFF) << 32 | int(v4))


def sixtofour(v4: V4, rest: int = 0) -> V6:
    return V6(0x2002 << 112 | int(v4) << 80 | (rest & (1 << 80) - 1))


def teredo_client(v4: V4, rest: int = 0) -> V6:
    server = int(V4("65.54.227.120"))
    return V6(0x2001_0000 << 96 | server << 64 | (rest & 0xFFFF_FFFF) << 32 | (int(v4) ^ 0xFFFF_FFFF))


def teredo_server(v4: V4, rest: int = 0) -> V6:
    return V6(0x2001_0000 << 96 | int(v4) << 64 | (rest & (1 << 64) - 1))


EMBEDDINGS = [mapped, compatible, nat64, nat64_local, sixtofour, teredo_client, teredo_server]
PRIVATE = {
    "loopback": "127.0.0.1",
    "metadata": "169.254.169.254",
    "rfc1918": "10.0.0.1",
    "rfc1918-192": "192.168.1.20",
    "shared": "100.64.0.1",
    "unspecified": "0.0.0.0",
}


@pytest.mark.parametrize("embed", EMBEDDINGS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("v4", PRIVATE.values(), ids=PRIVATE.keys())
def test_every_embedding_of_a_private_ipv4_is_refused(embed, v4):
    address = embed(V4(v4))
    url = f"http://[{address}]:8080/hook"
    reason = check_address(url)
    assert reason is not None and "allow_private_webhooks=True" in reason
    assert check_address(url, allow_private=True) is None


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://[2002:7f00:1::]/", "6to4 for 127.0.0.1"),
        ("http://[2002:a9fe:a9fe::]/", "6to4 for 169.254.169.254"),
        ("http://[2002:a00:1::]/", "6to4 for 10.0.0.1"),
        ("http://[64:ff9b::a9fe:a9fe]/", "NAT64 for 169.254.169.254"),
        ("http://[64:ff9b:1::808:808]/", "local-use NAT64"),
        ("http://[::ffff:7f00:1]/", "IPv4-mapped for 127.0.0.1"),
    ],
)
def test_the_reported_addresses_are_refused_before_connecting(store, url, said):
    effect = store.add("webhook", {"method": "POST", "url": url, "body": {"a": 1}})
    report = Deliverer(store, None, WebhookSender({})).deliver(NOW)
    assert (report.sent, report.retried, report.dead) == (0, 0, 1)
    assert effect.attempts == 1 and said in effect.last_error


@pytest.mark.parametrize("address", ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700:4700::1111"])
def test_public_targets_stay_allowed(address):
    assert internal_reason(V6(address)) is None


internal_v4 = st.sampled_from(
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    ]
).flatmap(lambda net: st.integers(int(ipaddress.ip_network(net)[0]), int(ipaddress.ip_network(net)[-1])))


@given(st.sampled_from(EMBEDDINGS), internal_v4, st.integers(0, (1 << 80) - 1))
def test_any_ipv6_address_embedding_a_private_ipv4_is_refused(embed, v4, rest):
    assert internal_reason(embed(V4(v4), rest)) is not None
