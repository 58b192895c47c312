"""One behaviour for the admin lookups: `SourceLookup` (titles by id, a user's history) and
`HotEventHistory`, over the in-memory fakes, SQLite and MariaDB (the same rows in each)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.memory.events import InMemoryHotEventStore
from adapters.memory.lookups import InMemoryHotEventHistory, InMemorySourceLookup
from adapters.registry.sqlalchemy_events import SqlAlchemyHotEventStore, create_events_engine
from adapters.registry.sqlalchemy_hot_history import SqlAlchemyHotEventHistory
from adapters.source.sqlalchemy_lookup import SqlAlchemySourceLookup
from adapters.sql.engines import create_source_engine
from application.ports import SourceLookup
from domain.errors import SourceUnavailableError
from domain.interaction import Interaction
from tests.contract.source_data import Event, ago, fill_source, memory_source

Make = Callable[..., Awaitable[SourceLookup]]
HOSTILE = "<img src=x onerror=alert(1)>"
BIG = 2**63 - 1


@pytest.fixture
async def make_lookup(db_url: str | None) -> AsyncIterator[Make]:
    engines: list[Any] = []

    async def make(titles: list[tuple[int, str, bool]], *rows: Any, **named: Any) -> SourceLookup:
        if db_url is None:
            return InMemorySourceLookup(memory_source(titles, *rows, **named), {i: n for i, n, _ in titles})
        await fill_source(db_url, titles, *rows, **named)
        engines.append(create_source_engine(db_url))
        return SqlAlchemySourceLookup(engines[-1])

    yield make
    for engine in engines:
        await engine.dispose()


async def test_titles_by_id_with_names_state_and_summed_features(make_lookup: Make) -> None:
    titles = [(1, HOSTILE, True), (2, "Amélie", False), (BIG, "Last", True), (4, "Unasked", True)]
    features = [(1, "genre:Drama", 1.0), (1, "genre:Drama", 0.5), (1, "studio:A", 2.0), (2, "zero", 0.0)]
    lookup = await make_lookup(titles, title_feature_rows=features)

    found = {t.title_id: t for t in await lookup.titles([1, 2, BIG, 99])}

    assert set(found) == {1, 2, BIG}  # 99 is not in the catalogue, 4 was not asked for
    assert found[1].name == HOSTILE and found[1].is_active
    assert dict(found[1].features) == {"genre:Drama": 1.5, "studio:A": 2.0}
    assert found[2].name == "Amélie" and not found[2].is_active and dict(found[2].features) == {}
    assert found[BIG].name == "Last"
    assert await lookup.titles([]) == []


async def test_a_users_interactions_newest_first_and_limited(make_lookup: Make) -> None:
    events: list[Event] = [
        (1, 10, "view", None, ago(3)),
        (1, 11, "rating", 4.5, ago(1)),
        (2, 12, "view", None, ago(0.5)),
        (1, 12, "bookmark", None, ago(2)),
    ]
    lookup = await make_lookup([(10, "A", True), (11, "B", True), (12, "C", True)], events)

    history = await lookup.user_interactions(1, 10)

    assert [(e.title_id, e.int_type, e.raw_score) for e in history] == [
        (11, "rating", 4.5),
        (12, "bookmark", None),
        (10, "view", None),
    ]
    assert all(e.user_id == 1 for e in history)
    assert history[0].created_at == ago(1).replace(tzinfo=UTC)
    assert [e.title_id for e in await lookup.user_interactions(1, 2)] == [11, 12]
    assert await lookup.user_interactions(3, 10) == []


async def test_an_unreachable_source_is_unavailable(db_url: str | None) -> None:
    if db_url is None:
        source = memory_source([(1, "A", True)])
        source.available = False
        lookup: SourceLookup = InMemorySourceLookup(source)
    else:
        lookup = SqlAlchemySourceLookup(create_source_engine(db_url))  # nothing created there
    with pytest.raises(SourceUnavailableError):
        await lookup.titles([1])
    with pytest.raises(SourceUnavailableError):
        await lookup.user_interactions(1, 5)


T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
async def hot(db_url: str | None) -> AsyncIterator[tuple[Any, Any]]:
    if db_url is None:
        store = InMemoryHotEventStore()
        yield store, InMemoryHotEventHistory(store)
        return
    engine = create_events_engine(db_url)
    store = SqlAlchemyHotEventStore(engine)
    await store.create_schema()
    try:
        yield store, SqlAlchemyHotEventHistory(engine)
    finally:
        await store.close()


async def test_hot_events_of_a_user_newest_first_and_limited(hot: tuple[Any, Any]) -> None:
    store, history = hot
    for user, title, seconds in [(1, 10, 3), (1, 11, 1), (2, 12, 9), (1, 12, 5), (BIG, 13, 2)]:
        await store.add(Interaction(user, title, "view", None, T0 + timedelta(seconds=seconds)))
    await store.add(Interaction(1, 14, "rating", 4.5, T0 + timedelta(seconds=5)))  # same moment as 12, later

    mine = await history.events_of_user(1, 10)

    assert [e.title_id for e in mine] == [14, 12, 10, 11]
    assert mine[0].raw_score == 4.5 and mine[0].created_at == T0 + timedelta(seconds=5)
    assert mine[0].created_at.tzinfo is not None
    assert [e.title_id for e in await history.events_of_user(1, 2)] == [14, 12]
    assert [e.title_id for e in await history.events_of_user(BIG, 10)] == [13]
    assert await history.events_of_user(3, 10) == []
