from __future__ import annotations

from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.memory.source import InMemoryInteractionSource
from application.check_health import CheckHealth
from application.ports import CacheKey
from application.serving_state import ServingState
from domain.recommendation import RankedList

LIST = RankedList.of([1, 2], [0.5, 0.4])


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def test_entries_expire_after_the_ttl() -> None:
    clock = FakeTime()
    cache = InProcessRecommendationCache(ttl_seconds=10, clock=clock)
    key = CacheKey("user", "m1", 1)
    await cache.put(key, LIST)
    clock.t = 9.9
    assert await cache.get(key) == LIST
    clock.t = 10.0
    assert await cache.get(key) is None


async def test_invalidate_all_and_one_user() -> None:
    cache = InProcessRecommendationCache(ttl_seconds=100)
    a, b, t = CacheKey("user", "m", 1), CacheKey("user", "m", 2), CacheKey("title", "m", 1)
    for key in (a, b, t):
        await cache.put(key, LIST)
    await cache.invalidate_user(1)
    assert await cache.get(a) is None
    assert await cache.get(b) == LIST
    assert await cache.get(t) == LIST  # a title with the same number is not that user
    await cache.invalidate_all()
    assert await cache.get(b) is None and await cache.get(t) is None


async def test_cache_is_bounded() -> None:
    cache = InProcessRecommendationCache(ttl_seconds=100, max_entries=3)
    for user in range(10):
        await cache.put(CacheKey("user", "m", user), LIST)
    assert len(cache) == 3
    assert await cache.get(CacheKey("user", "m", 9)) == LIST
    assert await cache.get(CacheKey("user", "m", 0)) is None


async def test_health_reports_down_components_and_no_model() -> None:
    state = ServingState()
    source = InMemoryInteractionSource(available=False)
    cache = InProcessRecommendationCache(ttl_seconds=1)
    health = CheckHealth(state, {"source": source.ping, "cache": cache.ping})
    report = await health.execute()
    assert report.status == "degraded"
    assert report.components["source"].status == "down"
    assert "switched off" in report.components["source"].detail
    assert report.components["cache"].status == "ok"
    assert not health.ready()
