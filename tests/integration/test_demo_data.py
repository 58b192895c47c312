"""The synthetic demo source: schema, content, determinism and idempotent creation."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_engine_for
from domain.interaction import PositiveRule
from tools.demo_data import DemoSummary, ensure_demo_source, generate_demo_source

pytestmark = pytest.mark.integration

CONTRACT_COLUMNS = {
    "titles": ["id", "name", "is_active"],
    "title_features": ["title_id", "feature", "weight"],
    "users": ["id"],
    "user_features": ["user_id", "feature", "weight"],
    "interactions": ["id", "user_id", "title_id", "int_type", "raw_score", "created_at"],
    "blacklist": ["title_id", "reason"],
}
STABLE_QUERIES = {
    "titles": "SELECT id, name, is_active FROM titles ORDER BY id",
    "title_features": "SELECT * FROM title_features ORDER BY rowid",
    "users": "SELECT id FROM users ORDER BY id",
    "user_features": "SELECT * FROM user_features ORDER BY rowid",
    "interactions": "SELECT id, user_id, title_id, int_type, raw_score FROM interactions ORDER BY id",
    "blacklist": "SELECT title_id, reason FROM blacklist ORDER BY title_id",
}


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def stamps(path: Path) -> list[datetime]:
    return [
        datetime.fromisoformat(str(v))
        for (v,) in query(path, "SELECT created_at FROM interactions ORDER BY id")
    ]


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, DemoSummary]:
    folder = tmp_path_factory.mktemp("demo")
    return generate_demo_source(folder / "a" / "demo.db"), generate_demo_source(folder / "b" / "demo.db")


def test_schema_is_the_contract_schema(twins: tuple[DemoSummary, DemoSummary]) -> None:
    path = twins[0].path
    tables = {name for (name,) in query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables - {"sqlite_sequence"} == set(CONTRACT_COLUMNS)
    for table, columns in CONTRACT_COLUMNS.items():
        assert [row[1] for row in query(path, f"PRAGMA table_info({table})")] == columns
    indexed = {
        query(path, f"PRAGMA index_info({name})")[0][2]
        for (_, name, *_) in query(path, "PRAGMA index_list(interactions)")
    }
    assert indexed == {"user_id", "created_at"}


def test_same_seed_gives_the_same_data_apart_from_the_time_offset(
    twins: tuple[DemoSummary, DemoSummary],
) -> None:
    first, second = twins
    for sql in STABLE_QUERIES.values():
        assert query(first.path, sql) == query(second.path, sql)
    offsets = {a - b for a, b in zip(stamps(first.path), stamps(second.path), strict=True)}
    assert offsets == {first.anchor.replace(tzinfo=None) - second.anchor.replace(tzinfo=None)}


def test_content_matches_the_demo_description(twins: tuple[DemoSummary, DemoSummary]) -> None:
    summary = twins[0]
    path = summary.path
    assert (summary.n_users, summary.n_titles) == (3000, 2000)
    assert 120_000 <= summary.n_interactions <= 180_000
    assert query(path, "SELECT COUNT(*) FROM interactions")[0][0] == summary.n_interactions
    per_user = dict(query(path, "SELECT user_id, COUNT(*) FROM interactions GROUP BY user_id"))
    assert all(per_user.get(user_id, 0) >= 5 for user_id in range(1, 3001))
    assert set(per_user) <= set(range(1, 3001))
    types = dict(query(path, "SELECT int_type, COUNT(*) FROM interactions GROUP BY int_type"))
    assert set(types) == {"rating", "view", "bookmark"}
    scores = {
        score
        for (score,) in query(path, "SELECT DISTINCT raw_score FROM interactions WHERE int_type = 'rating'")
    }
    assert scores == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert (
        query(path, "SELECT COUNT(*) FROM interactions WHERE int_type <> 'rating' AND raw_score IS NOT NULL")[
            0
        ][0]
        == 0
    )
    names = [name for (name,) in query(path, "SELECT name FROM titles")]
    assert all(re.fullmatch(r"Title \d+ \([A-Za-z-]+\)", str(name)) for name in names)
    genres = {f for (f,) in query(path, "SELECT DISTINCT feature FROM title_features")}
    assert len(genres) == 15
    assert all(str(f).startswith("genre:") for f in genres)
    prefixes = {str(f).split(":")[0] for (f,) in query(path, "SELECT feature FROM user_features")}
    assert prefixes == {"age", "country", "gender"}
    inactive = query(path, "SELECT COUNT(*) FROM titles WHERE NOT is_active")[0][0]
    assert 10 <= int(str(inactive)) <= 70
    assert all(reason for (_, reason) in query(path, "SELECT * FROM blacklist"))
    assert len(query(path, "SELECT * FROM blacklist")) == 5


def test_timestamps_end_at_generation_time(twins: tuple[DemoSummary, DemoSummary]) -> None:
    summary = twins[0]
    moments = stamps(summary.path)
    anchor = summary.anchor.replace(tzinfo=None)
    assert max(moments) <= anchor
    assert min(moments) >= anchor - timedelta(days=120)
    assert sum(moment >= anchor - timedelta(days=30) for moment in moments) > 0.15 * len(moments)


async def test_popular_window_has_data_and_excludes_ineligible(
    twins: tuple[DemoSummary, DemoSummary],
) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{twins[0].path}")
    try:
        catalogue = await SqlAlchemyInteractionSource(engine, PositiveRule()).load_catalogue()
        all_time = await SqlAlchemyInteractionSource(engine, PositiveRule(), 365).load_catalogue()
    finally:
        await engine.dispose()
    assert len(catalogue.title_ids) == 2000
    banned = catalogue.inactive | {entry.title_id for entry in catalogue.source_blacklist}
    assert len(catalogue.popular) == 2000 - len(banned)
    assert not banned & set(catalogue.popular.title_ids)
    assert catalogue.popular.scores[199] > 0  # the 30-day window alone ranks at least 200 titles
    assert catalogue.popular.scores[0] < all_time.popular.scores[0] / 2


def test_ensure_creates_only_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "demo.db"
    assert ensure_demo_source(path) is True
    first = path.read_bytes()
    assert ensure_demo_source(path) is False
    assert path.read_bytes() == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.db"]  # no temporary file left
