"""Health. The recommendation routes are in the hot-route table (`hot_routes.py`)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from application.check_health import CheckHealth
from entrypoints.http.schemas import HealthBody, LiveBody, ReadyBody


class HealthController(Controller):
    tags = ["health"]

    @get("/health", summary="Component health; 'degraded' when a component is down or no model is active")
    async def health(self, check_health: NamedDependency[CheckHealth]) -> HealthBody:
        return HealthBody.of(await check_health.execute())

    @get("/health/live", summary="200 while the process answers; checks no dependency (liveness)")
    async def live(self) -> LiveBody:
        return LiveBody()

    @get("/health/ready", summary="200 once requests can be answered, 503 before")
    async def ready(self, check_health: NamedDependency[CheckHealth]) -> Response[ReadyBody]:
        ok = check_health.ready()
        return Response(ReadyBody(ok), status_code=200 if ok else 503)
