"""The gRPC interceptor on a real grpc.aio server and channel: codes counted, spans joined to the caller."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import generate_latest

from entrypoints.grpc.server import GrpcService, grpc_interceptors
from entrypoints.observability.exposition import Observability
from entrypoints.settings import Settings
from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.e2e.conftest import fake_container
from tests.e2e.grpc_helpers import LOOPBACK_HOST, expect_status
from tests.e2e.test_metrics_api import samples, value

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@dataclass
class Traced:
    observability: Observability
    spans: InMemorySpanExporter
    stub: Any

    def scraped(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        assert self.observability.metrics is not None
        return samples(generate_latest(self.observability.metrics.registry).decode())


@pytest.fixture
async def traced(tmp_path) -> AsyncIterator[Traced]:  # type: ignore[no-untyped-def]
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    stack = fake_container(Settings(data_dir=tmp_path, train_cron="off"))
    observability = Observability(True, provider)
    stack.container.observability.override(observability)
    runtime = stack.container.runtime()
    async with contextlib.AsyncExitStack() as cleanup:
        await runtime.start()
        cleanup.push_async_callback(runtime.stop)
        c = stack.container
        interceptors = grpc_interceptors(c.observability())
        service = GrpcService(
            c.grpc_servicer(), c.check_health(), 0, host=LOOPBACK_HOST, interceptors=interceptors
        )
        await service.start()
        cleanup.push_async_callback(service.stop, 0)
        channel = grpc.aio.insecure_channel(f"{LOOPBACK_HOST}:{service.port}")
        cleanup.push_async_callback(channel.close)
        yield Traced(observability, spans, pb_grpc.RecommenderStub(channel))


async def test_ok_and_error_codes_are_counted_with_durations(traced: Traced) -> None:
    for _ in range(2):
        await traced.stub.GetUserRecommendations(pb.UserRequest(user_id=1))
    await expect_status(
        traced.stub.GetTitleRelevant(pb.TitleRequest(title_id=999)), grpc.StatusCode.NOT_FOUND
    )
    await expect_status(
        traced.stub.GetUserRecommendations(pb.UserRequest(user_id=0)), grpc.StatusCode.INVALID_ARGUMENT
    )
    found = traced.scraped()
    assert value(found, "rec_grpc_requests_total", method="GetUserRecommendations", code="OK") == 2
    assert (
        value(found, "rec_grpc_requests_total", method="GetUserRecommendations", code="INVALID_ARGUMENT") == 1
    )
    assert value(found, "rec_grpc_requests_total", method="GetTitleRelevant", code="NOT_FOUND") == 1
    assert value(found, "rec_grpc_request_duration_seconds_count", method="GetUserRecommendations") == 3
    assert value(found, "rec_lists_served_total", kind="user", source="popular", cached="false") == 2


async def test_a_span_per_call_joins_the_callers_trace(traced: Traced) -> None:
    await traced.stub.GetUserRecommendations(pb.UserRequest(user_id=1), metadata=(("traceparent", PARENT),))
    await expect_status(
        traced.stub.GetTitleRelevant(pb.TitleRequest(title_id=999)), grpc.StatusCode.NOT_FOUND
    )
    spans = {span.name: span for span in traced.spans.get_finished_spans()}
    joined, failed = spans["GetUserRecommendations"], spans["GetTitleRelevant"]
    assert joined.kind is SpanKind.SERVER
    assert format(joined.context.trace_id, "032x") == TRACE_ID
    assert joined.parent is not None and format(joined.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert failed.parent is None and failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None and failed.attributes["rpc.grpc.status_code"] == "NOT_FOUND"


async def test_a_training_is_a_span_with_its_epochs_as_events(traced: Traced) -> None:
    response = await traced.stub.TrainModel(pb.TrainRequest(epochs=3))
    assert response.status == "succeeded"
    training = [span for span in traced.spans.get_finished_spans() if span.name == "training"]
    assert len(training) == 1
    assert training[0].attributes is not None and training[0].attributes["rec.status"] == "succeeded"
    assert [event.name for event in training[0].events].count("epoch") >= 3
    found = traced.scraped()
    assert value(found, "rec_training_jobs_total", trigger="manual", status="succeeded") == 1
