"""REST request spans (both code paths) and their children: cache lookups, source reads, scoring.

The app runs with fake adapters and the SDK's in-memory exporter; a request's span joins the
caller's `traceparent`, and what the request did (cache get/put, scoring, a feature read) hangs
under it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.observability.exposition import Observability
from entrypoints.settings import Settings
from tests.e2e.conftest import client_for, fake_container

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN}-01"


@dataclass
class Traced:
    api: httpx.AsyncClient
    spans: InMemorySpanExporter

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans.get_finished_spans() if span.name == name]

    def children_of(self, parent: ReadableSpan) -> set[str]:
        return {
            span.name
            for span in self.spans.get_finished_spans()
            if span.parent is not None and span.parent.span_id == parent.context.span_id
        }


@pytest.fixture
async def traced(tmp_path) -> AsyncIterator[Traced]:  # type: ignore[no-untyped-def]
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    stack = fake_container(Settings(data_dir=tmp_path, train_cron="off", seen_from="source"))
    stack.container.observability.override(Observability(True, provider))
    runtime = create_app(stack.container, manage_runtime=False).state.runtime
    await runtime.start()
    try:
        async with client_for(stack.container) as api:
            trained = await api.post("/admin/train", json={"epochs": 2})
            assert trained.status_code == 200, trained.text
            spans.clear()
            yield Traced(api, spans)
    finally:
        await runtime.stop()


@pytest.mark.parametrize("query", ["user_id=1", "user_id=1&k=5&exclude=%2C"])  # fast path, then Litestar
async def test_a_request_span_joins_the_callers_trace_and_holds_its_work(traced: Traced, query: str) -> None:
    response = await traced.api.get(f"/titles/recommendations?{query}", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200, response.text
    [request] = traced.named("GET /titles/recommendations")
    assert request.kind is SpanKind.SERVER
    assert format(request.context.trace_id, "032x") == TRACE_ID
    assert request.parent is not None and format(request.parent.span_id, "016x") == PARENT_SPAN
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/titles/recommendations"
    assert request.attributes["http.response.status_code"] == 200
    # A miss: looked up, read what the user saw, ranked, stored; all inside the request's trace.
    assert {"cache.get", "source.seen_titles", "score.top_for_user", "cache.put"} <= traced.children_of(
        request
    )


async def test_a_cached_answer_has_its_lookup_and_no_scoring(traced: Traced) -> None:
    await traced.api.get("/titles/recommendations?user_id=2")
    traced.spans.clear()
    assert (await traced.api.get("/titles/recommendations?user_id=2")).json()["cached"] is True
    [request] = traced.named("GET /titles/recommendations")
    assert traced.children_of(request) == {"cache.get"}


async def test_templates_name_the_spans_and_errors_are_marked(traced: Traced) -> None:
    assert (await traced.api.get("/titles/relevant?title_id=999999")).status_code == 404
    assert (await traced.api.get("/no/such/path")).status_code == 404
    assert (await traced.api.delete("/admin/blacklist/12345")).status_code in (200, 404)
    [relevant] = traced.named("GET /titles/relevant")
    assert relevant.attributes is not None and relevant.attributes["http.response.status_code"] == 404
    assert relevant.status.status_code is not StatusCode.ERROR  # a 4xx is the caller's, not ours
    assert relevant.parent is None  # no traceparent sent: a new trace
    assert len(traced.named("GET other")) == 1
    # the id in the path never names a span: the route template does
    assert len(traced.named("DELETE /admin/blacklist/{title_id}")) == 1
    assert not [span for span in traced.spans.get_finished_spans() if "12345" in span.name]


def test_tracing_off_hands_the_use_cases_the_adapters_themselves(tmp_path) -> None:  # type: ignore[no-untyped-def]
    container: Container = fake_container(Settings(data_dir=tmp_path, train_cron="off")).container
    container.observability.override(Observability(True, None))
    assert container.traced_cache() is container.cache()
    assert container.traced_source() is container.source()
    assert container.serving_engine() is container.engine()
