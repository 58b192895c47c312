"""Insert a row or replace the row of the same key, in the caller's transaction, on any dialect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(conn: AsyncConnection, table: Table, values: Mapping[str, Any], key: str) -> None:
    changes = {name: value for name, value in values.items() if name != key}
    dialect = conn.dialect.name
    if dialect == "sqlite":
        lite = sqlite_insert(table).values(**values)
        await conn.execute(lite.on_conflict_do_update(index_elements=[key], set_=changes))
    elif dialect == "postgresql":
        pg = postgresql_insert(table).values(**values)
        await conn.execute(pg.on_conflict_do_update(index_elements=[key], set_=changes))
    elif dialect in ("mysql", "mariadb"):
        await conn.execute(mysql_insert(table).values(**values).on_duplicate_key_update(**changes))
    else:  # a portable fallback for dialects without a native upsert
        result = await conn.execute(update(table).where(table.c[key] == values[key]).values(**changes))
        if result.rowcount == 0:
            await conn.execute(table.insert().values(**values))
