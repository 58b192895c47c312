"""Limits on a request's head (request line and headers), the same under every server we ship.

uvicorn with httptools reads any number and size of headers, and Granian (hyper) stops only at
its buffer and at 100 headers; both answer their own refusals without the error body. This ASGI
wrapper sits outside the app: a head past the limits gets 431 with the error body before any
routing. The servers' own cut-off is set to `SERVER_HEAD_BUFFER`, above these limits, so that only
a head far past them (never a client that is merely a little over) meets a server's bare refusal,
and no server buffers megabytes of headers first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from entrypoints.http.schemas import ErrorBody

MAX_HEADERS = 100
MAX_HEADER_LINE_BYTES = 8 * 1024
MAX_HEAD_BYTES = 64 * 1024
SERVER_HEAD_BUFFER = 2 * MAX_HEAD_BYTES
"""Granian's --http1-buffer-size (Makefile)."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


def head_problem(scope: Scope) -> str | None:
    """Why the request's head is refused, or None when it is within the limits."""
    headers = scope["headers"]
    if len(headers) > MAX_HEADERS:
        return f"a request may carry at most {MAX_HEADERS} headers"
    total = len(scope.get("raw_path") or b"") + len(scope["query_string"])
    for name, value in headers:
        line = len(name) + len(value) + 4  # "name: value\r\n"
        if line > MAX_HEADER_LINE_BYTES:
            return f"a header line may hold at most {MAX_HEADER_LINE_BYTES} bytes"
        total += line
    if total > MAX_HEAD_BYTES:
        return f"the request line and headers may hold at most {MAX_HEAD_BYTES} bytes in all"
    return None


class HeadLimits:
    """Refuse an oversized head with 431 and the error body; pass everything else to `app`."""

    def __init__(self, app: Any) -> None:  # any ASGI app (Litestar's own types are narrower)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = head_problem(scope) if scope["type"] == "http" else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        body = msgspec.json.encode(ErrorBody("invalid_argument", problem))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 431, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_limited_app_from_env() -> HeadLimits:
    """`create_app_from_env` behind the head limits: the factory `make serve-http` gives Granian."""
    from entrypoints.http.app import create_app_from_env

    return HeadLimits(create_app_from_env())
