"""Health. The recommendation routes are in the hot-route table (`hot_routes.py`)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec

from application.check_health import CheckHealth
from entrypoints.http.documented_errors import errors
from entrypoints.http.schemas import ErrorBody, HealthBody, LiveBody, ReadyBody


class HealthController(Controller):
    tags = ["health"]

    @get(
        "/health",
        summary="Component health; 'degraded' when a component is down or no model is active",
        responses=errors(),
    )
    async def health(self, check_health: NamedDependency[CheckHealth]) -> HealthBody:
        return HealthBody.of(await check_health.execute())

    @get(
        "/health/live",
        summary="200 while the process answers; checks no dependency (liveness)",
        responses=errors(),
    )
    async def live(self) -> LiveBody:
        return LiveBody()

    @get(
        "/health/ready",
        summary="200 once requests can be answered, 503 before",
        responses=errors(503, success={200: ResponseSpec(ReadyBody, description="ready")}),
    )
    async def ready(self, check_health: NamedDependency[CheckHealth]) -> Response[ReadyBody | ErrorBody]:
        if check_health.ready():
            return Response(ReadyBody(True))
        not_yet = ErrorBody("unavailable", "not ready: neither a model nor the popular list is loaded yet")
        return Response(not_yet, status_code=503)
