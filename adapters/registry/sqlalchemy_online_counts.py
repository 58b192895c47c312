"""Lists served per serving context in the registry database, added to by every replica."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.tables import metadata, online_counts
from adapters.sql.engines import registry_connection
from application.ports import ContextLists, OnlineCountStore
from domain.online import ServingContext


class SqlAlchemyOnlineCounts(OnlineCountStore):
    """`OnlineCountStore`: one row per context token; a flush adds to it in one transaction
    (`lists = lists + n`), so replicas' counts sum without reading first."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_schema(self) -> None:
        async with self._connection(write=True) as conn:
            await conn.run_sync(metadata.create_all, tables=[online_counts])

    async def add_lists(self, lists: ContextLists) -> None:
        if not lists:
            return
        rows = [
            {
                "token": token,
                "model_id": context.model_id,
                "experiment_id": context.experiment_id,
                "arm": context.arm,
                "lists": count,
            }
            for token, (context, count) in sorted(lists.items())  # one lock order for every replica
        ]
        dialect = self._engine.dialect.name
        async with self._connection(write=True) as conn:
            for row in rows:
                await self._add(conn, dialect, row)

    async def _add(self, conn: AsyncConnection, dialect: str, row: dict[str, Any]) -> None:
        table = online_counts
        if dialect == "sqlite":
            lite = sqlite_insert(table).values(**row)
            added = {"lists": table.c.lists + lite.excluded.lists}
            await conn.execute(lite.on_conflict_do_update(index_elements=["token"], set_=added))
        elif dialect in ("mysql", "mariadb"):
            my = mysql_insert(table).values(**row)
            await conn.execute(my.on_duplicate_key_update(lists=table.c.lists + my.inserted.lists))
        else:  # portable: add, else insert, inside the caller's transaction
            result = await conn.execute(
                update(table).where(table.c.token == row["token"]).values(lists=table.c.lists + row["lists"])
            )
            if result.rowcount == 0:
                await conn.execute(table.insert().values(**row))

    async def lists(self) -> dict[str, tuple[ServingContext, int]]:
        table = online_counts
        query = select(table.c.token, table.c.model_id, table.c.experiment_id, table.c.arm, table.c.lists)
        async with self._connection() as conn:
            rows = (await conn.execute(query)).all()
        return {
            str(token): (ServingContext(str(model), str(experiment), str(arm)), int(count))
            for token, model, experiment, arm, count in rows
        }

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self._engine.dispose()

    def _connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "the online counts cannot be used", write)
