"""One subscription per process to the replicas' Redis channel, shared by everything that listens.

The near cache (invalidations) and the broadcast (announcements) are receivers of the same
subscription: each is told when it is confirmed (`on_live`), lost (`on_lost`), and of every message,
and ignores the messages that are not its own. A lost subscription is tried again every second.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Protocol

import structlog

from adapters.cache.redis_subscriber import Listener

log = structlog.get_logger(__name__)

RESUBSCRIBE_SECONDS = 1.0


class ChannelReceiver(Protocol):
    def on_live(self) -> None: ...

    def on_lost(self) -> None: ...

    def on_message(self, payload: bytes) -> None: ...


class RedisChannel:
    def __init__(self, listener: Listener) -> None:
        self._listener = listener
        self._receivers: list[ChannelReceiver] = []
        self._live = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def channel(self) -> bytes:
        return self._listener.channel

    @property
    def live(self) -> bool:
        return self._live

    def add(self, receiver: ChannelReceiver) -> None:
        self._receivers.append(receiver)
        if self._live:
            receiver.on_live()

    def start(self) -> None:
        """Subscribe in the background (idempotent; cheap enough to call on every cache read)."""
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._listen())

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        self._set_lost()
        await self._listener.close()

    async def _listen(self) -> None:
        while not self._closed:
            try:
                await self._listener.run(self._on_live, self._on_message)
            except Exception as exc:  # any failure: receivers are told, then subscribe again
                if self._live:
                    log.warning("replica_channel_lost", error=f"{type(exc).__name__}: {exc}")
            finally:
                self._set_lost()
            if not self._closed:
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    def _on_live(self) -> None:
        self._live = True
        log.info("replica_channel_live", channel=self.channel.decode(errors="replace"))
        for receiver in self._receivers:
            receiver.on_live()

    def _on_message(self, payload: bytes) -> None:
        for receiver in self._receivers:
            try:
                receiver.on_message(payload)
            except Exception:  # one receiver's bug must not end the others' subscription
                log.exception("replica_message_failed")

    def _set_lost(self) -> None:
        was_live, self._live = self._live, False
        for receiver in self._receivers:
            receiver.on_lost()
        if was_live:
            log.info("replica_channel_off")
