"""The `TrainingDataMerger` contract, run against the fake's merger and the SQL source's: hot events
join one read of the source as interactions, counted in its statistics, except events on titles
the source does not list (they wait for the title)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.memory.events import InMemoryEventMerger
from adapters.source.hot_event_merger import SourceTablesEventMerger
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_source_engine
from application.ports import TrainingData, TrainingDataMerger
from domain.interaction import Interaction, PositiveRule
from tests.contract.source_data import active, ago, fill_source, memory_source

EVENTS = [(1, 1, "rating", 5.0, ago(3)), (2, 2, "view", None, ago(2))]
Read = Callable[[], Awaitable[tuple[TrainingData, TrainingDataMerger]]]


@pytest.fixture(params=["memory", "sql"])
def read(request: pytest.FixtureRequest, tmp_path: Path) -> Read:
    async def run() -> Any:
        if request.param == "memory":
            data = await memory_source(active([1, 2, 3]), EVENTS).load_training_data()
            return data, InMemoryEventMerger()
        url = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
        await fill_source(url, active([1, 2, 3]), EVENTS, user_ids=[1, 2])
        engine = create_source_engine(url)
        try:
            return await SqlAlchemyInteractionSource(engine, PositiveRule()).load_training_data(), (
                SourceTablesEventMerger()
            )
        finally:
            await engine.dispose()

    return run


async def test_hot_events_join_as_interactions_and_unknown_titles_wait(read: Read) -> None:
    data, merger = await read()
    assert data.stats.n_interactions == 2
    now = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    merged = merger.with_events(
        data,
        [
            Interaction(3, 3, "bookmark", None, now),  # a user the source does not know yet
            Interaction(1, 2, "view", None, now),
            Interaction(1, 99, "view", None, now),  # a title the source does not list
        ],
    )
    assert merged.stats.n_interactions == 4
    assert data.stats.n_interactions == 2  # the read itself is left as it was


async def test_no_events_leave_the_read_as_it_was(read: Read) -> None:
    data, merger = await read()
    assert merger.with_events(data, []).stats.n_interactions == data.stats.n_interactions
