"""`serve` and `serve-grpc` as real processes on the real stack: SIGTERM during load drains and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.conftest import free_port
from tests.e2e.grpc_helpers import LOOPBACK_HOST
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
START_TIMEOUT = 90.0
EXIT_TIMEOUT = 40.0
CALLS_BEFORE_SIGNAL = 300
MAX_CALLS_PER_CLIENT = 5000
SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("serve")
    generate_demo_source(directory / "demo_source.db")  # demo users 1..3000, no model: popular lists
    return directory


@dataclass
class Running:
    process: asyncio.subprocess.Process
    grpc_port: int
    http_port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass(frozen=True)
class Outcome:
    started: float
    finished: float
    result: str  # "OK", a gRPC code name, an HTTP status or a transport error


@asynccontextmanager
async def service_process(command: str, data_dir: Path) -> AsyncIterator[Running]:
    """`python -m entrypoints.cli COMMAND`, configured only by REC_* variables, on free ports."""
    grpc_port, http_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("REC_")}
    env.update(
        REC_DATA_DIR=str(data_dir),
        REC_TRAIN_CRON="off",
        REC_HTTP_HOST=LOOPBACK_HOST,
        REC_HTTP_PORT=str(http_port),
        REC_GRPC_PORT=str(grpc_port),
        REC_LOG_FORMAT="json",
    )
    log = data_dir / f"{command}-{grpc_port}.log"
    with log.open("wb") as sink:  # a file, not a pipe: a full pipe would block the server
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "entrypoints.cli", command, cwd=data_dir, env=env, stdout=sink, stderr=sink
        )
    running = Running(process, grpc_port, http_port, log)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def wait_until_serving(running: Running, channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert running.process.returncode is None, running.log_text()
        try:
            answer = await health.Check(health_pb2.HealthCheckRequest(service="recommendations.Recommender"))
            if answer.status == SERVING:
                return
        except grpc.aio.AioRpcError:
            pass  # not listening yet
        await asyncio.sleep(0.1)
    pytest.fail(f"the service did not become ready:\n{running.log_text()}")


@dataclass
class Load:
    """The outcome of every call; `warm` is set once enough gRPC calls have been answered."""

    grpc_calls: list[Outcome] = field(default_factory=list)
    rest_calls: list[Outcome] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    warm: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, calls: list[Outcome], started: float, result: str) -> None:
        calls.append(Outcome(started, time.monotonic(), result))
        if calls is self.grpc_calls and len(calls) >= CALLS_BEFORE_SIGNAL:
            self.warm.set()

    async def pause_after(self, result: str) -> None:
        if result != "OK":
            await asyncio.sleep(0.01)  # the server is going away: don't spin


async def grpc_client(stub: pb_grpc.RecommenderStub, seed: int, load: Load) -> None:
    for n in range(MAX_CALLS_PER_CLIENT):
        if load.done.is_set():
            return
        started, request = time.monotonic(), pb.UserRequest(user_id=1 + (seed * 97 + n) % 500)
        try:
            response = await stub.GetUserRecommendations(request, timeout=10)
            result = "OK" if len(response.item_ids) == 10 else f"SHORT:{len(response.item_ids)}"
        except grpc.aio.AioRpcError as exc:
            result = exc.code().name
        load.record(load.grpc_calls, started, result)
        await load.pause_after(result)


async def rest_client(url: str, seed: int, load: Load) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as api:
        for n in range(MAX_CALLS_PER_CLIENT):
            if load.done.is_set():
                return
            started = time.monotonic()
            try:
                response = await api.get("/titles/recommendations", params={"user_id": 1 + (seed + n) % 500})
                result = "OK" if response.status_code == 200 else f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                result = type(exc).__name__
            load.record(load.rest_calls, started, result)
            await load.pause_after(result)


async def test_sigterm_during_load_drains_both_servers_and_exits_0(data_dir: Path) -> None:
    load = Load()
    async with service_process("serve", data_dir) as running:
        channel = grpc.aio.insecure_channel(f"{LOOPBACK_HOST}:{running.grpc_port}")
        await wait_until_serving(running, channel)
        url = f"http://{LOOPBACK_HOST}:{running.http_port}"
        async with httpx.AsyncClient(base_url=url) as api:
            assert (await api.get("/health/ready")).status_code == 200
        stub = pb_grpc.RecommenderStub(channel)
        clients = [asyncio.create_task(grpc_client(stub, seed, load)) for seed in range(6)]
        clients += [asyncio.create_task(rest_client(url, seed, load)) for seed in range(2)]
        await asyncio.wait_for(load.warm.wait(), 60)
        signalled_at = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(running.process.wait(), EXIT_TIMEOUT)
        load.done.set()
        await asyncio.gather(*clients)
        await channel.close()
    log = running.log_text()
    assert code == 0, log
    assert "shutdown_complete" in log and "Traceback" not in log, log
    # A call that reached the server as it began to shut down, before a handler took it, is answered
    # CANCELLED by gRPC core rather than UNAVAILABLE (grpc/grpc#41785); like UNAVAILABLE, it never ran.
    for calls, refused in (
        (load.grpc_calls, {"UNAVAILABLE", "CANCELLED"}),
        (load.rest_calls, {"ConnectError", "RemoteProtocolError", "ReadError", "WriteError"}),
    ):
        before = [o.result for o in calls if o.finished < signalled_at]
        assert before and set(before) == {"OK"}, sorted(set(before))
        during = {o.result for o in calls if o.started < signalled_at <= o.finished}
        assert during <= {"OK"} | refused, during  # in flight at the signal: answered, or never accepted
    assert sum(o.result == "OK" for o in load.grpc_calls) >= CALLS_BEFORE_SIGNAL


async def test_serve_grpc_alone_answers_and_stops_on_sigterm(data_dir: Path) -> None:
    async with service_process("serve-grpc", data_dir) as running:
        channel = grpc.aio.insecure_channel(f"{LOOPBACK_HOST}:{running.grpc_port}")
        await wait_until_serving(running, channel)
        stub = pb_grpc.RecommenderStub(channel)
        response = await stub.GetUserRecommendations(pb.UserRequest(user_id=123))
        assert len(response.item_ids) == 10 and response.source == "popular"
        with pytest.raises(httpx.ConnectError):  # gRPC alone: no REST server in this process
            async with httpx.AsyncClient() as api:
                await api.get(f"http://{LOOPBACK_HOST}:{running.http_port}/health")
        running.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(running.process.wait(), EXIT_TIMEOUT)
        await channel.close()
    assert code == 0, running.log_text()
    assert "shutdown_complete" in running.log_text()
