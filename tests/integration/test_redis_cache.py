"""RedisRecommendationCache on the real Redis (db 15, a prefix per test).

TTLs, layout, invalidations, replicas, stampede.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.cache.coalescing_cache import CoalescingCache
from adapters.cache.redis_cache import RedisRecommendationCache
from application.ports import CacheKey
from domain.recommendation import RankedList

pytestmark = [pytest.mark.integration, pytest.mark.redis]

TTL = 3600
TOP = RankedList.of(list(range(1000, 1300)), [1.0 - i / 512 for i in range(300)])  # a top-300 list
KEY = CacheKey("user", "m-1", 42)


@pytest.fixture
async def cache(redis_server: str, redis_prefix: str) -> AsyncIterator[RedisRecommendationCache]:
    built = RedisRecommendationCache.from_url(redis_server, ttl_seconds=TTL, prefix=redis_prefix)
    yield built
    await built.close()


async def keys_of(raw: Redis, prefix: str) -> list[bytes]:
    return sorted([key async for key in raw.scan_iter(match=f"{prefix}:*")])


async def test_every_key_expires_and_a_list_is_packed(
    cache: RedisRecommendationCache, raw: Redis, redis_prefix: str
) -> None:
    await cache.put(KEY, TOP)
    await cache.invalidate_user(7)
    await cache.invalidate_all()
    await cache.put(KEY, TOP)

    keys = await keys_of(raw, redis_prefix)
    assert {key.decode().split(":")[2] for key in keys} == {"ns", "ugen", "v"}
    for key in keys:
        assert TTL - 5 < await raw.ttl(key) <= TTL, key
    lists = [key for key in keys if b":v:" in key]
    assert len(lists) == 2  # one per namespace: the old one is unreachable and ages out
    assert await raw.strlen(lists[0]) == 3 + 300 * (8 + 4)  # magic + int64 ids + float32 scores
    assert await cache.get(KEY) == TOP


async def test_invalidate_all_bumps_a_namespace(
    cache: RedisRecommendationCache, raw: Redis, redis_prefix: str
) -> None:
    await cache.put(KEY, TOP)
    await cache.invalidate_all()
    await cache.invalidate_all()

    assert await raw.get(f"{redis_prefix}:ns") == b"2"
    assert await cache.get(KEY) is None


async def test_a_list_computed_before_an_invalidation_is_never_served(
    cache: RedisRecommendationCache,
) -> None:
    assert await cache.get(KEY) is None  # a request misses and starts computing...
    await cache.invalidate_user(KEY.subject_id)  # ...a hot event of that user arrives...
    await cache.put(KEY, TOP)  # ...and the now stale list is stored

    assert await cache.get(KEY) is None


async def test_replicas_share_lists_and_invalidations(
    cache: RedisRecommendationCache, redis_server: str, redis_prefix: str
) -> None:
    other = RedisRecommendationCache.from_url(redis_server, ttl_seconds=TTL, prefix=redis_prefix)
    try:
        await cache.put(KEY, TOP)
        assert await other.get(KEY) == TOP
        await other.invalidate_user(KEY.subject_id)
        assert await cache.get(KEY) is None
    finally:
        await other.close()


async def test_concurrent_misses_of_one_key_are_computed_once(cache: RedisRecommendationCache) -> None:
    coalescing = CoalescingCache(cache)
    computed = 0

    async def request() -> tuple[RankedList, bool]:
        """What RecommendForUser does: get, compute on a miss, put."""
        nonlocal computed
        found = await coalescing.get(KEY)
        if found is not None:
            return found, True
        computed += 1
        await asyncio.sleep(0.3)  # reading the history and ranking; longer than any Redis round trip here
        await coalescing.put(KEY, TOP)
        return TOP, False

    answers = await asyncio.gather(*(request() for _ in range(25)))

    assert computed == 1
    assert all(found == TOP for found, _ in answers)
    assert sum(not cached for _, cached in answers) == 1
    assert await cache.get(KEY) == TOP


async def test_waiters_compute_themselves_when_the_first_caller_never_puts(
    cache: RedisRecommendationCache,
) -> None:
    coalescing = CoalescingCache(cache, wait_seconds=0.1)
    assert await coalescing.get(KEY) is None  # this caller fails and never puts

    started = asyncio.get_running_loop().time()
    assert await coalescing.get(KEY) is None
    assert asyncio.get_running_loop().time() - started < 1.0
