"""The standard gRPC health service, fed by the same CheckHealth as REST's /health/ready."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from grpc_health.v1 import health
from grpc_health.v1 import health_pb2 as health_pb

from application.check_health import CheckHealth

SERVING = health_pb.HealthCheckResponse.SERVING
NOT_SERVING = health_pb.HealthCheckResponse.NOT_SERVING
PUBLISH_INTERVAL_SECONDS = 2.0


class LiveHealthServicer(health.aio.HealthServicer):  # type: ignore[misc]
    """SERVING while requests can be answered (REST /health `ok`, or `degraded` but ready).

    `Check` reads the state on every call; `publish` pushes changes to `Watch` streams periodically.
    """

    def __init__(self, check: CheckHealth, services: Sequence[str]) -> None:
        super().__init__()
        self._check = check
        self._services = (health.OVERALL_HEALTH, *services)

    async def refresh(self) -> None:
        status = SERVING if self._check.ready() else NOT_SERVING
        for service in self._services:
            await self.set(service, status)  # ignored once graceful shutdown has begun

    async def Check(self, request: health_pb.HealthCheckRequest, context: Any) -> Any:
        await self.refresh()
        return await super().Check(request, context)

    async def publish(self, interval: float = PUBLISH_INTERVAL_SECONDS) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(interval)
