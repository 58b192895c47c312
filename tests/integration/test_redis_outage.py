"""Redis stopped mid-run: bypassed (never an error, health `down`), then used again by itself.

Runs its own `redis-server` on a free port; the shared one is never touched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.cache.coalescing_cache import CoalescingCache
from adapters.cache.redis_cache import BYPASS_SECONDS, RedisRecommendationCache
from application.check_health import CheckHealth
from application.ports import CacheKey
from application.serving_state import ServingState
from domain.errors import CacheUnavailableError
from domain.recommendation import RankedList
from tests.conftest import OwnRedis

pytestmark = [pytest.mark.integration, pytest.mark.redis]

KEY = CacheKey("user", "m-1", 5)
LIST = RankedList.of([3, 2, 1], [0.5, 0.25, 0.125])


@pytest.fixture
async def cache(own_redis: OwnRedis) -> AsyncIterator[CoalescingCache]:
    redis = RedisRecommendationCache.from_url(f"redis://127.0.0.1:{own_redis.port}/0", ttl_seconds=60)
    wrapped = CoalescingCache(redis, wait_seconds=0.2)
    yield wrapped
    await wrapped.close()


async def test_a_stopped_redis_is_bypassed_and_used_again_when_back(
    own_redis: OwnRedis, cache: CoalescingCache
) -> None:
    health = CheckHealth(ServingState(), {"cache": cache.ping})
    await cache.put(KEY, LIST)
    assert await cache.get(KEY) == LIST

    own_redis.stop()
    started = time.monotonic()
    assert await cache.get(KEY) is None  # a miss, never an error
    await cache.put(KEY, LIST)  # a no-op
    await cache.invalidate_user(KEY.subject_id)  # best effort, no error
    await cache.invalidate_all()
    assert time.monotonic() - started < 1.0  # short timeouts, no retries
    with pytest.raises(CacheUnavailableError):
        await cache.ping()
    report = await health.execute()
    assert report.status == "degraded"
    assert report.components["cache"].status == "down"

    own_redis.start()  # empty: it keeps nothing on disk
    await asyncio.sleep(BYPASS_SECONDS + 0.1)
    assert await cache.get(KEY) is None
    await cache.put(KEY, LIST)
    assert await cache.get(KEY) == LIST
    assert (await health.execute()).components["cache"].status == "ok"


async def test_requests_while_redis_is_down_stay_fast(own_redis: OwnRedis, cache: CoalescingCache) -> None:
    own_redis.stop()
    started = time.monotonic()
    for subject in range(50):
        key = CacheKey("user", "m-1", subject)
        assert await cache.get(key) is None
        await cache.put(key, LIST)
    assert time.monotonic() - started < 1.0  # bypassed after the first failure, not 50 timeouts


async def test_a_redis_that_does_not_answer_is_given_up_on_quickly(
    own_redis: OwnRedis, cache: CoalescingCache
) -> None:
    await cache.put(KEY, LIST)
    admin = Redis(port=own_redis.port)
    assert await admin.client_pause(700) is True
    await admin.aclose()

    started = time.monotonic()
    assert await cache.get(KEY) is None  # the socket timeout (about 50 ms), no retry
    assert time.monotonic() - started < 0.5

    await asyncio.sleep(0.7 + BYPASS_SECONDS)
    assert await cache.get(KEY) == LIST
