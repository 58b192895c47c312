"""Give every request an id (bound into every log line it produces, echoed in a header).

A plain ASGI wrapper in the outer layer (`outer.CROSS_CUTTING`), outside the fast path and
Litestar's exception layer, rather than a Litestar middleware: the fast path would skip that, and a
route-level middleware makes Litestar add a second exception layer to every route. The exception
layer inside still logs a 500 with the id bound, and its error answers pass through `send_with_id`
like any other.
"""

from __future__ import annotations

import time

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints import request_ids

log = structlog.get_logger("http")


def with_request_ids(app: ASGIApp) -> ASGIApp:
    """`app` with an id for each HTTP request (other scopes pass straight through)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = request_ids.new_request_id()
        header = (b"x-request-id", request_id.encode())
        token = request_ids.enter(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            if status >= 400 or scope["path"].startswith("/admin"):
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )
            request_ids.leave(token)

    return middleware
