"""A short-lived copy of recently read lists inside the process, in front of the shared Redis cache.

A cached request spent about as much CPU on its Redis round trip (the command, the socket system
calls, the wake-up of a request that waits on I/O) as on everything else it does. Most of that goes
when a list read a moment ago is answered from memory.

Coherence with the other replicas: every invalidation (all lists, or one user's) is published on
the channel `{prefix}:invalidations` after the Redis counters changed, and each process drops its
copies when the message arrives (on loopback it had arrived by the time the invalidating process
got its answer, in every try). Nothing is kept
while the subscription is not confirmed (at start, after a lost connection: copies are dropped and
the near layer stays off until it is back), and a read that was in flight when an invalidation
arrived is not kept. Every copy also expires after `seconds` (default 5), which bounds how long a
copy could outlive its Redis entry, or an invalidation lost in a network partition that the
subscriber has not noticed yet.

The in-process invalidations of this process drop its copies at once, before Redis is told.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from contextlib import suppress

import structlog

from adapters.cache.redis_cache import INVALIDATE_ALL, RedisRecommendationCache
from adapters.cache.redis_subscriber import Listener
from application.ports import NO_EVENTS, CacheKey, RecommendationCache, ServiceEvents
from domain.recommendation import RankedList

log = structlog.get_logger(__name__)

DEFAULT_SECONDS = 5.0
MAX_ENTRIES = 4096  # a list of 300 ids and scores is about 22 KB as Python objects
RESUBSCRIBE_SECONDS = 1.0


class RedisNearCache(RecommendationCache):
    """`RecommendationCache`: an in-process copy (LRU, `seconds` old at most) over Redis.

    `inner` must announce its invalidations (`RedisRecommendationCache(..., announce=True)`) on
    the channel `listener` listens to (`invalidation_listener`).
    """

    def __init__(
        self,
        inner: RedisRecommendationCache,
        listener: Listener,
        seconds: float = DEFAULT_SECONDS,
        max_entries: int = MAX_ENTRIES,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        self._events = events
        if inner.channel is None or inner.channel != listener.channel:
            raise ValueError("the shared cache must announce its invalidations where the listener listens")
        self._inner = inner
        self._listener = listener
        self._seconds = seconds
        self._max = max_entries
        self._local: OrderedDict[CacheKey, tuple[float, RankedList]] = OrderedDict()
        self._models: set[str] = set()  # model ids among the copies (to drop one user's copies)
        self._epoch = 0  # bumped by every invalidation seen: reads that spanned one keep nothing
        self._live = False  # the subscription is confirmed: copies may be kept
        self._listening: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def live(self) -> bool:
        return self._live

    async def get(self, key: CacheKey) -> RankedList | None:
        self._ensure_listening()
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
        self._closed = True
        self._live = False
        if self._listening is not None:
            self._listening.cancel()
            with suppress(asyncio.CancelledError):
                await self._listening
        await self._listener.close()
        await self._inner.close()

    # --- invalidation messages ----------------------------------------------------------
    def on_message(self, payload: bytes) -> None:
        """An invalidation published by any process (this one included)."""
        if payload == INVALIDATE_ALL:
            self._drop_all()
        elif payload.startswith(b"u:") and payload[2:].isdigit():
            self._drop_user(int(payload[2:]))
        else:  # not ours: drop everything rather than guess
            self._drop_all()

    def _ensure_listening(self) -> None:
        if self._listening is None and not self._closed:
            self._listening = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        while not self._closed:
            try:
                await self._listener.run(self._on_live, self.on_message)
            except Exception as exc:  # any failure: no copies until subscribed again
                if self._live:
                    log.warning("near_cache_off", error=f"{type(exc).__name__}: {exc}")
            finally:
                self._live = False
                self._drop_all()
            if not self._closed:
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    def _on_live(self) -> None:
        self._drop_all()  # what was missed while not subscribed
        self._live = True
        log.info("near_cache_live", seconds=self._seconds)

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
