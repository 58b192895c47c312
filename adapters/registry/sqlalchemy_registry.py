"""Model registry and job store in any SQLAlchemy database (SQLite file by default)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import Table, delete, select, text, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.migrations import upgrade_to_head
from adapters.registry.rows import job_to_row, row_to_job, row_to_version, version_to_row
from adapters.registry.tables import ACTIVE_MODEL_KEY, jobs, model_versions, registry_state
from adapters.sql.engines import registry_connection
from application.ports import JobStore, ModelRegistry
from domain.model_version import ModelVersion
from domain.training_job import TrainingJob


class SqlAlchemyModelRegistry(ModelRegistry, JobStore):
    """`ModelRegistry` and `JobStore` over one async engine; every write is one transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_schema(self) -> None:
        """Apply the Alembic migrations not yet applied (idempotent; run at every start)."""
        async with self._connection(write=True) as conn:
            await conn.run_sync(upgrade_to_head)

    # --- ModelRegistry ------------------------------------------------------------------
    async def add_version(self, version: ModelVersion) -> None:
        """Insert the version, or replace the row of the same id (so a retried write is harmless)."""
        await self._upsert(model_versions, version_to_row(version), "model_id")

    async def get_version(self, model_id: str) -> ModelVersion | None:
        query = select(model_versions).where(model_versions.c.model_id == model_id)
        async with self._connection() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else row_to_version(row)

    async def list_versions(self) -> list[ModelVersion]:
        query = select(model_versions).order_by(
            model_versions.c.created_at.desc(), model_versions.c.model_id.desc()
        )
        async with self._connection() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [row_to_version(row) for row in rows]

    async def delete_version(self, model_id: str) -> None:
        async with self._connection(write=True) as conn:
            await conn.execute(delete(model_versions).where(model_versions.c.model_id == model_id))

    async def active_model_id(self) -> str | None:
        query = select(registry_state.c.value).where(registry_state.c.key == ACTIVE_MODEL_KEY)
        async with self._connection() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        return None if value is None else str(value)

    async def set_active(self, model_id: str) -> None:
        await self._upsert(registry_state, {"key": ACTIVE_MODEL_KEY, "value": model_id}, "key")

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Release pooled connections (the service's shutdown)."""
        await self._engine.dispose()

    # --- JobStore -----------------------------------------------------------------------
    async def save_job(self, job: TrainingJob) -> None:
        await self._upsert(jobs, job_to_row(job), "job_id")

    async def get_job(self, job_id: str) -> TrainingJob | None:
        async with self._connection() as conn:
            row = (await conn.execute(select(jobs).where(jobs.c.job_id == job_id))).mappings().first()
        return None if row is None else row_to_job(row)

    async def list_jobs(self) -> list[TrainingJob]:
        query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.job_id.desc())
        async with self._connection() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [row_to_job(row) for row in rows]

    # --- plumbing -----------------------------------------------------------------------
    async def _upsert(self, table: Table, values: Mapping[str, Any], key: str) -> None:
        changes = {name: value for name, value in values.items() if name != key}
        dialect = self._engine.dialect.name
        async with self._connection(write=True) as conn:
            if dialect == "sqlite":
                lite = sqlite_insert(table).values(**values)
                await conn.execute(lite.on_conflict_do_update(index_elements=[key], set_=changes))
            elif dialect == "postgresql":
                pg = postgresql_insert(table).values(**values)
                await conn.execute(pg.on_conflict_do_update(index_elements=[key], set_=changes))
            elif dialect in ("mysql", "mariadb"):
                await conn.execute(mysql_insert(table).values(**values).on_duplicate_key_update(**changes))
            else:
                await _update_or_insert(conn, table, values, key, changes)

    def _connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "the model registry cannot be used", write)


async def _update_or_insert(
    conn: AsyncConnection, table: Table, values: Mapping[str, Any], key: str, changes: Mapping[str, Any]
) -> None:
    """Portable fallback inside the caller's transaction, for dialects without a native upsert."""
    result = await conn.execute(update(table).where(table.c[key] == values[key]).values(**changes))
    if result.rowcount == 0:
        await conn.execute(table.insert().values(**values))
