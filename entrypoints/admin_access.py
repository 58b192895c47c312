"""The admin rule shared by REST and gRPC: a bearer token, or loopback when none is set."""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import unquote

from domain.errors import ForbiddenError, UnauthenticatedError


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8 and ::1 in any spelling: bracketed, URL-encoded, IPv4-mapped (`::ffff:127.0.0.1`)."""
    if not host:
        return False
    text = unquote(host).strip().strip("[]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text.lower() == "localhost"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_admin(token: str | None, authorization: str | None, peer_host: str | None) -> None:
    """Raise UnauthenticatedError / ForbiddenError unless the caller may use admin calls."""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise UnauthenticatedError(
                "admin calls need the header 'Authorization: Bearer <REC_ADMIN_TOKEN>'"
            )
        return
    if not is_loopback(peer_host):
        raise ForbiddenError("admin calls are served to loopback clients only while REC_ADMIN_TOKEN is unset")
