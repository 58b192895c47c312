"""Model registry and job store in any SQLAlchemy database (SQLite file by default)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.fencing import hold_fence
from adapters.registry.migrations import upgrade_to_head
from adapters.registry.rows import row_to_version, version_to_row
from adapters.registry.sqlalchemy_jobs import SqlAlchemyJobStore
from adapters.registry.tables import ACTIVE_MODEL_KEY, model_versions, registry_state
from adapters.registry.upsert import upsert
from adapters.sql.engines import registry_connection
from application.ports import ModelRegistry
from domain.model_version import ModelVersion


class SqlAlchemyModelRegistry(ModelRegistry, SqlAlchemyJobStore):
    """`ModelRegistry` and `JobStore` over one async engine; every write is one transaction, and a
    fenced one checks the trainer lease in that transaction (`fencing.py`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_schema(self) -> None:
        """Apply the Alembic migrations not yet applied (idempotent; run at every start)."""
        async with self._connection(write=True) as conn:
            await conn.run_sync(upgrade_to_head)

    async def add_version(self, version: ModelVersion, fence: int | None = None) -> None:
        """Insert the version, or replace the row of the same id (so a retried write is harmless)."""
        async with self._connection(write=True) as conn:
            await hold_fence(conn, fence)
            await upsert(conn, model_versions, version_to_row(version), "model_id")

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

    async def delete_version(self, model_id: str, fence: int | None = None) -> None:
        async with self._connection(write=True) as conn:
            await hold_fence(conn, fence)
            await conn.execute(delete(model_versions).where(model_versions.c.model_id == model_id))

    async def active_model_id(self) -> str | None:
        query = select(registry_state.c.value).where(registry_state.c.key == ACTIVE_MODEL_KEY)
        async with self._connection() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        return None if value is None else str(value)

    async def set_active(self, model_id: str, fence: int | None = None) -> None:
        async with self._connection(write=True) as conn:
            await hold_fence(conn, fence)
            await upsert(conn, registry_state, {"key": ACTIVE_MODEL_KEY, "value": model_id}, "key")

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Release pooled connections (the service's shutdown)."""
        await self._engine.dispose()

    def _connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "the model registry cannot be used", write)
