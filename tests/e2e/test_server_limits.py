# ruff: noqa: RUF001  (digits of other scripts are the point)
"""The head and body limits on every server we ship, over raw sockets to real processes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from entrypoints.http.documented_errors import MAX_BODY_BYTES
from entrypoints.http.head_limits import (
    MAX_HEAD_BYTES,
    MAX_HEADER_LINE_BYTES,
    MAX_HEADERS,
    SERVER_HEAD_BUFFER,
)
from tests.e2e.served_process import RESET, SERVERS, Running, raw_exchange, served
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
BASE = b"GET /health HTTP/1.1\r\nHost: service\r\nConnection: close\r\n"


def headers(count: int, size: int) -> bytes:
    return b"".join(b"X-Filler-%d: %s\r\n" % (n, b"f" * size) for n in range(count))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("limits")
    generate_demo_source(directory / "demo_source.db")
    return directory


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=SERVERS)
async def server(request: pytest.FixtureRequest, data_dir: Path) -> AsyncIterator[Running]:
    async with served(request.param, data_dir) as running:
        yield running


def assert_error_body(body: bytes) -> None:
    answer = json.loads(body)
    assert answer["error"] == "invalid_argument" and answer["detail"], answer


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (headers(1, MAX_HEADER_LINE_BYTES + 1), "header line"),
        (headers(1, 64 * 1024), "header line"),
        (headers(10, MAX_HEAD_BYTES // 10), "in all"),  # each line under its limit, the head over
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_an_oversized_head_is_431_with_the_error_body(
    server: Running, extra: bytes, words: str
) -> None:
    status, _, body = await raw_exchange(server.http_port, BASE + extra + b"\r\n")
    assert status == 431
    assert_error_body(body)
    assert words in json.loads(body)["detail"]


@pytest.mark.parametrize(
    "extra",
    [
        headers(MAX_HEADERS + 1, 1),
        headers(10_000, 1),
        headers(1024, 8000),  # 8 MiB of headers
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_too_many_or_far_too_large_headers_are_431(server: Running, extra: bytes) -> None:
    # Past the servers' own cut-off Granian (hyper) answers a bare 431; uvicorn's is ours, with the body.
    # A server that stops reading a head this large closes the connection with bytes unread, and
    # the reset that follows can discard its 431.
    status, answer_headers, body = await raw_exchange(server.http_port, BASE + extra + b"\r\n")
    assert status == 431 or (status == RESET and len(extra) > SERVER_HEAD_BUFFER)
    if body or answer_headers.get("content-type") == "application/json":
        assert_error_body(body)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_head_within_the_limits_is_served(server: Running) -> None:
    extra = headers(MAX_HEADERS - 10, 100) + headers(1, MAX_HEADER_LINE_BYTES - 100)
    status, _, body = await raw_exchange(server.http_port, BASE + extra + b"\r\n")
    assert status == 200, body
    assert json.loads(body)["status"] in {"ok", "degraded"}


HOT_POST = b"POST /rec/hot/interact HTTP/1.1\r\nHost: service\r\nConnection: close\r\n"
HOT_POST += b"Content-Type: application/json\r\n"


def padded_event(size: int) -> bytes:
    """A valid hot event padded with JSON whitespace to exactly `size` bytes."""
    event = json.dumps({"user_id": 7, "title_id": 3, "int_type": "view"}).encode()
    return event + b" " * (size - len(event))


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 11_000_000])
@pytest.mark.asyncio(loop_scope="module")
async def test_a_body_past_one_mebibyte_is_413_with_the_error_body(server: Running, size: int) -> None:
    head = HOT_POST + b"Content-Length: %d\r\n\r\n" % size
    # The head announces the size; the server must refuse on it, without waiting for the body.
    status, _, body = await raw_exchange(server.http_port, head + b" " * 65536)
    assert status == 413
    assert_error_body(body)
    assert str(MAX_BODY_BYTES) in json.loads(body)["detail"]


@pytest.mark.asyncio(loop_scope="module")
async def test_a_chunked_body_past_one_mebibyte_is_413(server: Running) -> None:
    chunk = b" " * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY_BYTES // len(chunk) + 2))
    request = HOT_POST + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    status, _, body = await raw_exchange(server.http_port, request)
    assert status == 413
    assert_error_body(body)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_body_of_exactly_one_mebibyte_is_read(server: Running) -> None:
    body = padded_event(MAX_BODY_BYTES)
    request = HOT_POST + b"Content-Length: %d\r\n\r\n" % len(body) + body
    status, _, answer = await raw_exchange(server.http_port, request)
    assert status == 202, answer
    assert json.loads(answer) == {"accepted": True}


@pytest.mark.parametrize(
    "target",
    [
        "/titles/recommendations?user_id=١٢".encode(),  # raw UTF-8 bytes, not percent-encoded
        "/titles/recommendations?user_id=1&exclude=²".encode(),
        "/titles/relevant?title_id=１２".encode(),
        "/admin/blacklist/é".encode(),
        b"/titles/recommendations?user_id=" + b"9" * 5000,
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_raw_non_ascii_and_huge_targets_are_4xx_with_the_error_body(
    server: Running, target: bytes
) -> None:
    request = b"GET " + target + b" HTTP/1.1\r\nHost: service\r\nConnection: close\r\n\r\n"
    status, _, body = await raw_exchange(server.http_port, request)
    assert 400 <= status < 500
    assert_error_body(body)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_target_that_is_not_utf8_is_400(server: Running) -> None:
    request = b"GET /titles/recommendations?user_id=\xff\xfe HTTP/1.1\r\nHost: service\r\n\r\n"
    status, _, body = await raw_exchange(server.http_port, request)
    assert status == 400
    if server.server == "serve":  # Granian's parser refuses it before the app, with an empty body
        assert_error_body(body)
