"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from tests.conftest import OwnRedis, free_port


@pytest.fixture
async def raw(redis_server: str) -> AsyncIterator[Redis]:
    """A plain redis-py client on the test server, to look behind the adapters' backs."""
    client = Redis.from_url(redis_server)
    yield client
    await client.aclose()


@pytest.fixture
def own_redis(redis_server: str) -> Iterator[OwnRedis]:
    """A redis-server of this test alone, which it may stop and start."""
    server = OwnRedis(free_port())
    server.start()
    yield server
    server.stop()
