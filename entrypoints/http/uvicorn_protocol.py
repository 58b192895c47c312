"""uvicorn's httptools protocol with the head limits of `head_limits` and the error body.

uvicorn offers no header limits under httptools (only h11's buffer size, at h11's cost per
request) and answers a request it cannot parse with plain text. This subclass counts the head as
the parser hands it over, stops the parser at the first header past a limit (nothing more is
buffered), and answers both refusals with `{"error", "detail"}`.
"""

from __future__ import annotations

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.http.head_limits import MAX_HEAD_BYTES, MAX_HEADER_LINE_BYTES, MAX_HEADERS
from entrypoints.http.schemas import ErrorBody

REASONS = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}


class HeadTooLargeError(Exception):
    """Raised inside a parser callback: httptools then stops and reports a parser error."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    _head_bytes = 0
    _refusal: str | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes, self._refusal = 0, None

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        line = len(name) + len(value) + 4
        if len(self.headers) >= MAX_HEADERS:
            self._refuse(f"a request may carry at most {MAX_HEADERS} headers")
        if line > MAX_HEADER_LINE_BYTES:
            self._refuse(f"a header line may hold at most {MAX_HEADER_LINE_BYTES} bytes")
        self._count(line)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(f"the request line and headers may hold at most {MAX_HEAD_BYTES} bytes in all")

    def _refuse(self, detail: str) -> None:
        self._refusal = detail
        raise HeadTooLargeError(detail)

    def send_400_response(self, msg: str) -> None:
        status, detail = (431, self._refusal) if self._refusal else (400, "the request is not valid HTTP/1.1")
        body = msgspec.json.encode(ErrorBody("invalid_argument", detail))
        head = [b"HTTP/1.1 %d %s\r\n" % (status, REASONS[status])]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body))
        self.transport.write(b"".join([*head, b"connection: close\r\n\r\n", body]))
        self.transport.close()
