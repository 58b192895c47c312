"""In-process TTL cache of ranked lists: the default when no Redis is configured."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from application.ports import NO_EVENTS, CacheKey, RecommendationCache, ServiceEvents
from domain.recommendation import RankedList


class InProcessRecommendationCache(RecommendationCache):
    """Bounded LRU with a TTL on every entry.

    Invalidate-all bumps a namespace number that is part of every key, so it never scans;
    the old entries age out of the LRU.
    """

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        self._events = events
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._namespace = 0
        self._user_generation: dict[int, int] = {}
        self._entries: OrderedDict[tuple[object, ...], tuple[float, RankedList]] = OrderedDict()

    def _key(self, key: CacheKey) -> tuple[object, ...]:
        generation = self._user_generation.get(key.subject_id, 0) if key.kind == "user" else 0
        return (self._namespace, key.kind, key.model_id, key.subject_id, generation)

    async def get(self, key: CacheKey) -> RankedList | None:
        internal = self._key(key)
        entry = self._entries.get(internal)
        if entry is None:
            self._events.cache_lookup("memory", "miss")
            return None
        expires_at, value = entry
        if expires_at <= self._clock():
            self._entries.pop(internal, None)
            self._events.cache_lookup("memory", "miss")
            return None
        self._entries.move_to_end(internal)
        self._events.cache_lookup("memory", "hit")
        return value

    async def put(self, key: CacheKey, value: RankedList) -> None:
        internal = self._key(key)
        self._entries[internal] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(internal)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def invalidate_all(self) -> None:
        self._namespace += 1
        self._user_generation.clear()

    async def invalidate_user(self, user_id: int) -> None:
        self._user_generation[user_id] = self._user_generation.get(user_id, 0) + 1

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._entries)
