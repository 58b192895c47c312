"""Litestar guard applying the admin rule."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from entrypoints.admin_access import check_admin


def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    token: str | None = connection.app.state.admin_token
    client = connection.client
    check_admin(token, connection.headers.get("authorization"), client.host if client else None)
