"""`ReplicaBroadcast` on the replicas' Redis channel (the one the near cache's invalidations use).

Publishing is one PUBLISH on an auto-pipelined connection with the cache's short timeout and no
retry: a message that cannot be sent is counted (`failed`) and dropped, and the receivers' registry
poll catches up. Every process subscribes once (`RedisChannel`); messages carry their origin, a
random token of this process, so the sender never applies its own announcement twice.
"""

from __future__ import annotations

import secrets
import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.cache.broadcast_messages import (
    ACTIVATED,
    BLACKLIST,
    HOT_EVENT,
    JOBS,
    activated_message,
    blacklist_message,
    decode_announcement,
    hot_event_message,
    jobs_message,
)
from adapters.cache.redis_channel import RedisChannel
from adapters.cache.redis_connect import connect, pipelined_twin
from adapters.cache.redis_pipelined import RespError
from application.ports import NO_EVENTS, BroadcastReceiver, ReplicaBroadcast, ServiceEvents
from application.ports.service_events import BroadcastKind
from domain.interaction import Interaction

log = structlog.get_logger(__name__)

BYPASS_SECONDS = 1.0
_KINDS: dict[bytes, BroadcastKind] = {
    ACTIVATED: "activation",
    BLACKLIST: "blacklist",
    HOT_EVENT: "hot_event",
    JOBS: "job",
}


class RedisBroadcast(ReplicaBroadcast):
    def __init__(self, client: Redis, channel: RedisChannel, events: ServiceEvents = NO_EVENTS) -> None:
        self.origin = secrets.token_hex(8)
        self._redis = client
        self._fast = pipelined_twin(client)
        self._channel = channel
        self._events = events
        self._receiver: BroadcastReceiver | None = None
        self._retry_at = 0.0

    @classmethod
    def from_url(cls, url: str, channel: RedisChannel, events: ServiceEvents = NO_EVENTS) -> RedisBroadcast:
        return cls(connect(url), channel, events)

    async def model_activated(self, model_id: str) -> None:
        await self._publish("activation", activated_message(self.origin, model_id))

    async def blacklist_changed(self) -> None:
        await self._publish("blacklist", blacklist_message(self.origin))

    async def hot_event(self, event: Interaction) -> None:
        await self._publish("hot_event", hot_event_message(self.origin, event))

    async def jobs_changed(self) -> None:
        await self._publish("job", jobs_message(self.origin))

    def listen(self, receiver: BroadcastReceiver) -> None:
        self._receiver = receiver
        self._channel.add(self)
        self._channel.start()

    async def close(self) -> None:
        await self._channel.close()
        if self._fast is not None:
            await self._fast.close()
        await self._redis.aclose()

    # --- the channel (`ChannelReceiver`) ------------------------------------------------
    def on_message(self, payload: bytes) -> None:
        receiver, kind = self._receiver, _KINDS.get(payload[:2])
        if receiver is None or kind is None:
            return  # an invalidation: the near cache's
        found = decode_announcement(payload)
        if found is None:
            log.warning("replica_message_malformed", kind=kind)
            return
        if found.origin == self.origin:
            return  # ours, applied already
        self._events.broadcast(kind, "received")
        if found.kind == ACTIVATED:
            receiver.model_activated(found.model_id)
        elif found.kind == BLACKLIST:
            receiver.blacklist_changed()
        elif found.kind == JOBS:
            receiver.jobs_changed()
        elif found.event is not None:
            receiver.hot_event(found.event)

    def on_live(self) -> None:
        if self._receiver is not None:
            self._receiver.resubscribed()

    def on_lost(self) -> None:
        return

    # --- publishing ---------------------------------------------------------------------
    async def _publish(self, kind: BroadcastKind, payload: bytes) -> None:
        if time.monotonic() < self._retry_at:
            self._events.broadcast(kind, "failed")
            return
        channel = self._channel.channel
        try:
            if self._fast is None:
                await self._redis.publish(channel, payload)
            else:
                reply = await self._fast.call("PUBLISH", channel, payload)
                if isinstance(reply, RespError):
                    raise reply
        except (RedisError, RespError, OSError) as exc:
            if self._retry_at == 0.0:
                log.warning("broadcast_failed", error=f"{type(exc).__name__}: {exc}", kind=kind)
            self._retry_at = time.monotonic() + BYPASS_SECONDS
            self._events.broadcast(kind, "failed")
            return
        if self._retry_at != 0.0:
            log.info("broadcast_back")
            self._retry_at = 0.0
        self._events.broadcast(kind, "sent")
