"""A short-lived copy of recently read lists inside the process, in front of the shared Redis cache.

A cached request spent about as much CPU on its Redis round trip (the command, the socket system
calls, the wake-up of a request that waits on I/O) as on everything else it does. Most of that goes
when a list read a moment ago is answered from memory.

Coherence with the other replicas: every invalidation (all lists, or one user's) is published on
the replicas' channel (`redis_connect.replica_channel`) after the Redis counters changed, and each
process drops its copies when the message arrives (on loopback it had arrived by the time the
invalidating process got its answer, in every try). Nothing is kept while the subscription is not
confirmed (at start, after a lost connection: copies are dropped and the near layer stays off until
it is back), and a read that was in flight when an invalidation
arrived is not kept. Every copy also expires after `seconds` (default 5), which bounds how long a
copy could outlive its Redis entry, or an invalidation lost in a network partition that the
subscriber has not noticed yet.

The in-process invalidations of this process drop its copies at once, before Redis is told.
"""

from __future__ import annotations

import time
from collections import OrderedDict

import structlog

from adapters.cache.broadcast_messages import ANNOUNCEMENTS, INVALIDATE_ALL, USER
from adapters.cache.redis_cache import RedisRecommendationCache
from adapters.cache.redis_channel import RedisChannel
from adapters.cache.redis_subscriber import Listener
from application.ports import NO_EVENTS, CacheKey, RecommendationCache, ServiceEvents
from domain.recommendation import RankedList

log = structlog.get_logger(__name__)

DEFAULT_SECONDS = 5.0
MAX_ENTRIES = 4096  # a list of 300 ids and scores is about 22 KB as Python objects


class RedisNearCache(RecommendationCache):
    """`RecommendationCache`: an in-process copy (LRU, `seconds` old at most) over Redis.

    `inner` must announce its invalidations (`RedisRecommendationCache(..., announce=True)`) on
    the channel listened to: `channel`, shared with the broadcast, or a `Listener` of the near
    cache's own (`channel_listener`).
    """

    def __init__(
        self,
        inner: RedisRecommendationCache,
        channel: RedisChannel | Listener,
        seconds: float = DEFAULT_SECONDS,
        max_entries: int = MAX_ENTRIES,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        self._events = events
        if inner.channel is None or inner.channel != channel.channel:
            raise ValueError("the shared cache must announce its invalidations where the listener listens")
        self._inner = inner
        self._owns_channel = not isinstance(channel, RedisChannel)
        self._channel = channel if isinstance(channel, RedisChannel) else RedisChannel(channel)
        self._seconds = seconds
        self._max = max_entries
        self._local: OrderedDict[CacheKey, tuple[float, RankedList]] = OrderedDict()
        self._models: set[str] = set()  # model ids among the copies (to drop one user's copies)
        self._epoch = 0  # bumped by every invalidation seen: reads that spanned one keep nothing
        self._live = False  # the subscription is confirmed: copies may be kept
        self._channel.add(self)

    @property
    def live(self) -> bool:
        return self._live

    async def get(self, key: CacheKey) -> RankedList | None:
        self._channel.start()
        entry = self._local.get(key)
        if entry is not None:
            if entry[0] > time.monotonic():
                self._local.move_to_end(key)
                self._events.cache_lookup("near", "hit")
                return entry[1]
            del self._local[key]
        self._events.cache_lookup("near", "miss")
        epoch = self._epoch
        value = await self._inner.get(key)
        if value is not None and self._live and epoch == self._epoch:
            self._keep(key, value)
        return value

    async def put(self, key: CacheKey, value: RankedList) -> None:
        await self._inner.put(key, value)  # the next read keeps a copy

    async def invalidate_all(self) -> None:
        self._drop_all()
        await self._inner.invalidate_all()  # and publishes it

    async def invalidate_user(self, user_id: int) -> None:
        self._drop_user(user_id)
        await self._inner.invalidate_user(user_id)  # and publishes it

    async def ping(self) -> None:
        await self._inner.ping()

    async def close(self) -> None:
        self._live = False
        if self._owns_channel:
            await self._channel.close()
        await self._inner.close()

    # --- the channel (`ChannelReceiver`) ------------------------------------------------
    def on_message(self, payload: bytes) -> None:
        """An invalidation published by any process (this one included)."""
        if payload == INVALIDATE_ALL:
            self._drop_all()
        elif payload.startswith(USER) and payload[2:].isdigit():
            self._drop_user(int(payload[2:]))
        elif payload[:2] in ANNOUNCEMENTS:  # the broadcast's, not an invalidation
            return
        else:  # unknown: drop everything rather than guess
            self._drop_all()
        self._events.broadcast("invalidation", "received")

    def on_live(self) -> None:
        self._drop_all()  # what was missed while not subscribed
        self._live = True
        log.info("near_cache_live", seconds=self._seconds)

    def on_lost(self) -> None:
        if self._live:
            log.warning("near_cache_off")
        self._live = False  # no copies until subscribed again
        self._drop_all()

    # --- local copies -------------------------------------------------------------------
    def _keep(self, key: CacheKey, value: RankedList) -> None:
        self._local[key] = (time.monotonic() + self._seconds, value)
        self._local.move_to_end(key)
        self._models.add(key.model_id)
        while len(self._local) > self._max:
            self._local.popitem(last=False)

    def _drop_all(self) -> None:
        self._epoch += 1
        self._local.clear()
        self._models.clear()

    def _drop_user(self, user_id: int) -> None:
        self._epoch += 1
        for model_id in self._models:
            self._local.pop(CacheKey("user", model_id, user_id), None)
