"""One behaviour for every `RecommendationCache`: in-process (the unit tests' cache), Redis, Redis with
near copies, and each behind the coalescer (what the container builds)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from adapters.cache.coalescing_cache import CoalescingCache
from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.cache.redis_cache import RedisRecommendationCache
from adapters.cache.redis_connect import channel_listener
from adapters.cache.redis_near_cache import RedisNearCache
from application.ports import CacheKey, RecommendationCache
from domain.recommendation import RankedList

# Scores a float32 holds exactly: what the scorer produces, so a round trip is lossless.
LIST = RankedList.of([7, 3, 2**62, 1], [2.5, 1.25, -0.5, 0.0])
OTHER = RankedList.of([9], [0.75])


def _in_process(_: str) -> RecommendationCache:
    return InProcessRecommendationCache(ttl_seconds=60)


def _redis(prefix: str) -> RecommendationCache:
    from tests.conftest import REDIS_URL

    return RedisRecommendationCache.from_url(REDIS_URL, ttl_seconds=60, prefix=prefix)


def _redis_near(prefix: str) -> RecommendationCache:
    from tests.conftest import REDIS_URL

    shared = RedisRecommendationCache.from_url(REDIS_URL, ttl_seconds=60, prefix=prefix)
    return RedisNearCache(shared, channel_listener(REDIS_URL, prefix), 5.0)


FACTORIES: dict[str, Callable[[str], RecommendationCache]] = {
    "in_process": _in_process,
    "redis": _redis,
    "redis_near": _redis_near,
    "coalescing_in_process": lambda p: CoalescingCache(_in_process(p)),
    "coalescing_redis": lambda p: CoalescingCache(_redis(p)),
    "coalescing_redis_near": lambda p: CoalescingCache(_redis_near(p)),
}


@pytest.fixture(params=sorted(FACTORIES))
def flavour(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(factory name, key prefix); the Redis flavours need the server and a prefix of their own."""
    if "redis" not in request.param:
        return request.param, "unused"
    request.applymarker(pytest.mark.redis)
    request.applymarker(pytest.mark.integration)
    return request.param, str(request.getfixturevalue("redis_prefix"))


@pytest.fixture
async def cache(flavour: tuple[str, str]) -> AsyncIterator[RecommendationCache]:
    built = FACTORIES[flavour[0]](flavour[1])
    yield built
    close = getattr(built, "close", None)
    if close is not None:
        await close()


def user(subject: int, model: str = "m1") -> CacheKey:
    return CacheKey("user", model, subject)


async def test_a_miss_then_the_stored_list(cache: RecommendationCache) -> None:
    assert await cache.get(user(1)) is None
    await cache.put(user(1), LIST)
    assert await cache.get(user(1)) == LIST
    await cache.put(user(2), RankedList((), ()))
    assert await cache.get(user(2)) == RankedList((), ())


async def test_kind_model_and_subject_keep_lists_apart(cache: RecommendationCache) -> None:
    await cache.put(user(1), LIST)
    await cache.put(CacheKey("title", "m1", 1), OTHER)
    assert await cache.get(user(1, "m2")) is None
    assert await cache.get(user(2)) is None
    assert await cache.get(CacheKey("title", "m1", 1)) == OTHER
    assert await cache.get(user(1)) == LIST


async def test_invalidating_a_user_drops_every_version_of_that_user_only(cache: RecommendationCache) -> None:
    for key in (user(1, "m1"), user(1, "m2"), user(2), CacheKey("title", "m1", 1)):
        await cache.put(key, LIST)
    await cache.invalidate_user(1)
    assert await cache.get(user(1, "m1")) is None
    assert await cache.get(user(1, "m2")) is None
    assert await cache.get(user(2)) == LIST
    assert await cache.get(CacheKey("title", "m1", 1)) == LIST
    await cache.put(user(1), OTHER)  # a list computed after the invalidation is served again
    assert await cache.get(user(1)) == OTHER


async def test_invalidating_all_drops_every_list(cache: RecommendationCache) -> None:
    await cache.put(user(1), LIST)
    await cache.put(CacheKey("title", "m1", 5), LIST)
    await cache.invalidate_all()
    assert await cache.get(user(1)) is None
    assert await cache.get(CacheKey("title", "m1", 5)) is None
    await cache.put(user(1), OTHER)
    assert await cache.get(user(1)) == OTHER


async def test_ping_answers_while_the_cache_is_up(cache: RecommendationCache) -> None:
    await cache.ping()
