"""Hot events, the admin blacklist and feature lookups on real SQLite files: what only these adapters
do (the ports' behaviour runs in `tests/contract/`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.lightfm_engine.prepare import prepare
from adapters.registry.sqlalchemy_admin_blacklist import SqlAlchemyAdminBlacklist
from adapters.registry.sqlalchemy_events import SqlAlchemyHotEventStore, create_events_engine
from adapters.source.hot_event_merger import SourceTablesEventMerger
from adapters.source.sqlalchemy_features import SqlAlchemyFeatureSource
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_engine_for
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import RegistryUnavailableError, SourceUnavailableError
from domain.interaction import Interaction, PositiveRule
from tools.demo_data import SCHEMA_SQL

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = create_events_engine(url(tmp_path / "model_registry.db"))
    yield built
    await built.dispose()


@pytest.fixture
async def store(engine: AsyncEngine) -> SqlAlchemyHotEventStore:
    events = SqlAlchemyHotEventStore(engine)
    await events.create_schema()
    return events


def hot(user_id: int, title_id: int, seconds: float = 0, int_type: str = "view") -> Interaction:
    score = 4.5 if int_type == "rating" else None
    return Interaction(user_id, title_id, int_type, score, T0 + timedelta(seconds=seconds))


async def test_events_are_committed_with_wal_and_full_sync(engine: AsyncEngine, tmp_path: Path) -> None:
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 2  # FULL
    events = SqlAlchemyHotEventStore(engine)
    await events.create_schema()
    await events.add(hot(1, 10, int_type="rating"))
    # Another connection (another process, say) reads it right after add() returned.
    with closing(sqlite3.connect(tmp_path / "model_registry.db")) as other:
        rows = other.execute(
            "SELECT user_id, title_id, int_type, raw_score, created_at FROM hot_events"
        ).fetchall()
    assert rows == [(1, 10, "rating", 4.5, "2026-11-28T12:00:00.000000+00:00")]


async def test_concurrent_reads_by_user_share_a_query_and_stay_apart(
    store: SqlAlchemyHotEventStore, engine: AsyncEngine
) -> None:
    await asyncio.gather(*(store.add(hot(u, u * 100 + t, t)) for u in range(1, 21) for t in range(u)))
    reads = 0

    def count(*_args: object) -> None:
        nonlocal reads
        reads += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    found = await asyncio.gather(*(store.titles_of_user(u) for u in range(1, 22)))
    event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert found == [frozenset(u * 100 + t for t in range(u)) for u in range(1, 21)] + [frozenset()]
    assert reads <= 2  # one statement per batch, not one per user


async def test_a_burst_is_group_committed_and_none_is_lost(
    engine: AsyncEngine, store: SqlAlchemyHotEventStore
) -> None:
    commits = 0

    def count(*_: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(engine.sync_engine, "commit", count)
    await asyncio.gather(*(store.add(hot(i % 50 + 1, i, i / 1000)) for i in range(1, 801)))
    stored = await store.events_since(None)
    assert sorted(e.title_id for e in stored) == list(range(1, 801))
    assert commits < 100  # many events per transaction


async def test_a_failed_commit_fails_every_waiter(tmp_path: Path) -> None:
    events = SqlAlchemyHotEventStore(create_events_engine(url(tmp_path / "registry.db")))
    # no schema: every insert fails
    results = await asyncio.gather(*(events.add(hot(1, t)) for t in range(5)), return_exceptions=True)
    assert all(isinstance(r, RegistryUnavailableError) for r in results)
    await events.create_schema()
    await events.add(hot(1, 99))  # the store recovers once the database does
    assert await events.titles_of_user(1) == {99}
    await events.close()


async def test_close_waits_for_queued_commits(tmp_path: Path) -> None:
    events = SqlAlchemyHotEventStore(create_events_engine(url(tmp_path / "registry.db")))
    await events.create_schema()
    pending = [asyncio.create_task(events.add(hot(1, t))) for t in range(20)]
    await asyncio.sleep(0)
    await events.close()
    await asyncio.gather(*pending)
    with closing(sqlite3.connect(tmp_path / "registry.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM hot_events").fetchone() == (20,)


async def test_the_admin_blacklist_persists(tmp_path: Path) -> None:
    first_engine = create_engine_for(url(tmp_path / "model_registry.db"))
    first = SqlAlchemyAdminBlacklist(first_engine)
    await first.create_schema()
    await first.put(BlacklistEntry(7, "legal request", BlacklistOrigin.ADMIN))
    await first_engine.dispose()
    reopened_engine = create_engine_for(url(tmp_path / "model_registry.db"))
    reopened = SqlAlchemyAdminBlacklist(reopened_engine)
    assert await reopened.list_entries() == (BlacklistEntry(7, "legal request", BlacklistOrigin.ADMIN),)
    await reopened_engine.dispose()


# --- the source: one id's features ----------------------------------------------------------
def small_source(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(SCHEMA_SQL)
        conn.executemany("INSERT INTO titles (id, name, is_active) VALUES (?, ?, 1)", [(1, "a"), (2, "b")])
        conn.executemany(
            "INSERT INTO user_features (user_id, feature, weight) VALUES (?, ?, ?)",
            [(5, "age:25-34", 1.0), (5, "genre:drama", 0.5), (5, "genre:drama", 0.25), (5, "zero", 0.0)],
        )
        conn.executemany(
            "INSERT INTO title_features (title_id, feature, weight) VALUES (?, ?, ?)",
            [(2, "genre:drama", 1.0), (3, "genre:comedy", 1.0)],
        )
        conn.execute(
            "INSERT INTO interactions (user_id, title_id, int_type, raw_score, created_at) "
            "VALUES (5, 1, 'view', NULL, '2026-11-28 11:00:00')"
        )
    return url(path)


async def test_feature_lookups_follow_a_replaced_query(tmp_path: Path) -> None:
    engine = create_engine_for(small_source(tmp_path / "source.db"))
    replaced = SqlAlchemyFeatureSource(
        engine,
        queries={
            "user_features": "SELECT user_id, 'segment:' || feature AS feature, weight FROM user_features"
        },
    )
    assert await replaced.user_features(5) == {"segment:age:25-34": 1.0, "segment:genre:drama": 0.75}
    await engine.dispose()


async def test_hot_events_merge_into_source_tables_for_training(tmp_path: Path) -> None:
    engine = create_engine_for(small_source(tmp_path / "source.db"))
    data = await SqlAlchemyInteractionSource(engine, PositiveRule()).load_training_data()
    await engine.dispose()
    events = [hot(5, 2, 1, "bookmark"), hot(9, 1, 2, "rating"), hot(5, 77, 3, "view")]  # 77 is not listed
    merged = SourceTablesEventMerger().with_events(data, events)
    frame = merged.interactions  # type: ignore[attr-defined]
    assert len(frame) == 3 and list(frame["title_id"]) == [1, 2, 1]
    assert frame["created_at"].iloc[-1] == pd.Timestamp("2026-11-28 12:00:02")
    assert merged.cutoff == T0 + timedelta(seconds=2)
    prepared = prepare(merged, PositiveRule())  # type: ignore[arg-type]
    assert prepared.n_positives == 3 and list(prepared.users.ids) == [5, 9]


async def test_feature_lookups_on_a_missing_source_are_unavailable(tmp_path: Path) -> None:
    engine = create_engine_for(url(tmp_path / "absent" / "source.db"))
    with pytest.raises(SourceUnavailableError, match="features"):
        await SqlAlchemyFeatureSource(engine).title_features(1)
    await engine.dispose()
