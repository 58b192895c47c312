"""One request straight into an ASGI app (no client library in between): what the raw-query tests need."""

from __future__ import annotations

from typing import Any

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


async def call(app: Any, path: str, query: bytes, method: str = "GET", root_path: str = "") -> Answer:
    """Status, headers (lower-cased, sorted, without the request id) and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": root_path,
        "headers": [(b"host", b"service")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    status, headers, body = 0, [], []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(k.lower(), v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, sorted(headers), b"".join(body)
