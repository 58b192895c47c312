"""A second ceiling with no framework at all: a plain ASGI function with `bench.bare_litestar`'s answers.

The service answers plain queries of its hottest routes before Litestar's routing
(`entrypoints/http/fast_path.py`), so the bare Litestar endpoint (the issue's ceiling) no longer
bounds it; this app does what that fast path does (parse the query, encode a msgspec struct, two
ASGI messages) with nothing behind it.
Run it under the service's server: `granian --interface asgi --factory bench.bare_asgi:create_app`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from bench.bare_litestar import IDS, SCORES, Accepted, Listing, Similar

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
_encode = msgspec.json.Encoder().encode


def _param(query_string: bytes, name: bytes) -> int:
    for part in query_string.split(b"&"):
        key, _, value = part.partition(b"=")
        if key == name and value.isdigit():
            return int(value)
    return 0


def _answer(path: str, query_string: bytes) -> tuple[int, bytes]:
    if path == "/titles/recommendations":
        return 200, _encode(Listing(_param(query_string, b"user_id"), IDS, SCORES, "bare", "model", True))
    if path == "/titles/relevant":
        return 200, _encode(Similar(_param(query_string, b"title_id"), IDS, SCORES, "bare", True))
    if path == "/rec/hot/interact":
        return 202, _encode(Accepted(True))
    if path == "/health/ready":
        return 200, b'{"ready":true}'
    return 404, b'{"error":"not_found"}'


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    status, body = _answer(scope["path"], scope["query_string"])
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app() -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    return app
