"""Health, reflection, draining on stop, and the contract's client snippet, over a real channel."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from entrypoints.settings import Settings
from protos import recommendations_pb2 as pb
from tests.e2e.grpc_helpers import Served, serve_fake

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "recommendations.Recommender"
CONTRACT_SNIPPET = """\
import grpc
from protos import recommendations_pb2, recommendations_pb2_grpc
stub = recommendations_pb2_grpc.RecommenderStub(grpc.insecure_channel("localhost:50051"))
print(stub.GetUserRecommendations(recommendations_pb2.UserRequest(user_id=123)).item_ids)
"""


@pytest.fixture
async def served(tmp_path) -> AsyncIterator[Served]:  # type: ignore[no-untyped-def]
    async with serve_fake(Settings(data_dir=tmp_path, train_cron="off")) as running:
        yield running


async def test_health_check_follows_readiness(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, train_cron="off")
    async with serve_fake(settings, start_runtime=False, health_interval=0.05) as served:
        health = health_pb2_grpc.HealthStub(served.channel)
        for service in ("", SERVICE):
            answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.NOT_SERVING  # nothing loaded yet
        watch = health.Watch(health_pb2.HealthCheckRequest(service=SERVICE))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        await served.stack.container.refresh_catalogue().execute()  # the popular list: ready
        assert (await asyncio.wait_for(watch.read(), 5)).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()
        for service in ("", SERVICE):
            answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await health.Check(health_pb2.HealthCheckRequest(service="nope.Nothing"))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND


async def test_reflection_lists_and_describes_the_service(served: Served) -> None:
    call = reflection_pb2_grpc.ServerReflectionStub(served.channel).ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    listed = {s.name for s in (await call.read()).list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= listed
    await call.write(reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE))
    answer = await call.read()
    await call.done_writing()
    raw_files = answer.file_descriptor_response.file_descriptor_proto
    files = [descriptor_pb2.FileDescriptorProto.FromString(raw) for raw in raw_files]
    described = {m.name for f in files for s in f.service if s.name == "Recommender" for m in s.method}
    assert described == {
        "GetUserRecommendations",
        "GetUserRecommendationsBatch",
        "GetTitleRelevant",
        "RecordInteraction",
        "TrainModel",
    }


async def test_the_contract_client_snippet_prints_ten_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The snippet as written; on another port only when 50051 is taken on this machine."""
    settings = Settings(data_dir=tmp_path, train_cron="off")
    async with contextlib.AsyncExitStack() as stack:
        try:
            served = await stack.enter_async_context(serve_fake(settings, host="[::]", port=50051))
        except RuntimeError:  # 50051 is busy (another server on this machine): any free port will do
            served = await stack.enter_async_context(serve_fake(settings, host="[::]"))
        snippet = CONTRACT_SNIPPET.replace("localhost:50051", f"localhost:{served.service.port}")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", snippet, cwd=ROOT, stdout=PIPE, stderr=PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    ids = ast.literal_eval(out.decode().strip())
    assert len(ids) == 10 and all(isinstance(i, int) and i > 0 for i in ids)


async def test_stop_lets_running_calls_finish_and_refuses_new_ones(served: Served) -> None:
    gate, entered = asyncio.Event(), asyncio.Event()
    engine = served.stack.container.engine()
    original = engine.train

    async def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        entered.set()
        await gate.wait()
        return await original(*args, **kwargs)

    engine.train = slow
    running = asyncio.ensure_future(served.stub.TrainModel(pb.TrainRequest(epochs=2)))
    await asyncio.wait_for(entered.wait(), 10)
    stopping = asyncio.create_task(served.service.stop(grace=10))
    await asyncio.sleep(0.2)
    health = health_pb2_grpc.HealthStub(served.channel)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    gate.set()
    assert (await running).status == "succeeded"  # the call in flight was drained, not cut
    await stopping
