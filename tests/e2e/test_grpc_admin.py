"""TrainModel over gRPC: REST defaults, validation, single flight and the admin rule."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import grpc
import pytest

from domain.model_version import TrainParams
from entrypoints.admin_access import is_loopback
from entrypoints.grpc.servicer import peer_host
from entrypoints.settings import Settings
from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.e2e.grpc_helpers import Served, expect_status, serve_fake, train


@pytest.fixture
async def served(tmp_path) -> AsyncIterator[Served]:  # type: ignore[no-untyped-def]
    async with serve_fake(Settings(data_dir=tmp_path, train_cron="off")) as running:
        yield running


async def test_train_with_defaults_then_serve_the_new_model(served: Served) -> None:
    job = await served.stub.TrainModel(pb.TrainRequest())
    assert job.status == "succeeded" and job.job_id and job.model_id
    assert {"precision_at_10", "recall_at_10", "auc"} <= set(job.metrics)
    assert served.stack.container.engine().trained_with[-1] == TrainParams()  # the REST defaults
    response = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=2))
    assert response.model_id == job.model_id and response.source == "model"


async def test_train_with_parameters_and_without_activation(served: Served) -> None:
    job = await train(
        served.stub, no_components=8, epochs=3, learning_rate=0.1, item_alpha=0.001, activate=False
    )
    # float32 fields are recorded as the decimals the client wrote, as REST records them
    expected = TrainParams(no_components=8, epochs=3, learning_rate=0.1, item_alpha=0.001)
    assert served.stack.container.engine().trained_with[-1] == expected
    assert served.stack.registry.active is None and job.model_id
    response = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=2))
    assert response.model_id == "" and response.source == "popular"


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        ({"loss": "hinge"}, "loss"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1001}, "epochs"),
        ({"no_components": 0}, "no_components"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": 1.5}, "learning_rate"),
        ({"item_alpha": -1.0}, "item_alpha"),
        ({"user_alpha": float("nan")}, "user_alpha"),
        ({"mode": "half"}, "mode"),
    ],
)
async def test_bad_train_parameters_are_invalid_arguments(served: Served, fields: dict, word: str) -> None:
    call = served.stub.TrainModel(pb.TrainRequest(**fields))
    await expect_status(call, grpc.StatusCode.INVALID_ARGUMENT, word)


async def test_no_wait_then_training_already_running(served: Served) -> None:
    gate = asyncio.Event()
    engine = served.stack.container.engine()
    original = engine.train

    async def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await original(*args, **kwargs)

    engine.train = slow
    accepted = await served.stub.TrainModel(pb.TrainRequest(wait=False))
    assert accepted.status == "running" and accepted.job_id and accepted.model_id == ""
    error = await expect_status(
        served.stub.TrainModel(pb.TrainRequest()), grpc.StatusCode.FAILED_PRECONDITION, accepted.job_id
    )
    assert ("job-id", accepted.job_id) in tuple(error.trailing_metadata())
    gate.set()
    for _ in range(100):
        job = await served.stack.registry.get_job(accepted.job_id)
        if job is not None and job.status.finished:
            break
        await asyncio.sleep(0.02)
    assert job is not None and job.status.value == "succeeded"


async def test_admin_token_is_required_when_configured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, train_cron="off", admin_token="s3cret")
    async with serve_fake(settings) as served:
        request = pb.TrainRequest(epochs=2)
        await expect_status(served.stub.TrainModel(request), grpc.StatusCode.UNAUTHENTICATED, "Bearer")
        wrong = served.stub.TrainModel(request, metadata=(("authorization", "Bearer nope"),))
        await expect_status(wrong, grpc.StatusCode.UNAUTHENTICATED)
        right = await served.stub.TrainModel(request, metadata=(("authorization", "Bearer s3cret"),))
        assert right.status == "succeeded"
        public = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=1))
        assert len(public.item_ids) == 10  # only TrainModel is an admin call


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs unix domain sockets")
async def test_admin_call_from_a_non_loopback_peer_without_token_is_denied(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A unix-socket peer is not a loopback IP address; connecting to this machine's own network
    # address instead would send test traffic to a non-loopback address.
    settings = Settings(data_dir=tmp_path, train_cron="off")
    async with serve_fake(settings, host=f"unix:{tmp_path / 'rec.sock'}") as served:
        denied = served.stub.TrainModel(pb.TrainRequest(epochs=2))
        await expect_status(denied, grpc.StatusCode.PERMISSION_DENIED, "REC_ADMIN_TOKEN")
        public = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=1))
        assert len(public.item_ids) == 10


@pytest.mark.parametrize(
    ("peer", "host"),
    [
        ("ipv4:127.0.0.1:5000", "127.0.0.1"),
        ("ipv4:203.0.113.9:5000", "203.0.113.9"),
        ("ipv6:[::1]:5000", "::1"),
        ("ipv6:%5B::1%5D:36590", "::1"),  # grpc.aio's URL-encoded spelling
        ("ipv6:%5B::ffff:127.0.0.1%5D:4", "::ffff:127.0.0.1"),
        ("ipv4:10.1.2.3:5555", "10.1.2.3"),
        ("ipv6:%5B2001:db8::1%5D:1", "2001:db8::1"),
        ("ipv6:[2001:db8::7]:443", "2001:db8::7"),
        ("unix:/run/rec.sock", None),
        ("", None),
    ],
)
def test_peer_host_reads_grpc_peer_strings(peer: str, host: str | None) -> None:
    assert peer_host(peer) == host


@pytest.mark.parametrize(
    ("peer", "loopback"),
    [
        ("ipv6:%5B::1%5D:36590", True),
        ("ipv6:%5B0:0:0:0:0:0:0:1%5D:36590", True),
        ("ipv6:%5B::ffff:127.0.0.1%5D:4", True),
        ("ipv4:127.0.0.1:1", True),
        ("ipv4:10.1.2.3:5555", False),
        ("ipv6:%5B2001:db8::1%5D:1", False),
        ("ipv6:%5B::ffff:10.1.2.3%5D:1", False),
    ],
)
def test_loopback_rule_over_grpc_peer_spellings(peer: str, loopback: bool) -> None:
    assert is_loopback(peer_host(peer)) is loopback


@pytest.mark.parametrize("client_host", ["localhost", "127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"])
async def test_loopback_clients_of_every_spelling_may_train_without_a_token(  # type: ignore[no-untyped-def]
    tmp_path, client_host: str
) -> None:
    # The server listens on every interface, as `serve` does; the client names it as the seed does.
    async with serve_fake(Settings(data_dir=tmp_path, train_cron="off"), host="[::]") as served:
        channel = grpc.aio.insecure_channel(f"{client_host}:{served.service.port}")
        async with channel:
            job = await pb_grpc.RecommenderStub(channel).TrainModel(pb.TrainRequest(epochs=2))
    assert job.status == "succeeded" and job.model_id
