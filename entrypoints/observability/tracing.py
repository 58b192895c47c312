"""OpenTelemetry tracing: off (no tracer at all) unless the standard OTEL_* variables name an exporter.

The provider is owned by the container, not installed globally, so several apps (and tests) in one
process keep their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER_NAME = "rec-service"
_PROPAGATOR = TraceContextTextMapPropagator()


def tracing_configured(env: Mapping[str, str] = os.environ) -> bool:
    """An OTLP endpoint is set, or OTEL_TRACES_EXPORTER names an exporter (other than `none`)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def build_tracer_provider(env: Mapping[str, str] = os.environ) -> TracerProvider | None:
    """The OTLP/HTTP exporter configured by OTEL_* (endpoint, headers, service name), or None: off."""
    if not tracing_configured(env):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "rec-service")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def tracer_of(provider: TracerProvider | None) -> Tracer | None:
    return provider.get_tracer(TRACER_NAME) if provider is not None else None


def context_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> Context:
    """The caller's W3C trace context from ASGI header pairs (`traceparent`, `tracestate`)."""
    carrier = {}
    for name, value in headers:
        if name in (b"traceparent", b"tracestate"):
            carrier[name.decode("latin-1")] = value.decode("latin-1")
    return _PROPAGATOR.extract(carrier)


def context_from_metadata(metadata: Iterable[tuple[str, Any]] | None) -> Context:
    """The caller's W3C trace context from gRPC invocation metadata."""
    carrier = {k: v for k, v in (metadata or ()) if k in ("traceparent", "tracestate") and isinstance(v, str)}
    return _PROPAGATOR.extract(carrier)


def request_span(tracer: Tracer, scope: Mapping[str, Any], name: str) -> AbstractContextManager[Span]:
    """A server span for one ASGI request, child of the caller's `traceparent` when it sent one."""
    context = context_from_headers(scope.get("headers", ()))
    attributes = {"http.request.method": scope.get("method", ""), "url.path": scope.get("path", "")}
    return tracer.start_as_current_span(name, context=context, kind=SpanKind.SERVER, attributes=attributes)


class TrainingSpans:
    """One span per training job, its epochs as events (jobs outlive any request's context)."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        self._open: dict[str, Span] = {}

    def start(self, job_id: str, trigger: str) -> None:
        attributes = {"rec.job_id": job_id, "rec.trigger": trigger}
        self._open[job_id] = self._tracer.start_span("training", context=Context(), attributes=attributes)

    def epoch(self, job_id: str, done: int, total: int) -> None:
        span = self._open.get(job_id)
        if span is not None:
            span.add_event("epoch", {"done": done, "total": total})

    def finish(self, job_id: str, status: str) -> None:
        span = self._open.pop(job_id, None)
        if span is None:
            return
        span.set_attribute("rec.status", status)
        span.set_status(Status(StatusCode.OK if status in ("succeeded", "cancelled") else StatusCode.ERROR))
        span.end()


def with_request_spans(tracer: Tracer, templates: Callable[[str], str]) -> Callable[[ASGIApp], ASGIApp]:
    """An outer ASGI wrapper: a server span per REST request, named `METHOD /route/{template}`,
    child of the caller's `traceparent`; the status recorded, a 5xx marked as an error."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def spanned(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            http: HTTPScope = scope
            route = templates(http["path"])
            with request_span(tracer, http, f"{http['method']} {route}") as span:
                span.set_attribute("http.route", route)

                async def send_seeing_status(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        status = message["status"]
                        span.set_attribute("http.response.status_code", status)
                        if status >= 500:
                            span.set_status(Status(StatusCode.ERROR))
                    await send(message)

                await app(scope, receive, send_seeing_status)

        return spanned

    return wrap
