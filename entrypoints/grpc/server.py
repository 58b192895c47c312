"""The gRPC server (nothing connects at import time) and its lifecycle in one process; it is handed
the servicer (itself handed the use cases it calls) and the health check, not the container."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from application.check_health import CheckHealth
from entrypoints.grpc.health import PUBLISH_INTERVAL_SECONDS, LiveHealthServicer
from entrypoints.grpc.servicer import RecommenderServicer
from entrypoints.observability.grpc_interceptor import MetricsInterceptor
from protos import recommendations_pb2, recommendations_pb2_grpc

if TYPE_CHECKING:
    from entrypoints.observability.exposition import Observability

SERVICE_NAME: str = recommendations_pb2.DESCRIPTOR.services_by_name["Recommender"].full_name
ALL_INTERFACES = "[::]"
SERVER_OPTIONS = (
    # Linux's SO_REUSEPORT would let a second server bind a busy port silently: fail loudly instead.
    ("grpc.so_reuseport", 0),
)


def bind(server: grpc.aio.Server, host: str, port: int) -> int:
    """Listen on `host:port` (or on the socket `unix:PATH` given as host); return the bound port."""
    return int(server.add_insecure_port(host if host.startswith("unix:") else f"{host}:{port}"))


def _assemble(
    servicer: RecommenderServicer,
    health_servicer: LiveHealthServicer,
    interceptors: Sequence[grpc.aio.ServerInterceptor],
) -> grpc.aio.Server:
    server = grpc.aio.server(options=SERVER_OPTIONS, interceptors=interceptors)
    recommendations_pb2_grpc.add_RecommenderServicer_to_server(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    return server


def grpc_interceptors(observability: Observability) -> list[grpc.aio.ServerInterceptor]:
    """Metrics and tracing of every call, when either is on."""
    if observability.metrics is None and observability.tracer is None:
        return []
    return [MetricsInterceptor(observability.metrics, observability.tracer)]


class GrpcService:
    """The server plus the task that keeps its health status current for `Watch` streams."""

    def __init__(
        self,
        servicer: RecommenderServicer,
        check_health: CheckHealth,
        port: int,
        *,
        host: str = ALL_INTERFACES,
        health_interval: float = PUBLISH_INTERVAL_SECONDS,
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    ) -> None:
        self.health = LiveHealthServicer(check_health, [SERVICE_NAME])
        self.server = _assemble(servicer, self.health, interceptors)
        self.port = bind(self.server, host, port)
        self._interval = health_interval
        self._publisher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.server.start()
        self._publisher = asyncio.create_task(self.health.publish(self._interval))

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, refuse new calls, let running ones finish within `grace` seconds."""
        await self.health.enter_graceful_shutdown()
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        await self.server.stop(grace)
