"""SqlAlchemyModelRegistry on a real SQLite file: round-trips, upserts, ordering, durability."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.sql.engines import create_engine_for
from domain.errors import RegistryUnavailableError
from domain.model_version import DatasetStats, ModelVersion, TrainParams
from domain.training_job import JobStatus, JobTrigger, TrainingJob, TrainMode

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def version(model_id: str, created_at: datetime = T0, **changes: object) -> ModelVersion:
    full = ModelVersion(
        model_id=model_id,
        created_at=created_at,
        params=TrainParams(no_components=32, loss="bpr", epochs=5, learning_rate=0.1, item_alpha=1e-6),
        metrics={"precision_at_10": 0.125, "recall_at_10": 0.25, "auc": 0.9},
        dataset=DatasetStats(n_users=10, n_items=20, n_interactions=300),
        train_seconds=12.5,
        sha256="ab" * 32,
        status="ready",
        data_cutoff=datetime(2026, 11, 27, 23, 59, 59, 123456, tzinfo=UTC),
        job_id="job-1",
        extra={"history": [{"trial": 1, "value": 0.1}], "note": "été"},
    )
    return dataclasses.replace(full, **changes)  # type: ignore[arg-type]


def job(job_id: str, created_at: datetime = T0, **changes: object) -> TrainingJob:
    full = TrainingJob(
        job_id=job_id,
        trigger=JobTrigger.SCHEDULED,
        params=TrainParams(epochs=3, normalize_features=True),
        created_at=created_at,
        status=JobStatus.SCHEDULED,
        mode=TrainMode.PARTIAL,
        activate=False,
        scheduled_at=created_at + timedelta(hours=2),
    )
    return dataclasses.replace(full, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[SqlAlchemyModelRegistry]:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'registry.db'}")
    store = SqlAlchemyModelRegistry(engine)
    await store.create_schema()
    await store.create_schema()  # idempotent
    yield store
    await engine.dispose()


async def test_version_round_trip_keeps_every_field(registry: SqlAlchemyModelRegistry) -> None:
    original = version("m-1", created_at=datetime(2026, 11, 28, 4, 0, tzinfo=PARIS))
    await registry.add_version(original)

    loaded = await registry.get_version("m-1")

    assert loaded == original
    assert loaded is not None
    assert loaded.created_at.tzinfo == UTC
    assert loaded.created_at == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert await registry.get_version("nope") is None


async def test_version_with_empty_optionals(registry: SqlAlchemyModelRegistry) -> None:
    bare = version("m-2", status="failed", data_cutoff=None, job_id=None, extra={}, metrics={})
    await registry.add_version(bare)
    assert await registry.get_version("m-2") == bare


async def test_adding_a_version_again_replaces_it(registry: SqlAlchemyModelRegistry) -> None:
    await registry.add_version(version("m-1"))
    await registry.add_version(version("m-1", status="failed", train_seconds=1.0))

    assert [(v.model_id, v.status, v.train_seconds) for v in await registry.list_versions()] == [
        ("m-1", "failed", 1.0)
    ]


async def test_versions_and_jobs_are_listed_newest_first(registry: SqlAlchemyModelRegistry) -> None:
    for model_id, hours in [("b", 1), ("a", 3), ("c", 2), ("d", 3)]:
        await registry.add_version(version(model_id, created_at=T0 + timedelta(hours=hours)))
        await registry.save_job(job(f"j-{model_id}", created_at=T0 + timedelta(hours=hours)))

    assert [v.model_id for v in await registry.list_versions()] == ["d", "a", "c", "b"]
    assert [j.job_id for j in await registry.list_jobs()] == ["j-d", "j-a", "j-c", "j-b"]


async def test_job_round_trip_and_upsert(registry: SqlAlchemyModelRegistry) -> None:
    scheduled = job("j-1")
    await registry.save_job(scheduled)
    assert await registry.get_job("j-1") == scheduled

    running = scheduled.start(T0 + timedelta(hours=2)).with_progress(0.5)
    await registry.save_job(running)
    assert await registry.get_job("j-1") == running

    done = running.succeed(T0 + timedelta(hours=3), "m-9", {"auc": 0.8}, "activated: better by 0.01")
    await registry.save_job(done)

    assert await registry.list_jobs() == [done]
    loaded = await registry.get_job("j-1")
    assert loaded is not None
    assert (loaded.status, loaded.progress, loaded.model_id) == (JobStatus.SUCCEEDED, 1.0, "m-9")
    assert loaded.finished_at == T0 + timedelta(hours=3)
    assert loaded.finished_at.tzinfo == UTC
    assert await registry.get_job("missing") is None


async def test_failed_job_keeps_its_error_and_unset_activate(registry: SqlAlchemyModelRegistry) -> None:
    failed = job("j-2", activate=None, scheduled_at=None).start(T0).fail(T0, "interrupted by restart")
    await registry.save_job(failed)
    assert await registry.get_job("j-2") == failed


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


async def test_unusable_database_raises_registry_unavailable(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'no_schema.db'}")
    broken = SqlAlchemyModelRegistry(engine)  # create_schema never ran
    try:
        with pytest.raises(RegistryUnavailableError, match="no such table"):
            await broken.list_versions()
        with pytest.raises(RegistryUnavailableError):
            await broken.set_active("m-1")
    finally:
        await engine.dispose()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 100)
    garbage = create_engine_for(f"sqlite+aiosqlite:///{junk}")
    try:
        with pytest.raises(RegistryUnavailableError, match="not a database"):
            await SqlAlchemyModelRegistry(garbage).ping()
    finally:
        await garbage.dispose()
