"""One query for many concurrent lookups of single keys (the "data loader" pattern).

Under load, many requests miss the cache at once and each needs one user's rows ("seen" titles
from the source, hot events from the registry). Asking the database once per request costs a pool
checkout, a round trip and a statement each; asking once for every user waiting costs one of each.

`BatchedLookup.get(key)` queues the key; the queue is sent on the next turn of the event loop (so
the requests that arrived together share a query) as one call of `fetch(keys)`. At most
`max_in_flight` queries run at a time: keys that arrive meanwhile wait for the next one, so batches
grow with the load and a lone request never waits for a timer. A lookup always starts a query after
it was asked: it never reuses the answer of a query that was already running (what was committed
before the caller asked is in the answer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_BATCH = 256
MAX_IN_FLIGHT = 2


class BatchedLookup(Generic[K, V]):
    def __init__(
        self,
        fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]],
        missing: V,
        max_batch: int = MAX_BATCH,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        """`fetch(keys)` answers the keys it found; the others get `missing`."""
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be at least 1")
        self._fetch = fetch
        self._missing = missing
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._in_flight = 0
        self._dispatch_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        self._schedule()
        return await future

    def _schedule(self) -> None:
        if self._dispatch_scheduled or not self._waiting or self._in_flight >= self._max_in_flight:
            return
        self._dispatch_scheduled = True
        asyncio.get_running_loop().call_soon(self._dispatch)

    def _dispatch(self) -> None:
        self._dispatch_scheduled = False
        while self._waiting and self._in_flight < self._max_in_flight:
            batch: dict[K, list[asyncio.Future[V]]] = {}
            for key in list(self._waiting)[: self._max_batch]:
                batch[key] = self._waiting.pop(key)
            self._in_flight += 1
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)  # the loop keeps weak references only
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: dict[K, list[asyncio.Future[V]]]) -> None:
        try:
            found = await self._fetch(list(batch))
        except BaseException as exc:  # every waiter of the batch gets the failure
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # cancelled (shutdown): the waiters got the cancellation too
        else:
            for key, futures in batch.items():
                value = found.get(key, self._missing)
                for future in futures:
                    if not future.done():  # a caller that went away
                        future.set_result(value)
        finally:
            self._in_flight -= 1
            self._schedule()
