"""Tracing is off unless OTEL_* names an exporter; a REST span can join the caller's trace."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from application.ports import NO_EVENTS
from entrypoints.observability.exposition import Observability
from entrypoints.observability.tracing import build_tracer_provider, request_span, tracing_configured

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
    ],
)
def test_only_a_configured_exporter_turns_tracing_on(env: dict[str, str], on: bool) -> None:
    assert tracing_configured(env) is on
    provider = build_tracer_provider(env)
    assert (provider is not None) is on
    if provider is not None:
        provider.shutdown()


def test_off_means_no_tracer_and_metrics_off_no_recorder() -> None:
    off = Observability(metrics_on=False, tracer_provider=None)
    assert off.tracer is None and off.metrics is None and off.events is NO_EVENTS


def test_a_request_span_continues_the_traceparent_of_an_asgi_scope() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    tracer = provider.get_tracer("test")
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/titles/recommendations",
        "headers": [(b"traceparent", f"00-{TRACE_ID}-b7ad6b7169203331-01".encode()), (b"host", b"x")],
    }
    with request_span(tracer, scope, "GET /titles/recommendations"):
        pass
    with request_span(tracer, {"type": "http", "headers": []}, "GET other"):
        pass
    joined, fresh = spans.get_finished_spans()
    assert format(joined.context.trace_id, "032x") == TRACE_ID
    assert joined.attributes is not None and joined.attributes["url.path"] == "/titles/recommendations"
    assert fresh.parent is None and format(fresh.context.trace_id, "032x") != TRACE_ID
