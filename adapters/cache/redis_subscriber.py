"""Listening to one Redis channel, for the near cache's invalidation messages.

A `Listener` is what the near cache needs: `run` subscribes, calls `on_live()` once the subscription
is confirmed, `on_message(payload)` for every message, and returns or raises when the subscription
ends (the caller starts it again).

Two implementations: `LeanListener`, a bare `asyncio.Protocol` that reuses the RESP2 parser of
`redis_pipelined` (redis-py's PubSub costs enough CPU per message to weigh on the hot-event path,
every hot event being announced to every replica), and `RedisPyListener` for
TLS, which `redis_pipelined` does not do. A quiet lean subscription is checked with a PING every
`HEALTH_SECONDS`: no answer within `timeout` ends it, so a silently dead connection is noticed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

from adapters.cache.redis_pipelined import RespError, drain, pack

OnLive = Callable[[], None]
OnMessage = Callable[[bytes], None]


class Listener(Protocol):
    channel: bytes

    async def run(self, on_live: OnLive, on_message: OnMessage) -> None: ...

    async def close(self) -> None: ...


HEALTH_SECONDS = 5.0


class _Subscriber(asyncio.Protocol):
    def __init__(self, on_live: OnLive, on_message: OnMessage, expect_auth: bool) -> None:
        self._on_live = on_live
        self._on_message = on_message
        self._expect_auth = expect_auth
        self._buffer = bytearray()
        self.heard = time.monotonic()
        self.closing = False
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.heard = time.monotonic()
        self._buffer += data
        try:
            drain(self._buffer, self._handle)
        except OSError as exc:
            self._end(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(OSError(f"subscription to Redis lost: {exc or 'closed'}"))

    def _handle(self, reply: object) -> None:
        if isinstance(reply, RespError):
            raise OSError(f"Redis refused the subscription: {reply}")
        if self._expect_auth:  # the first reply answers AUTH
            self._expect_auth = False
            return
        if not isinstance(reply, list) or not reply:
            return
        kind = reply[0]
        if kind == b"message" and len(reply) == 3 and isinstance(reply[2], bytes):
            self._on_message(reply[2])
        elif kind == b"subscribe":
            self._on_live()
        # b"pong": only refreshes `heard`

    def _end(self, exc: OSError) -> None:
        if self.ended.done():
            return
        if self.closing:  # closed by us: nobody waits for the reason
            self.ended.set_result(None)
        else:
            self.ended.set_exception(exc)


class LeanListener(Listener):
    def __init__(
        self,
        channel: bytes,
        host: str = "127.0.0.1",
        port: int = 6379,
        *,
        path: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 1.0,
        health_seconds: float = HEALTH_SECONDS,
    ) -> None:
        self.channel = channel
        self._health = health_seconds
        self._address = (host, port, path)
        self._hello: list[list[bytes | str | int]] = []
        if password:
            self._hello.append(["AUTH", *([username] if username else []), password])
        self._timeout = timeout

    async def run(self, on_live: OnLive, on_message: OnMessage) -> None:
        loop = asyncio.get_running_loop()
        host, port, path = self._address

        def protocol() -> _Subscriber:
            return _Subscriber(on_live, on_message, expect_auth=bool(self._hello))

        async with asyncio.timeout(self._timeout):
            if path:
                transport, subscriber = await loop.create_unix_connection(protocol, path)
            else:
                transport, subscriber = await loop.create_connection(protocol, host, port)
        try:
            commands: list[list[bytes | str | int]] = [*self._hello, ["SUBSCRIBE", self.channel]]
            transport.write(b"".join(pack(command) for command in commands))
            while True:
                done, _ = await asyncio.wait([subscriber.ended], timeout=self._health)
                if done:
                    subscriber.ended.result()  # raises why it ended
                    return
                if time.monotonic() - subscriber.heard >= self._health:
                    pinged = time.monotonic()
                    transport.write(pack(["PING"]))
                    await asyncio.wait([subscriber.ended], timeout=self._timeout)
                    if subscriber.heard < pinged and not subscriber.ended.done():
                        raise OSError(f"Redis did not answer a PING within {self._timeout:g} s")
        finally:
            subscriber.closing = True
            transport.abort()

    async def close(self) -> None:
        return None


class RedisPyListener(Listener):
    """The same through redis-py's PubSub (TLS); `client` must have no read timeout."""

    def __init__(self, client: Redis, channel: bytes) -> None:
        self.channel = channel
        self._client = client

    async def run(self, on_live: OnLive, on_message: OnMessage) -> None:
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    on_live()
                elif message["type"] == "message":
                    on_message(message["data"])
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self._client.aclose()
