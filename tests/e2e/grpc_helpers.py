"""A real gRPC server on a free port, over the fake-adapter container, and a real channel to it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from entrypoints.grpc.server import GrpcService
from entrypoints.settings import Settings
from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.e2e.conftest import FakeStack, fake_container

LOOPBACK_HOST = "127.0.0.1"


@dataclass
class Served:
    stack: FakeStack
    service: GrpcService
    channel: grpc.aio.Channel
    stub: Any  # RecommenderStub over an aio channel

    @property
    def target(self) -> str:
        return f"{LOOPBACK_HOST}:{self.service.port}"


@asynccontextmanager
async def serve_fake(
    settings: Settings,
    *,
    start_runtime: bool = True,
    host: str = LOOPBACK_HOST,
    port: int = 0,
    health_interval: float = 2.0,
) -> AsyncIterator[Served]:
    """Start the runtime (unless told not to) and a GrpcService; connect an aio channel."""
    stack = fake_container(settings)
    runtime = stack.container.runtime()
    async with contextlib.AsyncExitStack() as cleanup:
        if start_runtime:
            await runtime.start()
            cleanup.push_async_callback(runtime.stop)
        service = GrpcService(
            stack.container.grpc_servicer(),
            stack.container.check_health(),
            port,
            host=host,
            health_interval=health_interval,
        )
        await service.start()
        cleanup.push_async_callback(service.stop, 0)
        channel = grpc.aio.insecure_channel(_target(host, service.port))
        cleanup.push_async_callback(channel.close)
        yield Served(stack, service, channel, pb_grpc.RecommenderStub(channel))


def _target(host: str, port: int) -> str:
    if host.startswith("unix:"):
        return host
    return f"{LOOPBACK_HOST if host in ('[::]', '0.0.0.0') else host}:{port}"


async def expect_status(call: Awaitable[Any], code: grpc.StatusCode, *words: str) -> grpc.aio.AioRpcError:
    """Await `call`, which must fail with `code` and details naming every word."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    error = info.value
    assert error.code() == code, f"{error.code()}: {error.details()}"
    assert error.details(), "every error carries a sentence a person can act on"
    for word in words:
        assert word in error.details()
    return error


async def train(stub: Any, **fields: Any) -> pb.TrainResponse:
    response = await stub.TrainModel(pb.TrainRequest(**{"epochs": 2, **fields}))
    assert response.status == "succeeded", response
    return response
