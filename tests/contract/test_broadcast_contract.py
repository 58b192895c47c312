"""The `ReplicaBroadcast` contract, run against the in-memory bus and Redis: what one replica announces
reaches every other replica's receiver, exactly, in order, and never comes back to its sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from adapters.memory.broadcast import InMemoryBroadcastBus
from application.ports import BroadcastReceiver, ReplicaBroadcast
from domain.interaction import Interaction

EVENT = Interaction(7, 42, "rating", 4.5, datetime(2026, 12, 3, 11, 0, 0, 123456, tzinfo=UTC))


@dataclass
class Heard(BroadcastReceiver):
    activated: list[str] = field(default_factory=list)
    blacklists: int = 0
    events: list[Interaction] = field(default_factory=list)
    jobs: int = 0
    resubscriptions: int = 0

    def model_activated(self, model_id: str) -> None:
        self.activated.append(model_id)

    def blacklist_changed(self) -> None:
        self.blacklists += 1

    def hot_event(self, event: Interaction) -> None:
        self.events.append(event)

    def jobs_changed(self) -> None:
        self.jobs += 1

    def resubscribed(self) -> None:
        self.resubscriptions += 1


Join = Callable[[], Awaitable[tuple[ReplicaBroadcast, Heard]]]


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - the receiver has no event to await
            await asyncio.sleep(0.005)


@pytest.fixture(params=["memory", pytest.param("redis", marks=[pytest.mark.integration, pytest.mark.redis])])
async def join(request: pytest.FixtureRequest) -> AsyncIterator[Join]:
    made: list[ReplicaBroadcast] = []
    bus = InMemoryBroadcastBus()

    async def member() -> tuple[ReplicaBroadcast, Heard]:
        heard = Heard()
        broadcast: ReplicaBroadcast
        if request.param == "memory":
            broadcast = bus.join()
            broadcast.listen(heard)
        else:
            from adapters.cache.redis_broadcast import RedisBroadcast
            from adapters.cache.redis_channel import RedisChannel
            from adapters.cache.redis_connect import channel_listener

            url, prefix = request.getfixturevalue("redis_server"), request.getfixturevalue("redis_prefix")
            channel = RedisChannel(channel_listener(url, prefix))
            redis = RedisBroadcast.from_url(url, channel)
            redis.listen(heard)
            await until(lambda: channel.live)
            broadcast = redis
        made.append(broadcast)
        await until(lambda: heard.resubscriptions == 1)  # subscribed: catch up on what was missed
        return broadcast, heard

    yield member
    for broadcast in made:
        await broadcast.close()


async def test_announcements_reach_every_other_replica_and_not_the_sender(join: Join) -> None:
    sender, heard_by_sender = await join()
    _, first = await join()
    _, second = await join()
    await sender.model_activated("m-2")
    await sender.blacklist_changed()
    await sender.hot_event(EVENT)
    await until(lambda: len(first.events) == 1 and len(second.events) == 1)
    for heard in (first, second):
        assert heard.activated == ["m-2"] and heard.blacklists == 1 and heard.events == [EVENT]
    assert (
        heard_by_sender.activated == [] and heard_by_sender.blacklists == 0 and heard_by_sender.events == []
    )


async def test_a_job_cue_reaches_every_other_replica_once_and_not_the_sender(join: Join) -> None:
    sender, heard_by_sender = await join()
    _, trainer = await join()
    _, other = await join()
    await sender.jobs_changed()
    await sender.model_activated("m-4")  # after the cue: once it is heard, the cue was too
    await until(lambda: trainer.activated == ["m-4"] and other.activated == ["m-4"])
    assert trainer.jobs == 1 and other.jobs == 1
    assert heard_by_sender.jobs == 0 and trainer.blacklists == 0 and trainer.events == []


async def test_hot_events_arrive_in_the_order_announced(join: Join) -> None:
    sender, _ = await join()
    _, heard = await join()
    events = [Interaction(1, title, "view", None, EVENT.created_at) for title in range(1, 51)]
    for event in events:
        await sender.hot_event(event)
    await until(lambda: len(heard.events) == len(events))
    assert heard.events == events


async def test_a_closed_replica_hears_nothing_more(join: Join) -> None:
    sender, _ = await join()
    leaving, heard = await join()
    _, staying = await join()
    await leaving.close()
    await sender.model_activated("m-3")
    await until(lambda: staying.activated == ["m-3"])
    assert heard.activated == []
