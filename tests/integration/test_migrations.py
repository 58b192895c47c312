"""Registry schema by Alembic: empty databases, re-runs, adoption of pre-migration databases, drift."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.registry import migrations as registry_migrations
from adapters.registry.migrations import current_revision, head_revision, upgrade_to
from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.registry.tables import metadata
from adapters.sql.engines import create_engine_for
from domain.errors import RegistryUnavailableError

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "mariadb"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    request.applymarker(pytest.mark.mysql)
    return str(request.getfixturevalue("mysql_db").url)


@pytest.fixture
async def engine(registry_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine_for(registry_url)
    yield built
    await built.dispose()


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _indexes(conn: Connection, table: str) -> dict[str, list[str]]:
    return {str(index["name"]): list(index["column_names"]) for index in inspect(conn).get_indexes(table)}


def _drift(conn: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


async def test_an_empty_database_is_migrated_to_head_and_a_rerun_changes_nothing(engine: AsyncEngine) -> None:
    registry = SqlAlchemyModelRegistry(engine)

    await registry.create_schema()
    async with engine.connect() as conn:
        assert await conn.run_sync(current_revision) == head_revision()
        assert {table.name for table in metadata.sorted_tables} <= await conn.run_sync(_tables)
    await registry.set_active("m-1")
    await registry.create_schema()  # every start runs it: idempotent, data kept

    assert await registry.active_model_id() == "m-1"
    async with engine.connect() as conn:
        assert await conn.run_sync(current_revision) == head_revision()


async def test_the_migrated_schema_is_what_the_code_expects(engine: AsyncEngine) -> None:
    """Fails when a table or column is added to registry_tables without a migration."""
    await SqlAlchemyModelRegistry(engine).create_schema()
    async with engine.connect() as conn:
        assert await conn.run_sync(_drift) == []


async def test_a_registry_created_before_migrations_is_adopted(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(
            text("INSERT INTO registry_state (`key`, value) VALUES ('active_model_id', 'm-old')")
        )
    registry = SqlAlchemyModelRegistry(engine)

    await registry.create_schema()

    assert await registry.active_model_id() == "m-old"
    async with engine.connect() as conn:
        assert await conn.run_sync(current_revision) == head_revision()


async def test_hot_events_of_a_0002_registry_move_to_the_covering_index_and_are_kept(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_to, "0002")
        await conn.execute(
            text(
                "INSERT INTO hot_events (user_id, title_id, int_type, raw_score, created_at) "
                "VALUES (7, 70, 'view', NULL, '2026-11-28T00:00:00.000000Z')"
            )
        )
        assert "ix_hot_events_user_id" in await conn.run_sync(_indexes, "hot_events")

    await SqlAlchemyModelRegistry(engine).create_schema()

    async with engine.connect() as conn:
        indexes = await conn.run_sync(_indexes, "hot_events")
        rows = (await conn.execute(text("SELECT user_id, title_id FROM hot_events"))).all()
    assert "ix_hot_events_user_id" not in indexes
    assert indexes["ix_hot_events_user_title"] == ["user_id", "title_id"]
    assert [tuple(row) for row in rows] == [(7, 70)]


async def test_replicas_starting_together_migrate_once_and_all_start(registry_url: str) -> None:
    engines = [create_engine_for(registry_url) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(SqlAlchemyModelRegistry(engine).create_schema() for engine in engines), return_exceptions=True
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
        async with engines[0].connect() as conn:
            assert await conn.run_sync(current_revision) == head_revision()
            assert await conn.run_sync(_drift) == []
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.mysql
async def test_a_migration_lock_held_too_long_stops_the_start_with_a_clear_error(
    mysql_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_migrations, "MIGRATION_LOCK_SECONDS", 1)
    holder, starter = create_engine_for(str(mysql_db.url)), create_engine_for(str(mysql_db.url))
    try:
        async with holder.connect() as conn:
            name = f"rec_registry_migrations:{mysql_db.name}"
            assert (await conn.exec_driver_sql("SELECT GET_LOCK(%s, 0)", (name,))).scalar() == 1
            with pytest.raises(RegistryUnavailableError, match="migrations wait for lock"):
                await SqlAlchemyModelRegistry(starter).create_schema()
    finally:
        await holder.dispose()
        await starter.dispose()


async def test_notes_of_a_0003_registry_move_out_of_activation_and_decisions_stay(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_to, "0003")
        for job_id, status, activation in (
            ("waiting", "scheduled", "waiting: job j-1 is running"),
            ("decided", "succeeded", "activated: no version was active"),
        ):
            await conn.execute(
                text(
                    "INSERT INTO jobs (job_id, `trigger`, status, mode, params, created_at, metrics, "
                    "progress, activation) VALUES (:job_id, 'scheduled', :status, 'full', '{}', "
                    "'2026-11-28T00:00:00.000000+00:00', '{}', 0.0, :activation)"
                ),
                {"job_id": job_id, "status": status, "activation": activation},
            )

    await SqlAlchemyModelRegistry(engine).create_schema()

    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT job_id, activation, note FROM jobs ORDER BY job_id"))).all()
    assert [tuple(row) for row in rows] == [
        ("decided", "activated: no version was active", None),
        ("waiting", None, "waiting: job j-1 is running"),
    ]


async def test_a_0006_registry_keeps_its_newest_running_experiment_under_the_new_index(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_to, "0006")
        for experiment_id, started in (("older", "2026-12-01"), ("newer", "2026-12-02")):  # an old race
            await conn.execute(
                text(
                    "INSERT INTO experiments (experiment_id, name, status, started_at, arms) "
                    "VALUES (:id, 'x', 'running', :started, '[]')"
                ),
                {"id": experiment_id, "started": f"{started}T00:00:00.000000+00:00"},
            )

    await SqlAlchemyModelRegistry(engine).create_schema()

    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                text("SELECT experiment_id, status, stopped_at, running_slot FROM experiments ORDER BY 1")
            )
        ).all()
        assert [tuple(row) for row in rows] == [
            ("newer", "running", None, 1),
            ("older", "stopped", "2026-12-02T00:00:00.000000+00:00", None),
        ]
        indexes = await conn.run_sync(_indexes, "experiments")
        assert indexes["ux_experiments_running_slot"] == ["running_slot"]
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            await conn.execute(
                text(
                    "INSERT INTO experiments (experiment_id, name, status, started_at, arms, running_slot) "
                    "VALUES ('third', 'x', 'running', '2026-12-03T00:00:00.000000+00:00', '[]', 1)"
                )
            )
