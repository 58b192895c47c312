"""Ranked lists in Redis: shared by every replica, bypassed while Redis is down.

Keys under `prefix` (every one with a TTL):
- `{prefix}:ns`: the namespace number; invalidate-all INCRs it, so old lists become unreachable
  without a scan and age out by their TTL.
- `{prefix}:ugen:{user}`: the user's generation; invalidate-one-user INCRs it, which drops that
  user's lists of every model version at once.
- `{prefix}:v:{ns}:{kind}:{model}:{subject}:{generation}`: one list, packed int64 ids + float32 scores.

A get reads namespace, generation and list in one round trip (a Lua script) and remembers the key it
missed; the put that follows writes exactly that key, so a list computed before an invalidation is
never stored where later reads would find it. Each put refreshes the TTL of the namespace and
generation keys, which therefore outlive every list that depends on them.

Connections (`redis_connect`): reads, puts and invalidations go through one auto-pipelined
connection (`redis_pipelined`: much less Python per command than redis-py's pooled client, and no
pool whose new connections miss the short connect timeout under load, which silently dropped
invalidations); `ping` and loading the script use redis-py. TLS (`rediss://`) uses redis-py throughout.
"""

from __future__ import annotations

import sys
import time
from array import array
from collections import OrderedDict
from typing import Any

import numpy as np
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.cache.broadcast_messages import INVALIDATE_ALL, invalidate_user_message
from adapters.cache.redis_connect import connect, database_of, pipelined_twin, replica_channel
from adapters.cache.redis_pipelined import RespError, bulk, pack
from application.ports import NO_EVENTS, CacheKey, RecommendationCache, ServiceEvents
from domain.errors import CacheUnavailableError
from domain.recommendation import RankedList

log = structlog.get_logger(__name__)

BYPASS_SECONDS = 1.0  # after a failure, skip Redis this long before trying it again
PENDING_KEYS = 10_000
MAGIC = b"RL1"
_ID = np.dtype("<i8")
_SCORE = np.dtype("<f4")

_GET_SCRIPT = """
local ns = redis.call('GET', KEYS[1]) or '0'
local gen = '0'
if #KEYS > 1 then gen = redis.call('GET', KEYS[2]) or '0' end
local key = ARGV[1] .. ns .. ':' .. ARGV[2] .. ':' .. gen
return {key, redis.call('GET', key)}
"""


def encode(value: RankedList) -> bytes:
    ids = np.asarray(value.title_ids, dtype=_ID).tobytes()
    return MAGIC + ids + np.asarray(value.scores, dtype=_SCORE).tobytes()


def decode(blob: bytes) -> RankedList | None:
    """The list packed by `encode`; None for anything else. (`array` is cheaper than numpy
    for a list this short, decoded on every cached request.)"""
    body = memoryview(blob)[len(MAGIC) :]
    if not blob.startswith(MAGIC) or len(body) % (_ID.itemsize + _SCORE.itemsize):
        return None
    n = len(body) // (_ID.itemsize + _SCORE.itemsize)
    ids, scores = array("q"), array("f")
    ids.frombytes(body[: n * _ID.itemsize])
    scores.frombytes(body[n * _ID.itemsize :])
    if sys.byteorder != "little":
        ids.byteswap()
        scores.byteswap()
    return RankedList(tuple(ids), tuple(scores))


class RedisRecommendationCache(RecommendationCache):
    """`RecommendationCache` in Redis; never raises to callers except from `ping`."""

    def __init__(
        self,
        client: Redis,
        ttl_seconds: int,
        prefix: str = "rec",
        announce: bool = True,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        """`announce`: publish every invalidation on the replicas' channel (`replica_channel`, in the
        same transaction as the counter it bumps), for the processes that keep near copies."""
        self._events = events
        self._redis = client
        self._ttl = int(ttl_seconds)
        self._prefix = prefix
        self._channel = replica_channel(prefix, database_of(client)) if announce else None
        self._get_list = client.register_script(_GET_SCRIPT)
        self._fast = pipelined_twin(client)
        # EVALSHA sha numkeys ns-key [generation-key] list-prefix subject: the constant parts, packed once
        namespace, sha = self._namespace_key, self._get_list.sha
        self._get_heads = {n: pack(["EVALSHA", sha, n, namespace], size=4 + n + 1) for n in (1, 2)}
        self._list_prefix = bulk(f"{prefix}:v:")
        self._pending: OrderedDict[CacheKey, str] = OrderedDict()
        self._retry_at = 0.0

    @classmethod
    def from_url(
        cls,
        url: str,
        ttl_seconds: int,
        prefix: str = "rec",
        announce: bool = True,
        events: ServiceEvents = NO_EVENTS,
    ) -> RedisRecommendationCache:
        return cls(connect(url), ttl_seconds, prefix, announce, events)

    @property
    def channel(self) -> bytes | None:
        """Where invalidations are announced (None: they are not)."""
        return self._channel

    async def get(self, key: CacheKey) -> RankedList | None:
        if self._bypassed():
            self._events.cache_lookup("redis", "error")
            return None
        try:
            redis_key, blob = await self._lookup(key)
        except (RedisError, RespError, OSError) as exc:
            self._failed(exc)
            self._events.cache_lookup("redis", "error")
            return None
        value = None if blob is None else decode(blob)
        self._events.cache_lookup("redis", "miss" if value is None else "hit")
        if value is None:
            self._pending[key] = redis_key
            self._pending.move_to_end(key)
            while len(self._pending) > PENDING_KEYS:
                self._pending.popitem(last=False)
        return value

    async def put(self, key: CacheKey, value: RankedList) -> None:
        if self._bypassed():
            return
        try:
            redis_key = self._pending.pop(key, None) or (await self._lookup(key))[0]
            commands: list[tuple[str | bytes | int, ...]] = [
                ("SET", redis_key, encode(value), "EX", self._ttl),
                ("EXPIRE", self._namespace_key, self._ttl),
            ]
            if key.kind == "user":
                commands.append(("EXPIRE", self._generation_key(key.subject_id), self._ttl))
            await self._run(commands)
        except (RedisError, RespError, OSError) as exc:
            self._failed(exc)

    async def invalidate_all(self) -> None:
        await self._bump(self._namespace_key, INVALIDATE_ALL)

    async def invalidate_user(self, user_id: int) -> None:
        await self._bump(self._generation_key(user_id), invalidate_user_message(user_id))

    async def ping(self) -> None:
        """Always asks Redis (also while bypassed), so /health shows the truth."""
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            raise CacheUnavailableError(f"redis does not answer: {type(exc).__name__}: {exc}") from None
        self._recovered()

    async def close(self) -> None:
        if self._fast is not None:
            await self._fast.close()
        await self._redis.aclose()

    # --- plumbing -----------------------------------------------------------------------
    @property
    def _namespace_key(self) -> str:
        return f"{self._prefix}:ns"

    def _generation_key(self, user_id: int) -> str:
        return f"{self._prefix}:ugen:{user_id}"

    async def _lookup(self, key: CacheKey) -> tuple[str, bytes | None]:
        keys = [self._namespace_key]
        if key.kind == "user":
            keys.append(self._generation_key(key.subject_id))
        args = [f"{self._prefix}:v:", f"{key.kind}:{key.model_id}:{key.subject_id}"]
        found: Any = None
        if self._fast is not None:
            command = b"".join(
                [self._get_heads[len(keys)], *map(bulk, keys[1:]), self._list_prefix, bulk(args[1])]
            )
            found = (await self._fast.call_packed(command))[0]
            if isinstance(found, RespError):
                if not str(found).startswith("NOSCRIPT"):
                    raise found
                found = None  # a new or flushed server: redis-py loads the script
        if found is None:
            found = await self._get_list(keys=keys, args=args)
        self._recovered()
        return found[0].decode(), (found[1] if len(found) > 1 else None)

    async def _run(self, commands: list[tuple[str | bytes | int, ...]], *, transaction: bool = False) -> None:
        """Commands back to back on the fast connection (redis-py's pipeline without one)."""
        if self._fast is None:
            async with self._redis.pipeline(transaction=transaction) as pipe:
                for command in commands:
                    pipe.execute_command(*command)
                await pipe.execute()
            return
        if transaction:
            commands = [("MULTI",), *commands, ("EXEC",)]
        for reply in await self._fast.call_many(commands):
            if isinstance(reply, RespError):
                raise reply

    async def _bump(self, counter: str, message: bytes) -> None:
        """Invalidations are best effort while Redis is down: the lists age out by their TTL."""
        commands: list[tuple[str | bytes | int, ...]] = [("INCR", counter), ("EXPIRE", counter, self._ttl)]
        if self._channel is not None:
            commands.append(("PUBLISH", self._channel, message))
        try:
            await self._run(commands, transaction=True)
        except (RedisError, RespError, OSError) as exc:
            self._failed(exc)
            return
        self._recovered()
        if self._channel is not None:
            self._events.broadcast("invalidation", "sent")

    def _bypassed(self) -> bool:
        return time.monotonic() < self._retry_at

    def _failed(self, exc: BaseException) -> None:
        if self._retry_at == 0.0:
            log.warning("cache_bypassed", error=f"{type(exc).__name__}: {exc}", retry_seconds=BYPASS_SECONDS)
        self._retry_at = time.monotonic() + BYPASS_SECONDS

    def _recovered(self) -> None:
        if self._retry_at != 0.0:
            log.info("cache_back")
            self._retry_at = 0.0
