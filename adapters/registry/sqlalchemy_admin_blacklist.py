"""The admin blacklist in the registry database (one row per title)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.rows import to_stamp
from adapters.registry.tables import admin_blacklist, metadata
from adapters.sql.engines import registry_connection
from application.ports import AdminBlacklistStore
from domain.blacklist import BlacklistEntry, BlacklistOrigin


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlAlchemyAdminBlacklist(AdminBlacklistStore):
    """`AdminBlacklistStore`; a put replaces the title's row (delete + insert in one transaction)."""

    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime] = _utc_now) -> None:
        self._engine = engine
        self._now = now

    async def create_schema(self) -> None:
        async with self._connection(write=True) as conn:
            await conn.run_sync(metadata.create_all, tables=[admin_blacklist])

    async def list_entries(self) -> tuple[BlacklistEntry, ...]:
        query = select(admin_blacklist.c.title_id, admin_blacklist.c.reason).order_by(
            admin_blacklist.c.title_id
        )
        async with self._connection() as conn:
            rows = (await conn.execute(query)).all()
        return tuple(BlacklistEntry(int(t), r, BlacklistOrigin.ADMIN) for t, r in rows)

    async def put(self, entry: BlacklistEntry) -> None:
        row = {"title_id": entry.title_id, "reason": entry.reason, "created_at": to_stamp(self._now())}
        async with self._connection(write=True) as conn:
            await conn.execute(delete(admin_blacklist).where(admin_blacklist.c.title_id == entry.title_id))
            await conn.execute(admin_blacklist.insert().values(**row))

    async def remove(self, title_id: int) -> bool:
        statement = delete(admin_blacklist).where(admin_blacklist.c.title_id == title_id)
        async with self._connection(write=True) as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def close(self) -> None:
        """Release pooled connections (the engine may be the registry's: disposing twice is harmless)."""
        await self._engine.dispose()

    def _connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "the admin blacklist cannot be used", write)
