"""SqlAlchemyInteractionSource against small hand-written SQLite sources with the default schema: what
only this adapter does (the port's behaviour runs in `tests/contract/test_source_contract.py`)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_engine_for
from domain.errors import InvalidArgumentError, SourceUnavailableError
from domain.interaction import PositiveRule
from tools.demo_data import SCHEMA_SQL

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
Event = tuple[int, int, str, float | None, str]


def ago(days: float) -> str:
    """A source DATETIME (naive UTC text, as MySQL and the demo store it) `days` before NOW."""
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def write_source(
    path: Path,
    titles: Iterable[tuple[int, str, bool]],
    interactions: Iterable[Event] = (),
    blacklist: Iterable[tuple[int, str | None]] = (),
    users: Iterable[int] = (),
    title_features: Iterable[tuple[int, str, float]] = (),
    user_features: Iterable[tuple[int, str, float]] = (),
) -> str:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(SCHEMA_SQL)
        conn.executemany("INSERT INTO titles (id, name, is_active) VALUES (?, ?, ?)", titles)
        columns = "user_id, title_id, int_type, raw_score, created_at"
        conn.executemany(f"INSERT INTO interactions ({columns}) VALUES (?, ?, ?, ?, ?)", interactions)
        conn.executemany("INSERT INTO blacklist (title_id, reason) VALUES (?, ?)", blacklist)
        conn.executemany("INSERT INTO users (id) VALUES (?)", [(user_id,) for user_id in users])
        conn.executemany(
            "INSERT INTO title_features (title_id, feature, weight) VALUES (?, ?, ?)", title_features
        )
        conn.executemany(
            "INSERT INTO user_features (user_id, feature, weight) VALUES (?, ?, ?)", user_features
        )
    return f"sqlite+aiosqlite:///{path}"


def active_titles(ids: Iterable[int]) -> list[tuple[int, str, bool]]:
    return [(title_id, f"Title {title_id}", True) for title_id in ids]


@pytest.fixture
async def engines() -> AsyncIterator[Callable[[str], AsyncEngine]]:
    created: list[AsyncEngine] = []

    def make(url: str) -> AsyncEngine:
        created.append(create_engine_for(url))
        return created[-1]

    yield make
    for engine in created:
        await engine.dispose()


@pytest.fixture
def source_for(engines: Callable[[str], AsyncEngine]) -> Callable[..., SqlAlchemyInteractionSource]:
    def make(url: str, rule: PositiveRule | None = None, **options: Any) -> SqlAlchemyInteractionSource:
        return SqlAlchemyInteractionSource(engines(url), rule or PositiveRule(), now=lambda: NOW, **options)

    return make


async def test_training_data_columns_and_dtypes(tmp_path: Path, source_for: Callable[..., Any]) -> None:
    events: list[Event] = [
        (1, 10, "rating", 4.5, "2026-11-27 08:30:00"),
        (2, 11, "view", None, "2026-11-28 09:00:00.250000"),
        (1, 11, "bookmark", None, "2026-11-26T23:00:00"),
    ]
    url = write_source(
        tmp_path / "s.db",
        [(10, "A", True), (11, "B", False)],
        events,
        users=[1, 2, 3],
        title_features=[(10, "genre:drama", 1.0), (11, "genre:comedy", 0.5)],
        user_features=[(1, "age:25-34", 1.0)],
    )

    data = await source_for(url).load_training_data()

    frame = data.interactions
    assert list(frame.columns) == ["user_id", "title_id", "int_type", "raw_score", "created_at"]
    assert (frame["user_id"].dtype, frame["title_id"].dtype) == (np.int64, np.int64)
    assert frame["raw_score"].dtype == np.float64
    assert frame["raw_score"].iloc[0] == 4.5
    assert math.isnan(frame["raw_score"].iloc[1])
    assert frame["created_at"].dtype == np.dtype("datetime64[ns]")
    assert frame["created_at"].iloc[1] == pd.Timestamp("2026-11-28 09:00:00.25")
    assert list(frame["int_type"].astype(str)) == ["rating", "view", "bookmark"]
    assert data.titles["id"].dtype == np.int64
    assert data.titles["is_active"].dtype == np.bool_
    assert data.titles["is_active"].tolist() == [True, False]
    assert data.title_features["weight"].dtype == np.float64
    assert data.title_features["feature"].tolist() == ["genre:drama", "genre:comedy"]
    assert data.user_features["user_id"].dtype == np.int64
    assert data.users["id"].tolist() == [1, 2, 3]
    assert data.cutoff == datetime(2026, 11, 28, 9, 0, 0, 250000, tzinfo=UTC)
    assert (data.stats.n_users, data.stats.n_items, data.stats.n_interactions) == (3, 2, 3)


async def test_empty_source_reads_as_empty_frames(tmp_path: Path, source_for: Callable[..., Any]) -> None:
    data = await source_for(write_source(tmp_path / "s.db", [])).load_training_data()

    assert len(data.interactions) == 0
    assert data.interactions["created_at"].dtype == np.dtype("datetime64[ns]")
    assert data.cutoff is None


async def test_unreadable_databases_raise_source_unavailable(
    tmp_path: Path, source_for: Callable[..., Any]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 100)
    with pytest.raises(SourceUnavailableError, match="not a database"):
        await source_for(f"sqlite+aiosqlite:///{junk}").ping()
    empty_file = source_for(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SourceUnavailableError, match="titles"):
        await empty_file.load_catalogue()
    remote = source_for("mysql+asyncmy://reader:s3cret-pw@127.0.0.1:1/site")
    with pytest.raises(SourceUnavailableError) as caught:
        await remote.seen_titles(1)
    assert "s3cret-pw" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


async def test_an_unknown_query_name_is_named(tmp_path: Path, source_for: Callable[..., Any]) -> None:
    url = write_source(tmp_path / "s.db", active_titles([1]))
    with pytest.raises(InvalidArgumentError, match="watch_history"):
        source_for(url, queries={"watch_history": "SELECT 1"})
