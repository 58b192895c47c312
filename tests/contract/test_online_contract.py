"""One behaviour for every `OnlineCountStore` and `ExperimentStore`: the fakes, SQLite and MariaDB;
and the attributed counts of every `HotEventStore`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.memory.events import InMemoryHotEventStore
from adapters.memory.online import InMemoryExperimentStore, InMemoryOnlineCounts
from adapters.registry.sqlalchemy_events import SqlAlchemyHotEventStore, create_events_engine
from adapters.registry.sqlalchemy_experiments import SqlAlchemyExperimentStore
from adapters.registry.sqlalchemy_online_counts import SqlAlchemyOnlineCounts
from adapters.sql.engines import create_engine_for
from domain.errors import ConflictError, RegistryUnavailableError
from domain.experiment import Arm, Experiment
from domain.interaction import Interaction
from domain.online import Attribution, ServingContext
from tests.contract.stores import ready, unusable

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
A = ServingContext("m-1")
B = ServingContext("m-2", "e-1", "candidate")


@pytest.fixture
async def counts(db_url: str | None) -> AsyncIterator[Any]:
    async with ready(db_url, InMemoryOnlineCounts, SqlAlchemyOnlineCounts) as store:
        yield store


@pytest.fixture
async def experiments(db_url: str | None) -> AsyncIterator[Any]:
    async with ready(db_url, InMemoryExperimentStore, SqlAlchemyExperimentStore) as store:
        yield store


@pytest.fixture
async def events(db_url: str | None) -> AsyncIterator[Any]:
    async with ready(db_url, InMemoryHotEventStore, SqlAlchemyHotEventStore, create_events_engine) as store:
        yield store


async def test_lists_add_up_per_context(counts: Any) -> None:
    assert await counts.lists() == {}
    await counts.add_lists({"t-a": (A, 3)})
    await counts.add_lists({"t-a": (A, 2), "t-b": (B, 7)})
    await counts.add_lists({})
    assert await counts.lists() == {"t-a": (A, 5), "t-b": (B, 7)}
    await counts.ping()


async def test_replicas_adding_at_once_lose_nothing(db_url: str | None, counts: Any) -> None:
    if db_url is None:
        others = [counts, counts]
    else:
        engines = [create_engine_for(db_url) for _ in range(2)]
        others = [SqlAlchemyOnlineCounts(engine) for engine in engines]
    try:
        await counts.add_lists({"t-a": (A, 1), "t-b": (B, 2)})  # the rows exist: replicas then add
        await asyncio.gather(*(store.add_lists({"t-a": (A, 1), "t-b": (B, 2)}) for store in others * 5))
    finally:
        if db_url is not None:
            for engine in engines:
                await engine.dispose()
    assert await counts.lists() == {"t-a": (A, 11), "t-b": (B, 22)}


def experiment(experiment_id: str, minutes: int) -> Experiment:
    arms = [Arm("control", "m-1", 0.5), Arm("candidate", "m-2", 0.5)]
    return Experiment.start(experiment_id, f"test {experiment_id}", arms, T0 + timedelta(minutes=minutes))


async def test_experiments_read_back_whole_newest_first_and_one_runs(experiments: Any) -> None:
    assert await experiments.running() is None and await experiments.list_experiments() == []
    older, newer = experiment("e-1", 0), experiment("e-2", 5)
    await experiments.save(older)
    assert await experiments.running() == older
    stopped = older.stop(T0 + timedelta(minutes=3), promote="candidate")
    await experiments.save(stopped)
    await experiments.save(newer)

    assert await experiments.get("e-1") == stopped and stopped.winner == "candidate"
    assert await experiments.get("e-3") is None
    assert [e.experiment_id for e in await experiments.list_experiments()] == ["e-2", "e-1"]
    assert await experiments.running() == newer
    loaded = await experiments.get("e-2")
    assert loaded.started_at.tzinfo == UTC and loaded.arms == newer.arms


async def test_replicas_starting_experiments_at_once_start_one(db_url: str | None, experiments: Any) -> None:
    if db_url is None:
        stores, engines = [experiments, experiments], []
    else:
        engines = [create_engine_for(db_url) for _ in range(2)]
        stores = [SqlAlchemyExperimentStore(engine) for engine in engines]
    try:
        first, second = experiment("e-1", 0), experiment("e-2", 0)
        results = await asyncio.gather(stores[0].save(first), stores[1].save(second), return_exceptions=True)
    finally:
        for engine in engines:
            await engine.dispose()
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], ConflictError), results
    winner = first if results[0] is None else second
    assert await experiments.running() == winner
    assert [e.experiment_id for e in await experiments.list_experiments()] == [winner.experiment_id]
    # once it stops another may start; saving the running one again is no conflict
    await experiments.save(winner)
    await experiments.save(winner.stop(T0 + timedelta(minutes=1)))
    await experiments.save(experiment("e-3", 2))
    assert (await experiments.running()).experiment_id == "e-3"


def hot(user_id: int, title_id: int) -> Interaction:
    return Interaction(user_id, title_id, "view", None, T0)


async def test_attributed_events_count_events_and_distinct_lists_per_context(events: Any) -> None:
    assert await events.attributed() == {} and await events.unattributed() == 0
    await events.add(hot(1, 10), Attribution("aaaaaaaaaaaa-1", "aaaaaaaaaaaa"))
    await events.add(hot(1, 11), Attribution("aaaaaaaaaaaa-1", "aaaaaaaaaaaa"))  # the same list again
    await events.add(hot(2, 10), Attribution("aaaaaaaaaaaa-2", "aaaaaaaaaaaa"))
    await events.add(hot(3, 10), Attribution("bbbbbbbbbbbb-1", "bbbbbbbbbbbb"))
    await events.add(hot(4, 10), Attribution("nonsense", None))
    await events.add(hot(4, 11), Attribution("", None))
    await events.add(hot(5, 10))  # names no list
    await asyncio.gather(
        *(events.add(hot(6, t), Attribution(f"cccccccccccc-{t}", "cccccccccccc")) for t in range(50))
    )

    assert await events.attributed() == {
        "aaaaaaaaaaaa": (3, 2),
        "bbbbbbbbbbbb": (1, 1),
        "cccccccccccc": (50, 50),
    }
    assert await events.unattributed() == 2
    assert len(await events.events_since(None)) == 57  # every event is stored, attributed or not


async def test_an_unusable_database_is_registry_unavailable(db_url: str | None) -> None:
    async with unusable(db_url, InMemoryOnlineCounts, SqlAlchemyOnlineCounts) as broken:
        with pytest.raises(RegistryUnavailableError):
            await broken.add_lists({"t-a": (A, 1)})
        with pytest.raises(RegistryUnavailableError):
            await broken.lists()
    async with unusable(db_url, InMemoryExperimentStore, SqlAlchemyExperimentStore) as broken:
        with pytest.raises(RegistryUnavailableError):
            await broken.save(experiment("e-1", 0))
        with pytest.raises(RegistryUnavailableError):
            await broken.running()
    async with unusable(
        db_url, InMemoryHotEventStore, SqlAlchemyHotEventStore, create_events_engine
    ) as broken:
        with pytest.raises(RegistryUnavailableError):
            await broken.attributed()
        await broken.close()
