"""RedisNearCache on the real Redis: copies answered from memory, dropped by any replica's
invalidation, never kept while unsubscribed or across an invalidation, and short-lived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from adapters.cache.redis_cache import RedisRecommendationCache
from adapters.cache.redis_connect import channel_listener
from adapters.cache.redis_near_cache import RedisNearCache
from application.ports import CacheKey
from domain.recommendation import RankedList

pytestmark = [pytest.mark.integration, pytest.mark.redis]

TOP = RankedList.of(list(range(1000, 1300)), [1.0 - i / 512 for i in range(300)])
OTHER = RankedList.of([5, 6, 7], [0.3, 0.2, 0.1])
KEY = CacheKey("user", "m-1", 42)
TITLE_KEY = CacheKey("title", "m-1", 42)
Make = Callable[..., Awaitable[RedisNearCache]]


@pytest.fixture
async def make(redis_server: str, redis_prefix: str) -> AsyncIterator[Make]:
    """Replicas sharing one Redis (and prefix), each with its near copies; live when returned."""
    made: list[RedisNearCache] = []

    async def build(seconds: float = 5.0) -> RedisNearCache:
        shared = RedisRecommendationCache.from_url(redis_server, 3600, prefix=redis_prefix)
        near = RedisNearCache(shared, channel_listener(redis_server, redis_prefix), seconds)
        made.append(near)
        await near.get(CacheKey("title", "warm-up", 1))  # starts the subscription
        await until(lambda: near.live)
        return near

    yield build
    for near in made:
        await near.close()


async def until(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def list_keys(raw: Redis, prefix: str) -> list[bytes]:
    return [key async for key in raw.scan_iter(match=f"{prefix}:v:*")]


async def test_a_list_read_once_is_then_answered_from_memory(
    make: Make, raw: Redis, redis_prefix: str
) -> None:
    near = await make()
    await near.put(KEY, TOP)
    assert await near.get(KEY) == TOP
    await raw.delete(*await list_keys(raw, redis_prefix))  # gone from Redis behind its back

    assert await near.get(KEY) == TOP  # the copy


async def test_a_copy_expires_after_its_seconds(make: Make, raw: Redis, redis_prefix: str) -> None:
    near = await make(seconds=0.2)
    await near.put(KEY, TOP)
    assert await near.get(KEY) == TOP
    await raw.delete(*await list_keys(raw, redis_prefix))
    await asyncio.sleep(0.3)

    assert await near.get(KEY) is None


async def test_another_replicas_invalidations_drop_the_copies(make: Make) -> None:
    reader, writer = await make(), await make()
    await writer.put(KEY, TOP)
    await writer.put(TITLE_KEY, TOP)
    assert await reader.get(KEY) == TOP
    assert await reader.get(TITLE_KEY) == TOP

    await writer.invalidate_user(42)  # e.g. a hot event received by the other replica
    await until(lambda: KEY not in reader._local)
    assert await reader.get(KEY) is None
    assert await reader.get(TITLE_KEY) == TOP  # another user's (here: a title's) lists stay

    await writer.invalidate_all()
    await until(lambda: not reader._local)
    assert await reader.get(TITLE_KEY) is None


async def test_own_invalidations_drop_copies_before_redis_is_told(make: Make) -> None:
    near = await make()
    await near.put(KEY, TOP)
    assert await near.get(KEY) == TOP
    near._inner._retry_at = float("inf")  # Redis unreachable: the invalidation cannot be sent

    await near.invalidate_user(42)

    assert await near.get(KEY) is None


async def test_a_read_that_spans_an_invalidation_keeps_no_copy(make: Make) -> None:
    near = await make()
    await near.put(KEY, TOP)
    release = asyncio.Event()
    inner_get = near._inner.get

    async def slow_get(key: CacheKey) -> RankedList | None:
        found = await inner_get(key)  # the old list, read before the invalidation landed
        await release.wait()
        return found

    near._inner.get = slow_get  # type: ignore[method-assign]
    reading = asyncio.create_task(near.get(KEY))
    await asyncio.sleep(0.05)
    near.on_message(b"u:42")  # another replica's invalidation arrives meanwhile
    release.set()
    assert await reading == TOP  # that request was answered with what it read...
    near._inner.get = inner_get  # type: ignore[method-assign]

    assert KEY not in near._local  # ...but nobody else will be


async def test_no_copies_while_the_subscription_is_down(make: Make, raw: Redis) -> None:
    near = await make()
    await near.put(KEY, TOP)
    assert await near.get(KEY) == TOP

    await raw.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # missed messages are possible
    await until(lambda: not near.live)
    assert not near._local
    assert await near.get(KEY) == TOP  # from Redis, not kept
    assert not near._local

    await until(lambda: near.live, seconds=5.0)  # subscribed again
    assert await near.get(KEY) == TOP
    assert KEY in near._local


async def test_the_shared_cache_must_announce_where_the_listener_listens() -> None:
    url = "redis://127.0.0.1:6379/15"
    silent = RedisRecommendationCache.from_url(url, 60, announce=False)
    elsewhere = RedisRecommendationCache.from_url(url, 60, prefix="other")
    for shared in (silent, elsewhere):
        with pytest.raises(ValueError, match="announce"):
            RedisNearCache(shared, channel_listener(url))
        await shared.close()
