"""Each cache layer reports its hits, misses and errors to the ServiceEvents port (real Redis)."""

from __future__ import annotations

from collections import Counter

import pytest

from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.cache.redis_cache import RedisRecommendationCache
from adapters.cache.redis_connect import channel_listener
from adapters.cache.redis_near_cache import RedisNearCache
from application.ports import CacheKey, NoServiceEvents
from application.ports.service_events import CacheLayer, CacheResult
from domain.recommendation import RankedList
from tests.conftest import free_port
from tests.integration.test_redis_near_cache import until

pytestmark = [pytest.mark.integration, pytest.mark.redis]
TOP = RankedList.of([1, 2, 3], [0.5, 0.25, 0.125])  # exact in float32 (how Redis stores scores)
KEY = CacheKey("user", "m-1", 42)


class Recorded(NoServiceEvents):
    def __init__(self) -> None:
        self.lookups: Counter[tuple[str, str]] = Counter()

    def cache_lookup(self, layer: CacheLayer, result: CacheResult) -> None:
        self.lookups[(layer, result)] += 1


async def test_memory_layer() -> None:
    events = Recorded()
    cache = InProcessRecommendationCache(60, events=events)
    assert await cache.get(KEY) is None
    await cache.put(KEY, TOP)
    assert await cache.get(KEY) == TOP
    assert events.lookups == {("memory", "miss"): 1, ("memory", "hit"): 1}


async def test_redis_and_near_layers(redis_server: str, redis_prefix: str) -> None:
    events = Recorded()
    shared = RedisRecommendationCache.from_url(redis_server, 3600, prefix=redis_prefix, events=events)
    near = RedisNearCache(shared, channel_listener(redis_server, redis_prefix), 5.0, events=events)
    try:
        await near.get(CacheKey("title", "warm-up", 1))  # starts the subscription
        await until(lambda: near.live)
        events.lookups.clear()
        assert await near.get(KEY) is None  # near miss, redis miss
        await near.put(KEY, TOP)
        assert await near.get(KEY) == TOP  # near miss, redis hit (a copy kept)
        assert await near.get(KEY) == TOP  # near hit
    finally:
        await near.close()
    expected = {("near", "miss"): 2, ("redis", "miss"): 1, ("redis", "hit"): 1, ("near", "hit"): 1}
    assert events.lookups == expected


async def test_an_unreachable_redis_is_an_error_not_a_miss() -> None:
    events = Recorded()
    cache = RedisRecommendationCache.from_url(f"redis://127.0.0.1:{free_port()}/0", 60, events=events)
    try:
        assert await cache.get(KEY) is None
        assert await cache.get(KEY) is None  # bypassed for a while: still an error
    finally:
        await cache.close()
    assert events.lookups == {("redis", "error"): 2}
