"""SIGTERM while 32 REST connections (and, for `serve`, a gRPC client) are busy: every request the
server accepted is answered, and the process exits 0 within its drain time."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import pytest

from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.e2e.served_process import SERVERS, Running, served
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
CONNECTIONS = 32
WARM_CALLS = 300
MAX_CALLS_PER_CLIENT = 400  # bounds the load to a few seconds
EXIT_SECONDS = 30.0  # serve drains for 10 s at most; Granian waits for its running requests
# Outcomes of a call the server never accepted: the connection was refused (listener closed), or a
# kept-alive connection was closed by the server before it read the next request on it (httpx says
# RemoteProtocolError, or ReadError when the close lands while it waits for the answer). That the
# app never took such a request is checked apart: its request ids run with no gap.
NOT_ACCEPTED = {"ConnectError", "RemoteProtocolError", "ReadError", "UNAVAILABLE", "CANCELLED"}


@dataclass
class Calls:
    signalled_at: float | None = None
    outcomes: list[tuple[float, float, str]] = field(default_factory=list)
    request_ids: list[int] = field(default_factory=list)  # the counter part of x-request-id
    warm: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, started: float, result: str) -> None:
        self.outcomes.append((started, time.monotonic(), result))
        if len(self.outcomes) >= WARM_CALLS:
            self.warm.set()

    def failures(self) -> list[str]:
        """Calls that did not get their answer: before the signal none may fail; a call in flight at
        the signal is answered or was never read by the server; one sent after the signal (on a
        kept-alive connection) may be refused in any way but an error answer."""
        assert self.signalled_at is not None
        bad = []
        for started, finished, result in self.outcomes:
            if result == "OK" or (started >= self.signalled_at and not result.startswith(("HTTP", "SHORT"))):
                continue
            if finished < self.signalled_at or result not in NOT_ACCEPTED:
                bad.append(f"{result} (started {started - self.signalled_at:+.3f}s from the signal)")
        return bad


async def rest_connection(url: str, seed: int, calls: Calls) -> None:
    limits = httpx.Limits(max_connections=1)  # one kept-alive connection per client
    async with httpx.AsyncClient(base_url=url, timeout=20, limits=limits) as api:
        for n in range(MAX_CALLS_PER_CLIENT):
            started = time.monotonic()
            try:
                response = await api.get(
                    "/titles/recommendations", params={"user_id": 1 + (seed * 31 + n) % 500}
                )
                result = "OK" if response.status_code == 200 else f"HTTP {response.status_code}"
                calls.request_ids.append(int(response.headers["x-request-id"][-8:], 16))
            except httpx.TransportError as exc:
                result = type(exc).__name__
            calls.record(started, result)
            if result == "ConnectError":
                return  # the listener is gone: nothing more will be accepted


async def grpc_client(stub: pb_grpc.RecommenderStub, calls: Calls) -> None:
    for n in range(MAX_CALLS_PER_CLIENT * 4):
        started = time.monotonic()
        try:
            response = await stub.GetUserRecommendations(pb.UserRequest(user_id=1 + n % 500), timeout=20)
            result = "OK" if len(response.item_ids) == 10 else "SHORT"
        except grpc.aio.AioRpcError as exc:
            result = exc.code().name
        calls.record(started, result)
        if result == "UNAVAILABLE":
            return


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("drain")
    generate_demo_source(directory / "demo_source.db")
    return directory


@pytest.mark.parametrize("server", SERVERS)
async def test_sigterm_under_load_answers_every_accepted_request(server: str, data_dir: Path) -> None:
    rest, rpc = Calls(), Calls()
    async with served(server, data_dir) as running:
        clients = [asyncio.create_task(rest_connection(running.url, n, rest)) for n in range(CONNECTIONS)]
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.grpc_port}")
        if server == "serve":
            clients.append(asyncio.create_task(grpc_client(pb_grpc.RecommenderStub(channel), rpc)))
        await asyncio.wait_for(rest.warm.wait(), 60)
        rest.signalled_at = rpc.signalled_at = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(running.process.wait(), EXIT_SECONDS)
        await asyncio.gather(*clients)
        await channel.close()
    assert_drained(running, code, rest, rpc if server == "serve" else None)


def assert_drained(running: Running, code: int, rest: Calls, rpc: Calls | None) -> None:
    log = running.log_text()
    assert code == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    # The app numbers every request it takes; the load's answers carry one run of numbers with no
    # gap (a gap would be a request the app took whose answer never arrived).
    numbers = sorted(rest.request_ids)
    assert numbers == list(range(numbers[0], numbers[-1] + 1))
    for calls in (rest, rpc) if rpc else (rest,):
        assert calls.failures() == []
        assert sum(result == "OK" for *_, result in calls.outcomes) >= (WARM_CALLS if calls is rest else 1)
