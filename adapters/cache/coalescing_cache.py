"""Concurrent misses of one key computed once in this process (the cache's stampede rule).

The use cases call `get`, compute on a miss, then `put`. Wrapped around any cache, this makes the
first miss of a key return None at once (its caller computes) and makes every later `get` of that
key wait for that caller's `put` and return its list. When that put does not come within
`wait_seconds` (the caller failed or was cancelled), waiters return None and compute themselves.
Invalidations release the waiters of the keys they drop. Replicas do not coalesce with each other.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from application.ports import CacheKey, RecommendationCache
from domain.recommendation import RankedList

WAIT_SECONDS = 2.0
SWEEP_ABOVE = 1_000


@dataclass(slots=True)
class _Flight:
    done: asyncio.Future[RankedList | None]
    started: float


class CoalescingCache(RecommendationCache):
    """`RecommendationCache` that lets one caller compute a missing list while the others wait."""

    def __init__(self, inner: RecommendationCache, wait_seconds: float = WAIT_SECONDS) -> None:
        self._inner = inner
        self._wait = wait_seconds
        self._flights: dict[CacheKey, _Flight] = {}

    @property
    def inner(self) -> RecommendationCache:
        return self._inner

    async def get(self, key: CacheKey) -> RankedList | None:
        value = await self._inner.get(key)
        if value is not None:
            return value
        loop = asyncio.get_running_loop()
        flight = self._flights.get(key)
        if flight is None or loop.time() - flight.started > self._wait:
            if flight is not None:
                self._land(key, None)
            self._sweep(loop.time())
            self._flights[key] = _Flight(loop.create_future(), loop.time())
            return None  # this caller computes
        try:
            return await asyncio.wait_for(asyncio.shield(flight.done), self._wait)
        except TimeoutError:
            self._land(key, None)
            return None

    async def put(self, key: CacheKey, value: RankedList) -> None:
        self._land(key, value)
        await self._inner.put(key, value)

    async def invalidate_all(self) -> None:
        for key in list(self._flights):
            self._land(key, None)
        await self._inner.invalidate_all()

    async def invalidate_user(self, user_id: int) -> None:
        for key in [k for k in self._flights if k.kind == "user" and k.subject_id == user_id]:
            self._land(key, None)
        await self._inner.invalidate_user(user_id)

    async def ping(self) -> None:
        await self._inner.ping()

    async def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            await close()

    def _land(self, key: CacheKey, value: RankedList | None) -> None:
        flight = self._flights.pop(key, None)
        if flight is not None and not flight.done.done():
            flight.done.set_result(value)

    def _sweep(self, now: float) -> None:
        """Forget flights whose caller never put (e.g. the source failed), past a size."""
        if len(self._flights) < SWEEP_ABOVE:
            return
        for key in [k for k, f in self._flights.items() if now - f.started > self._wait]:
            self._land(key, None)
