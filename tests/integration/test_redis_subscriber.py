"""The lean invalidation listener on the real Redis: messages, authentication, dead servers."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.cache.redis_subscriber import LeanListener

pytestmark = [pytest.mark.integration, pytest.mark.redis]


@pytest.fixture
async def acl_user(redis_server: str) -> AsyncIterator[tuple[str, str]]:
    """A Redis user of this test alone that may only subscribe."""
    name, password = f"rectest_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    admin = Redis.from_url(redis_server)
    await admin.execute_command(
        "ACL", "SETUSER", name, "on", f">{password}", "resetchannels", "&rectest:*", "+subscribe", "+ping"
    )
    yield name, password
    await admin.execute_command("ACL", "DELUSER", name)
    await admin.aclose()


async def test_messages_arrive_in_order_after_the_subscription_is_confirmed(
    redis_server: str, acl_user: tuple[str, str]
) -> None:
    channel = f"rectest:{secrets.token_hex(4)}".encode()
    user, password = acl_user
    listener = LeanListener(channel, username=user, password=password)
    live, all_in = asyncio.Event(), asyncio.Event()
    got: list[bytes] = []

    def receive(payload: bytes) -> None:
        got.append(payload)
        if len(got) == 100:
            all_in.set()

    task = asyncio.create_task(listener.run(live.set, receive))
    publisher = Redis.from_url(redis_server)
    try:
        await asyncio.wait_for(live.wait(), 2)
        for n in range(100):
            await publisher.publish(channel, b"u:%d" % n)
        await publisher.publish(channel + b"-other", b"not ours")
        await asyncio.wait_for(all_in.wait(), 2)
        await asyncio.sleep(0.05)  # the other channel's message, had it come through
        assert got == [b"u:%d" % n for n in range(100)]
    finally:
        task.cancel()
        await publisher.aclose()


async def test_a_refused_login_ends_the_subscription_with_the_reason() -> None:
    listener = LeanListener(b"rectest:x", username="nobody", password="wrong")
    with pytest.raises(OSError, match="refused"):
        await asyncio.wait_for(listener.run(lambda: None, lambda _: None), 2)


async def test_a_server_that_stops_answering_is_noticed() -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts, reads, never answers

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    listener = LeanListener(b"rectest:x", port=port, timeout=0.2, health_seconds=0.2)
    live: list[bool] = []
    try:
        with pytest.raises(OSError, match="PING"):
            await asyncio.wait_for(listener.run(lambda: live.append(True), lambda _: None), 3)
        assert not live
    finally:
        server.close()


async def test_a_quiet_healthy_subscription_survives_its_health_checks(redis_server: str) -> None:
    channel = f"rectest:{secrets.token_hex(4)}".encode()
    listener = LeanListener(channel, timeout=0.5, health_seconds=0.1)
    live, arrived = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listener.run(live.set, lambda _: arrived.set()))
    publisher = Redis.from_url(redis_server)
    try:
        await asyncio.wait_for(live.wait(), 2)
        await asyncio.sleep(1.0)  # ten quiet periods, each answered by a PING
        assert not task.done(), task.exception() if task.done() else None
        await publisher.publish(channel, b"*")
        await asyncio.wait_for(arrived.wait(), 2)
    finally:
        task.cancel()
        await publisher.aclose()
