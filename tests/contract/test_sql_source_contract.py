"""What only the SQL source has, the same on every database: SqlAlchemyInteractionSource on SQLite
and MariaDB (the port's behaviour, fake included, is in `test_source_contract.py`).

On MariaDB the bulk reads go through asyncmy's unbuffered cursor, on SQLite through SQLAlchemy's
streaming: both must give the same training columns and follow the same replaced queries.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import structlog

from adapters.source.queries import SEEN_INDEX_STATEMENT, SourceQueryError
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_engine_for, create_source_engine
from domain.errors import SourceUnavailableError
from domain.interaction import PositiveRule
from tests.contract.source_data import NOW, Event, active, ago, fill_source

pytestmark = pytest.mark.integration

Make = Callable[..., Awaitable[SqlAlchemyInteractionSource]]


@pytest.fixture(params=["sqlite", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    request.applymarker(pytest.mark.mysql)
    return str(request.getfixturevalue("mysql_db").url)


@pytest.fixture
async def make_source(database_url: str) -> AsyncIterator[Make]:
    created: list[SqlAlchemyInteractionSource] = []

    async def make(
        *rows: Any, queries: dict[str, str] | None = None, **named: Any
    ) -> SqlAlchemyInteractionSource:
        await fill_source(database_url, *rows, **named)
        source = SqlAlchemyInteractionSource(
            create_source_engine(database_url), PositiveRule(), now=lambda: NOW, queries=queries
        )
        created.append(source)
        return source

    yield make
    for source in created:
        await source.close()


async def test_seen_titles_follow_a_replaced_interactions_query_with_a_percent_sign(
    make_source: Make,
) -> None:
    events: list[Event] = [(1, 10, "view", None, ago(1)), (1, 11, "rating", 5.0, ago(1))]
    only_views = (
        "SELECT user_id, title_id, int_type, raw_score, created_at FROM interactions "
        "WHERE int_type LIKE 'vi%'"
    )
    source = await make_source(active([10, 11]), events, queries={"interactions": only_views})

    assert await source.seen_titles(1) == frozenset({10})


async def test_training_columns_dtypes_and_values(make_source: Make) -> None:
    events: list[Event] = [
        (1, 10, "rating", 4.5, datetime(2026, 11, 27, 8, 30)),
        (2, 11, "view", None, datetime(2026, 11, 28, 9, 0)),
        (1, 11, "bookmark", None, datetime(2026, 11, 26, 23, 0)),
    ]
    source = await make_source(
        [(10, "Amélie", True), (11, "B", False)],
        events,
        user_ids=[1, 2, 3],
        title_feature_rows=[(10, "genre:drama", 1.0), (11, "genre:comedy", 0.5)],
        user_feature_rows=[(1, "age:25-34", 1.0)],
    )

    data = await source.load_training_data()

    frame = data.interactions.sort_values("created_at", ignore_index=True)
    assert (frame["user_id"].dtype, frame["title_id"].dtype) == (np.int64, np.int64)
    assert frame["created_at"].dtype == np.dtype("datetime64[ns]")
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2026-11-26 23:00"),
        pd.Timestamp("2026-11-27 08:30"),
        pd.Timestamp("2026-11-28 09:00"),
    ]
    assert list(frame["int_type"].astype(str)) == ["bookmark", "rating", "view"]
    assert frame["raw_score"].iloc[1] == 4.5 and math.isnan(frame["raw_score"].iloc[0])
    titles = data.titles.sort_values("id")
    assert titles["is_active"].tolist() == [True, False]
    assert titles["name"].tolist() == ["Amélie", "B"]
    assert sorted(data.title_features["feature"].astype(str)) == ["genre:comedy", "genre:drama"]
    assert data.title_features["weight"].dtype == np.float64
    assert sorted(data.users["id"].tolist()) == [1, 2, 3]
    assert data.cutoff == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def test_replaced_queries_and_literal_colons(make_source: Make) -> None:
    events: list[Event] = [(1, 1, "view", None, ago(1)), (1, 2, "bookmark", None, ago(1))]
    queries = {
        "titles": "SELECT name, is_active, id FROM titles WHERE id >= 2 AND name <> 'a :b';",
        "interactions": (
            "SELECT i.created_at, i.user_id AS user_id, i.title_id, i.int_type, i.raw_score "
            "FROM interactions AS i WHERE i.int_type <> 'view'"
        ),
    }
    source = await make_source(active([1, 2, 3]), events, queries=queries)

    assert await source.check_queries() is True
    catalogue = await source.load_catalogue()
    assert catalogue.title_ids == frozenset({2, 3})
    assert catalogue.popular.title_ids == (2, 3)
    assert await source.seen_titles(1) == frozenset({2})
    assert len((await source.load_training_data()).interactions) == 1


async def test_a_missing_column_or_failing_query_is_named(make_source: Make) -> None:
    no_flag = await make_source(active([1]), queries={"titles": "SELECT id, name FROM titles"})
    with pytest.raises(SourceQueryError, match=r"'titles' returns no column 'is_active'"):
        await no_flag.check_queries()
    with pytest.raises(SourceUnavailableError, match=r"'titles'.*'is_active'"):
        await no_flag.load_catalogue()
    broken = await make_source([], queries={"users": "SELECT id FROM members"})
    with pytest.raises(SourceQueryError, match=r"'users' fails.*members"):
        await broken.check_queries()


async def test_an_unreachable_source_is_unavailable_not_a_query_error() -> None:
    url = "mysql+asyncmy://reader:s3cret-pw@127.0.0.1:1/site"
    source = SqlAlchemyInteractionSource(create_source_engine(url), PositiveRule())
    try:
        assert await source.check_queries() is False
        with pytest.raises(SourceUnavailableError) as caught:
            await source.load_training_data()
        assert "s3cret-pw" not in str(caught.value) and "127.0.0.1" in str(caught.value)
    finally:
        await source.close()


@pytest.mark.mysql
async def test_start_advises_the_covering_index_until_the_source_has_it(mysql_db: Any) -> None:
    url = str(mysql_db.url)
    events: list[Event] = [(u, t, "view", None, ago(1)) for u in range(1, 41) for t in range(1, 11)]
    await fill_source(url, active(range(1, 11)), events)

    async def advice() -> list[dict[str, Any]]:
        source = SqlAlchemyInteractionSource(create_source_engine(url), PositiveRule())
        try:
            with structlog.testing.capture_logs() as logs:
                assert await source.check_queries() is True
        finally:
            await source.close()
        return [entry for entry in logs if entry["event"] == "source_seen_read_not_index_only"]

    before = await advice()
    assert [entry["statement"] for entry in before] == [SEEN_INDEX_STATEMENT]
    assert before[0]["log_level"] == "warning"

    engine = create_engine_for(url)  # the operator's DDL: the source engine is read-only
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(SEEN_INDEX_STATEMENT)
    finally:
        await engine.dispose()
    assert await advice() == []


@pytest.mark.mysql
async def test_a_seen_read_the_server_cannot_explain_gets_no_advice_and_start_goes_on(mysql_db: Any) -> None:
    url = str(mysql_db.url)
    await fill_source(url, active([1]), [(1, 1, "view", None, ago(1))])
    source = SqlAlchemyInteractionSource(create_source_engine(url), PositiveRule())
    source._seen_sql = "SELECT no_such_column FROM interactions WHERE user_id IN ({user_ids})"  # white box
    try:
        with structlog.testing.capture_logs() as logs:
            assert await source.check_queries() is True
    finally:
        await source.close()
    assert [entry for entry in logs if entry["event"] == "source_seen_read_not_index_only"] == []


async def test_the_tail_follows_a_replaced_interactions_query(make_source: Make) -> None:
    events: list[Event] = [(1, 10, "view", None, ago(1)), (1, 11, "rating", 5.0, ago(1))]
    only_views = (
        "SELECT user_id, title_id, int_type, raw_score, created_at FROM interactions "
        "WHERE int_type LIKE 'vi%' AND int_type <> 'x:y'"
    )
    source = await make_source(active([10, 11]), events, queries={"interactions": only_views})

    assert _pairs(await source.seen_pairs(ago(5).replace(tzinfo=UTC))) == {(1, 10)}
    assert _pairs(await source.seen_pairs(None)) == {(1, 10)}


def _pairs(found: object) -> set[tuple[int, int]]:
    users, titles = np.asarray(found.user_ids), np.asarray(found.title_ids)  # type: ignore[attr-defined]
    return set(zip(users.tolist(), titles.tolist(), strict=True))
