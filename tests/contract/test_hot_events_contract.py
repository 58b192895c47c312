"""One behaviour for every `HotEventStore`: the in-memory fake, SQLite and MariaDB.

Adapter-specific behaviour (WAL and full sync, group commit, batched reads, close draining the
queue, recovery after a failed commit) stays in `tests/integration/test_events_store.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from adapters.memory.events import InMemoryHotEventStore
from adapters.registry.sqlalchemy_events import SqlAlchemyHotEventStore, create_events_engine
from domain.errors import RegistryUnavailableError
from domain.interaction import Interaction
from tests.contract.stores import ready, unusable

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
BIG = 2**63 - 1


def hot(user_id: int, title_id: int, seconds: float = 0, int_type: str = "view") -> Interaction:
    score = 4.5 if int_type == "rating" else None
    return Interaction(user_id, title_id, int_type, score, T0 + timedelta(seconds=seconds))


@pytest.fixture
async def store(db_url: str | None) -> AsyncIterator[Any]:
    url = db_url
    async with ready(url, InMemoryHotEventStore, SqlAlchemyHotEventStore, create_events_engine) as events:
        yield events


async def test_an_added_event_reads_back_whole_in_utc(store: Any) -> None:
    paris = timezone(timedelta(hours=1))
    event = Interaction(BIG, BIG, "rating", 4.5, datetime(2026, 11, 28, 13, 0, 0, 250000, tzinfo=paris))
    await store.add(event)

    [loaded] = await store.events_since(None)

    assert loaded == event
    assert loaded.created_at.tzinfo == UTC and loaded.raw_score == 4.5
    await store.ping()


async def test_titles_of_a_user_are_every_title_of_their_events(store: Any) -> None:
    for args in [(1, 10, 3), (1, 11, 1), (2, 12, 2), (1, 10, 5)]:
        await store.add(hot(*args))
    assert await store.titles_of_user(1) == frozenset({10, 11})
    assert await store.titles_of_user(2) == frozenset({12})
    assert await store.titles_of_user(3) == frozenset()


async def test_events_since_a_moment_are_inclusive_and_oldest_first(store: Any) -> None:
    assert await store.events_since(None) == []
    for args in [(1, 10, 3), (1, 11, 1), (2, 10, 2), (1, 10, 5), (BIG, BIG, 4)]:
        await store.add(hot(*args))

    everything = await store.events_since(None)
    later = await store.events_since(T0 + timedelta(seconds=3))

    assert [e.created_at for e in everything] == [T0 + timedelta(seconds=s) for s in (1, 2, 3, 4, 5)]
    assert [(e.user_id, e.title_id) for e in later] == [(1, 10), (BIG, BIG), (1, 10)]
    assert await store.events_since(T0 + timedelta(seconds=6)) == []
    assert await store.events_since((T0 + timedelta(seconds=3)).replace(tzinfo=None)) == later  # naive: UTC


async def test_concurrent_adds_all_return_committed(store: Any) -> None:
    await asyncio.gather(*(store.add(hot(i % 7 + 1, i, i / 1000)) for i in range(1, 201)))
    stored = await store.events_since(None)
    assert sorted(e.title_id for e in stored) == list(range(1, 201))
    assert await store.titles_of_user(1) == frozenset(range(7, 201, 7))


async def test_an_unusable_database_is_registry_unavailable(db_url: str | None) -> None:
    async with unusable(
        db_url, InMemoryHotEventStore, SqlAlchemyHotEventStore, create_events_engine
    ) as broken:
        with pytest.raises(RegistryUnavailableError):
            await broken.add(hot(1, 10))
        with pytest.raises(RegistryUnavailableError):
            await broken.events_since(None)
        with pytest.raises(RegistryUnavailableError):
            await broken.titles_of_user(1)
        await broken.close()
