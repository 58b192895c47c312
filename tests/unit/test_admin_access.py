"""Without a token, admin routes serve loopback clients only: what counts as loopback."""

from __future__ import annotations

import pytest

from entrypoints.admin_access import is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),  # the whole 127/8 block
        ("::1", True),
        ("[::1]", True),  # bracketed, as some servers report IPv6 peers
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback on a dual-stack socket
        ("localhost", True),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped, but not loopback
        ("10.0.0.1", False),
        ("192.168.1.20", False),
        ("fe80::1", False),
        ("localhost.evil.example", False),
        ("", False),
        (None, False),  # no peer address at all (e.g. a unix socket)
    ],
)
def test_loopback_peers(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback
