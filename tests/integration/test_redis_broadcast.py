"""RedisBroadcast on the real Redis: what one replica announces reaches the others and never comes back
to itself, near copies survive announcements, and a service on another database hears nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from adapters.cache.broadcast_messages import decode_announcement, hot_event_message
from adapters.cache.redis_broadcast import RedisBroadcast
from adapters.cache.redis_cache import RedisRecommendationCache
from adapters.cache.redis_channel import RedisChannel
from adapters.cache.redis_connect import channel_listener
from adapters.cache.redis_near_cache import RedisNearCache
from application.ports import CacheKey
from domain.interaction import Interaction
from domain.recommendation import RankedList
from tests.contract.test_broadcast_contract import Heard
from tests.integration.test_redis_near_cache import until

pytestmark = [pytest.mark.integration, pytest.mark.redis]

EVENT = Interaction(7, 42, "rating", 4.5, datetime(2026, 12, 3, 11, 0, 0, 123456, tzinfo=UTC))


Make = Callable[..., Awaitable[tuple[RedisBroadcast, Heard, RedisChannel]]]


@pytest.fixture
async def replica(redis_server: str, redis_prefix: str) -> AsyncIterator[Make]:
    made: list[RedisBroadcast] = []

    async def build(url: str = redis_server) -> tuple[RedisBroadcast, Heard, RedisChannel]:
        channel = RedisChannel(channel_listener(url, redis_prefix))
        broadcast, heard = RedisBroadcast.from_url(url, channel), Heard()
        broadcast.listen(heard)
        made.append(broadcast)
        await until(lambda: channel.live)
        return broadcast, heard, channel

    yield build
    for broadcast in made:
        await broadcast.close()


async def test_announcements_reach_the_others_and_not_the_sender(replica: Make) -> None:
    sender, heard_by_sender, _ = await replica()
    _, heard, _ = await replica()
    assert heard.resubscriptions == 1  # a confirmed subscription: catch up on what was missed

    await sender.model_activated("m-2")
    await sender.blacklist_changed()
    await sender.hot_event(EVENT)
    await until(lambda: len(heard.events) == 1)

    assert heard.activated == ["m-2"] and heard.blacklists == 1 and heard.events == [EVENT]
    assert (
        heard_by_sender.activated == [] and heard_by_sender.blacklists == 0 and heard_by_sender.events == []
    )


async def test_a_service_on_another_database_hears_nothing(replica: Make, redis_server: str) -> None:
    other_db = redis_server.rsplit("/", 1)[0] + "/5"
    sender, _, _ = await replica(other_db)
    _, heard, _ = await replica()
    witness, heard_by_witness, _ = await replica(other_db)

    await sender.hot_event(EVENT)
    await until(lambda: len(heard_by_witness.events) == 1)  # delivered on its own database

    assert heard.events == [] and witness is not sender


async def test_near_copies_survive_announcements_and_go_on_invalidations(
    replica: Make, redis_server: str, redis_prefix: str
) -> None:
    sender, _, _ = await replica()
    _, heard, channel = await replica()
    shared = RedisRecommendationCache.from_url(redis_server, 3600, prefix=redis_prefix)
    near = RedisNearCache(shared, channel, 5.0)  # the same subscription as the broadcast's
    elsewhere = RedisRecommendationCache.from_url(redis_server, 3600, prefix=redis_prefix)
    try:
        await until(lambda: near.live)
        key, ranked = CacheKey("user", "m-1", 7), RankedList.of([1, 2, 3], [0.5, 0.25, 0.125])
        await near.put(key, ranked)
        assert await near.get(key) == ranked  # read from Redis, now kept as a near copy
        raw = shared._redis
        await raw.delete(*[k async for k in raw.scan_iter(match=f"{redis_prefix}:v:*")])

        await sender.hot_event(EVENT)
        await until(lambda: len(heard.events) == 1)
        assert await near.get(key) == ranked  # announcements drop no copy

        await elsewhere.invalidate_user(7)  # another replica's invalidation, on the same channel
        await until(lambda: near._local.get(key) is None)
        assert await near.get(key) is None
    finally:
        await elsewhere.close()
        await shared.close()


def test_a_hot_event_survives_the_wire_and_malformed_messages_are_refused() -> None:
    found = decode_announcement(hot_event_message("origin1", EVENT))
    assert found is not None and found.origin == "origin1" and found.event == EVENT
    plain = Interaction(1, 2, "weird:type", None, EVENT.created_at)
    again = decode_announcement(hot_event_message("o", plain))
    assert again is not None and again.event == plain
    naive = Interaction(1, 2, "view", None, datetime(2026, 12, 3, 11, 0))  # read as UTC
    decoded = decode_announcement(hot_event_message("o", naive))
    assert decoded is not None and decoded.event is not None
    assert decoded.event.created_at == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    for junk in (b"h:o:0:2:1::view", b"h:o:x:2:1::view", b"h:o:1:2", b"a:o:", b"h:\xff", b"zz"):
        assert decode_announcement(junk) is None, junk
