"""The public RPCs over a real channel to a real server: lists, batch, relevant, errors, REST parity."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import grpc
import pytest
import structlog.testing

from domain.errors import (
    ArtifactError,
    ConflictError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
    RegistryUnavailableError,
    SourceUnavailableError,
    TrainingAlreadyRunningError,
    TrainingFailedError,
    UnauthenticatedError,
)
from entrypoints.grpc.errors import status_for
from entrypoints.settings import Settings
from protos import recommendations_pb2 as pb
from tests.e2e.conftest import client_for
from tests.e2e.grpc_helpers import Served, expect_status, serve_fake, train

INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture(params=["memory", "source"])
async def served(tmp_path, request: pytest.FixtureRequest) -> AsyncIterator[Served]:  # type: ignore[no-untyped-def]
    """Seen titles from the in-memory index, or read from the source on each miss (version 1)."""
    settings = Settings(data_dir=tmp_path, train_cron="off", seen_from=request.param)
    async with serve_fake(settings) as running:
        yield running


def as_tuple(response: pb.RecommendationsResponse) -> tuple[object, ...]:
    return (response.id, list(response.item_ids), list(response.scores), response.model_id, response.source)


async def test_popular_list_before_any_model(served: Served) -> None:
    response = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=1))
    assert response.id == 1 and response.source == "popular" and response.model_id == ""
    assert len(response.item_ids) == 10 and len(response.scores) == 10  # k 0 means 10
    assert not {39, 40} & set(response.item_ids)  # blacklisted and inactive
    assert not set(range(1, 12)) & set(response.item_ids)  # seen by user 1


async def test_model_list_exclude_and_cache(served: Served) -> None:
    job = await train(served.stub)
    first = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=3, k=4))
    assert first.source == "model" and first.model_id == job.model_id and not first.cached
    assert len(first.item_ids) == 4
    assert not await served.stack.source.seen_titles(3) & set(first.item_ids)
    shown = list(first.item_ids[:2])
    again = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=3, k=4, exclude=shown))
    assert again.cached and len(again.item_ids) == 4 and not set(shown) & set(again.item_ids)
    assert list(again.item_ids[:2]) == list(first.item_ids[2:])


@pytest.mark.parametrize(("k", "size"), [(0, 10), (1, 1), (7, 7), (200, 29)])
async def test_k_zero_means_ten_and_one_to_200_is_accepted(served: Served, k: int, size: int) -> None:
    response = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=5, k=k))
    assert len(response.item_ids) == size  # 38 eligible titles minus the 9 user 5 has seen


@pytest.mark.parametrize(
    ("request_", "word"),
    [
        (pb.UserRequest(user_id=0), "user_id"),
        (pb.UserRequest(user_id=-4), "user_id"),
        (pb.UserRequest(user_id=1, k=201), "k"),
        (pb.UserRequest(user_id=1, k=-1), "k"),
        (pb.UserRequest(user_id=1, exclude=[3, 0]), "exclude"),
    ],
)
async def test_bad_user_requests_are_invalid_arguments(
    served: Served, request_: pb.UserRequest, word: str
) -> None:
    await expect_status(served.stub.GetUserRecommendations(request_), INVALID, word)


async def test_batch_equals_single_calls_in_order(served: Served) -> None:
    await train(served.stub)
    users = [2, 999, 1, 2, 7]
    batch = await served.stub.GetUserRecommendationsBatch(pb.UserBatchRequest(user_ids=users, k=5))
    assert [r.id for r in batch.results] == users
    singles = [await served.stub.GetUserRecommendations(pb.UserRequest(user_id=u, k=5)) for u in users]
    assert [as_tuple(r) for r in batch.results] == [as_tuple(r) for r in singles]
    assert [r.source for r in batch.results] == ["model", "popular", "model", "model", "model"]
    empty = await served.stub.GetUserRecommendationsBatch(pb.UserBatchRequest())
    assert list(empty.results) == []


async def test_bad_batches_are_invalid_arguments(served: Served) -> None:
    bad_id = pb.UserBatchRequest(user_ids=[1, 2, 0])
    await expect_status(served.stub.GetUserRecommendationsBatch(bad_id), INVALID, "user_ids[2]")
    too_big = pb.UserBatchRequest(user_ids=list(range(1, 1002)))
    await expect_status(served.stub.GetUserRecommendationsBatch(too_big), INVALID, "1000")
    bad_k = pb.UserBatchRequest(user_ids=[1], k=201)
    await expect_status(served.stub.GetUserRecommendationsBatch(bad_k), INVALID, "k")


async def test_relevant_titles_and_their_errors(served: Served) -> None:
    job = await train(served.stub)
    response = await served.stub.GetTitleRelevant(pb.TitleRequest(title_id=3, k=5))
    assert response.id == 3 and response.model_id == job.model_id and response.source == "model"
    assert len(response.item_ids) == 5 and 3 not in response.item_ids
    assert not {39, 40} & set(response.item_ids)
    await expect_status(
        served.stub.GetTitleRelevant(pb.TitleRequest(title_id=999)), grpc.StatusCode.NOT_FOUND, "999"
    )
    await expect_status(served.stub.GetTitleRelevant(pb.TitleRequest(title_id=0)), INVALID, "title_id")
    await expect_status(served.stub.GetTitleRelevant(pb.TitleRequest(title_id=3, k=201)), INVALID, "k")


async def test_source_down_on_a_cache_miss(served: Served) -> None:
    """Reading the source on each miss (version 1), a miss fails while it is down; from memory, the
    miss is answered from the index, still without the user's seen titles."""
    await train(served.stub)
    warm = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=2))
    seen = await served.stack.source.seen_titles(4)
    served.stack.source.available = False
    cached = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=2))
    assert cached.cached and list(cached.item_ids) == list(warm.item_ids)  # a hit needs no source
    miss = served.stub.GetUserRecommendations(pb.UserRequest(user_id=4))
    if served.stack.container.settings().seen_from == "source":
        await expect_status(miss, grpc.StatusCode.UNAVAILABLE, "source")
        return
    answer = await miss
    assert answer.source == "model" and not answer.cached and len(answer.item_ids) == 10
    assert seen and not seen & set(answer.item_ids)


async def test_record_interaction_is_seen_at_once_and_validated(served: Served) -> None:
    await train(served.stub)
    before = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=2, k=5))
    top = before.item_ids[0]
    event = pb.InteractionRequest(user_id=2, title_id=top, int_type="bookmark")
    assert (await served.stub.RecordInteraction(event)).accepted is True
    after = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=2, k=5))
    assert top not in after.item_ids and len(after.item_ids) == 5
    unknown = pb.InteractionRequest(user_id=2, title_id=3, int_type="like")
    await expect_status(served.stub.RecordInteraction(unknown), grpc.StatusCode.INVALID_ARGUMENT, "bookmark")
    no_score = pb.InteractionRequest(user_id=2, title_id=3, int_type="rating")
    await expect_status(
        served.stub.RecordInteraction(no_score), grpc.StatusCode.INVALID_ARGUMENT, "raw_score"
    )
    zero = pb.InteractionRequest(user_id=0, title_id=3, int_type="view")
    await expect_status(served.stub.RecordInteraction(zero), grpc.StatusCode.INVALID_ARGUMENT, "user_id")


async def test_same_lists_over_rest_and_grpc(served: Served) -> None:
    await train(served.stub)
    async with client_for(served.stack.container) as api:
        for user in (1, 4, 10, 555):
            rest = (await api.get("/titles/recommendations", params={"user_id": user, "k": 8})).json()
            rpc = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=user, k=8))
            assert list(rpc.item_ids) == rest["item_ids"] and rpc.source == rest["source"]
            assert rpc.model_id == rest["model_id"] or (rpc.model_id == "" and rest["model_id"] is None)
            assert list(rpc.scores) == pytest.approx(rest["scores"], rel=1e-6)  # float32 on the wire
        rest = (await api.get("/titles/relevant", params={"title_id": 6, "k": 8})).json()
    rpc = await served.stub.GetTitleRelevant(pb.TitleRequest(title_id=6, k=8))
    assert list(rpc.item_ids) == rest["item_ids"] and rpc.model_id == rest["model_id"]


async def test_concurrent_load_has_zero_errors(served: Served) -> None:
    await train(served.stub)
    users = list(range(1, 21))
    expected = {
        u: list((await served.stub.GetUserRecommendations(pb.UserRequest(user_id=u))).item_ids) for u in users
    }
    related = list((await served.stub.GetTitleRelevant(pb.TitleRequest(title_id=5))).item_ids)

    async def client(seed: int) -> int:
        rng, checked = random.Random(seed), 0
        for _ in range(60):
            kind = rng.random()
            if kind < 0.6:
                user = rng.choice(users)
                response = await served.stub.GetUserRecommendations(pb.UserRequest(user_id=user))
                assert list(response.item_ids) == expected[user]
            elif kind < 0.8:
                picked = rng.sample(users, 4)
                batch = await served.stub.GetUserRecommendationsBatch(pb.UserBatchRequest(user_ids=picked))
                assert [list(r.item_ids) for r in batch.results] == [expected[u] for u in picked]
            else:
                response = await served.stub.GetTitleRelevant(pb.TitleRequest(title_id=5))
                assert list(response.item_ids) == related
            checked += 1
        return checked

    done = await asyncio.gather(*(client(seed) for seed in range(8)))
    assert sum(done) == 480


async def test_an_unexpected_error_is_internal_and_logged(served: Served) -> None:
    async def broken(query: object) -> None:
        raise RuntimeError("disk on fire")

    served.stack.container.recommend_for_user().execute = broken  # the servicer's own instance
    with structlog.testing.capture_logs() as logs:
        error = await expect_status(
            served.stub.GetUserRecommendations(pb.UserRequest(user_id=1)), grpc.StatusCode.INTERNAL, "logged"
        )
    assert "disk on fire" not in error.details()  # no internals leak to the client
    logged = [e for e in logs if e["event"] == "grpc_unhandled_error"]
    assert logged and logged[0]["rpc"] == "GetUserRecommendations" and logged[0]["log_level"] == "error"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidArgumentError("x"), grpc.StatusCode.INVALID_ARGUMENT),
        (UnauthenticatedError("x"), grpc.StatusCode.UNAUTHENTICATED),
        (ForbiddenError("x"), grpc.StatusCode.PERMISSION_DENIED),
        (NotFoundError("x"), grpc.StatusCode.NOT_FOUND),
        (ConflictError("x"), grpc.StatusCode.FAILED_PRECONDITION),
        (TrainingAlreadyRunningError("j-1"), grpc.StatusCode.FAILED_PRECONDITION),
        (ArtifactError("x"), grpc.StatusCode.FAILED_PRECONDITION),
        (SourceUnavailableError("x"), grpc.StatusCode.UNAVAILABLE),
        (RegistryUnavailableError("x"), grpc.StatusCode.UNAVAILABLE),
        (TrainingFailedError("x"), None),
        (ValueError("x"), None),
    ],
)
def test_one_table_maps_the_error_tree(error: Exception, code: grpc.StatusCode | None) -> None:
    assert status_for(error) == code  # None: INTERNAL, logged
