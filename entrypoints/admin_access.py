"""The admin rule shared by REST and gRPC: a bearer token, or loopback when none is set."""

from __future__ import annotations

import hmac
import ipaddress

from domain.errors import ForbiddenError, UnauthenticatedError


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]")
    if host.startswith("::ffff:"):
        host = host.removeprefix("::ffff:")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


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
