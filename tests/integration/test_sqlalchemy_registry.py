"""SqlAlchemyModelRegistry on a real SQLite file: durability, WAL, broken files (the port's behaviour
on every database runs in `tests/contract/test_registry_contract.py`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.sql.engines import create_engine_for
from domain.errors import RegistryUnavailableError

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[SqlAlchemyModelRegistry]:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'registry.db'}")
    store = SqlAlchemyModelRegistry(engine)
    await store.create_schema()
    await store.create_schema()  # idempotent
    yield store
    await engine.dispose()


async def test_active_model_survives_a_new_engine(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    engine = create_engine_for(url)
    first = SqlAlchemyModelRegistry(engine)
    await first.create_schema()
    assert await first.active_model_id() is None
    await first.set_active("m-1")
    await first.set_active("m-2")
    await engine.dispose()

    engine = create_engine_for(url)
    try:
        assert await SqlAlchemyModelRegistry(engine).active_model_id() == "m-2"
    finally:
        await engine.dispose()


async def test_sqlite_registry_runs_in_wal_mode(registry: SqlAlchemyModelRegistry, tmp_path: Path) -> None:
    await registry.ping()
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'registry.db'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    finally:
        await engine.dispose()


async def test_switch_to_wal_waits_for_a_writer_holding_a_fresh_file(tmp_path: Path) -> None:
    """Replicas opening a fresh registry file at once: SQLite refuses the WAL switch at once while
    another connection writes (no busy handler for it); the engine waits for the writer instead."""
    path = tmp_path / "fresh.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    release = asyncio.get_running_loop().call_later(0.3, writer.execute, "COMMIT")
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    finally:
        release.cancel()
        await engine.dispose()
        writer.close()


async def test_a_file_that_is_no_database_is_registry_unavailable(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 100)
    garbage = create_engine_for(f"sqlite+aiosqlite:///{junk}")
    try:
        with pytest.raises(RegistryUnavailableError, match="not a database"):
            await SqlAlchemyModelRegistry(garbage).ping()
    finally:
        await garbage.dispose()
