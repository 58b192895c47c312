"""The REST servers we ship as real processes on free ports: `make serve-http` (Granian) and `serve`
(uvicorn and gRPC in one process), over a demo source with no model (popular lists)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0
SERVERS = ("serve-http", "serve")
RESET = 0
"""The status `raw_exchange` reports when the server closed the connection without an answer that
reached the client (a reset after a refusal can discard it)."""


def serve_http_command() -> str:
    """`make serve-http`'s own command line (read from the Makefile), so that the test signals Granian
    itself rather than make."""
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-s", "-n", "serve-http"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\\\n", " ")
    granian = [line for line in recipe.splitlines() if "granian" in line and not line.startswith("#")]
    assert granian, recipe
    return f"exec {granian[-1].strip()}"


@dataclass
class Running:
    server: str
    process: asyncio.subprocess.Process
    http_port: int
    grpc_port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@asynccontextmanager
async def served(
    server: str, data_dir: Path, extra: Mapping[str, str] | None = None
) -> AsyncIterator[Running]:
    """Start `server` (one of SERVERS), configured only by REC_* variables (`extra` added last);
    wait until it answers."""
    http_port, grpc_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("REC_")}
    env.update(
        REC_DATA_DIR=str(data_dir),
        REC_TRAIN_CRON="off",
        REC_HTTP_HOST="127.0.0.1",
        REC_HTTP_PORT=str(http_port),
        REC_GRPC_PORT=str(grpc_port),
        REC_LOG_FORMAT="json",
    )
    env.update(extra or {})
    log = data_dir / f"{server}-{http_port}.log"
    with log.open("wb") as sink:  # a file, not a pipe: a full pipe would block the server
        if server == "serve":
            argv = [sys.executable, "-m", "entrypoints.cli", "serve"]
        else:
            argv = ["sh", "-c", serve_http_command()]
        # A session of its own: Granian's worker is a child process, and must go with it.
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=REPO, env=env, stdout=sink, stderr=sink, start_new_session=True
        )
    running = Running(server, process, http_port, grpc_port, log)
    try:
        await _wait_until_ready(running)
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


async def _wait_until_ready(running: Running) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=running.url, timeout=5) as client:
        while time.monotonic() < deadline:
            assert running.process.returncode is None, running.log_text()
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"the server did not become ready:\n{running.log_text()}")


async def raw_exchange(
    port: int, request: bytes, wait_seconds: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as bytes over a fresh connection; return the status, headers and body.
    The server may answer and close before reading it all (a refusal): that is still an answer, or
    RESET when the close discarded it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(writer.drain(), wait_seconds)
        data = await asyncio.wait_for(_read_answer(reader), wait_seconds)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head:
        return RESET, {}, b""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body[: int(headers.get("content-length", len(body)))]


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = await reader.read(65536)
        except ConnectionError:
            break
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(v)
            for k, _, v in (h.partition(b":") for h in head.split(b"\r\n"))
            if k.lower() == b"content-length"
        ),
        0,
    )
    while len(body) < length:
        try:
            chunk = await reader.read(65536)
        except ConnectionError:
            break
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
