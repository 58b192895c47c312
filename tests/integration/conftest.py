"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis


@pytest.fixture
async def raw(redis_server: str) -> AsyncIterator[Redis]:
    """A plain redis-py client on the test server, to look behind the adapters' backs."""
    client = Redis.from_url(redis_server)
    yield client
    await client.aclose()
