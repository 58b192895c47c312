"""What the container owns for observability, and the two ways `/metrics` is served: a Litestar
route on the REST port and, with REC_METRICS_PORT, a tiny server of its own (gRPC-only processes)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from application.check_health import CheckHealth
from application.ports import NO_EVENTS, ServiceEvents
from application.serving_state import ServingState
from entrypoints.http.documented_errors import errors
from entrypoints.observability.metrics import MetricsEvents, ServiceMetrics
from entrypoints.observability.state_collector import HealthSnapshot, StateCollector
from entrypoints.observability.tracing import TrainingSpans, build_tracer_provider, tracer_of


class Observability:
    """Metrics (None under REC_METRICS=off), the events port the inner layers report to, tracing."""

    def __init__(self, metrics_on: bool, tracer_provider: TracerProvider | None = None) -> None:
        self.tracer_provider = tracer_provider
        self.tracer: Tracer | None = tracer_of(tracer_provider)
        self.metrics = ServiceMetrics() if metrics_on else None
        spans = TrainingSpans(self.tracer) if self.tracer is not None else None
        self.events: ServiceEvents = MetricsEvents(self.metrics, spans) if self.metrics else NO_EVENTS
        self._health: HealthSnapshot | None = None

    @classmethod
    def from_env(cls, metrics_on: bool) -> Observability:
        return cls(metrics_on, build_tracer_provider())

    def watch(self, state: ServingState, check: CheckHealth, leader: Callable[[], bool]) -> None:
        """Add the scrape-time gauges (model, catalogue, dependencies, whether this process holds
        the trainer lease now)."""
        if self.metrics is None or self._health is not None:
            return
        self._health = HealthSnapshot(check)
        self.metrics.registry.register(StateCollector(state, self._health, leader))

    async def render(self) -> bytes:
        assert self.metrics is not None
        if self._health is not None:
            await self._health.refresh()
        return generate_latest(self.metrics.registry)

    def shutdown(self) -> None:
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()  # flushes the spans still batched


def metrics_route(observability: Observability) -> HTTPRouteHandler:
    @get(
        "/metrics",
        summary="Prometheus metrics (text exposition)",
        tags=["health"],
        media_type=CONTENT_TYPE_LATEST,
        responses=errors(),
    )
    async def metrics() -> Response[bytes]:
        return Response(await observability.render(), media_type=CONTENT_TYPE_LATEST)

    return metrics


class MetricsPortServer:
    """`GET /metrics` on a port of its own, on the service's event loop (no thread, no framework)."""

    def __init__(self, observability: Observability, host: str, port: int) -> None:
        self._obs = observability
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._answer, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            if head.startswith(b"GET ") and path.split(b"?", 1)[0] == b"/metrics":
                status, body, kind = b"200 OK", await self._obs.render(), CONTENT_TYPE_LATEST.encode()
            else:
                status, body, kind = b"404 Not Found", b"only /metrics is served here\n", b"text/plain"
            writer.write(
                b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                % (status, kind, len(body), body)
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
