"""Bulk reads from MySQL/MariaDB through asyncmy's unbuffered (server-side) cursor.

SQLAlchemy's generic async streaming is several times slower than the driver's own `SSCursor` on
large reads, so bulk reads borrow the driver connection under the SQLAlchemy connection (same
transaction, so the five reads of one training see one snapshot) and hand each fetched chunk straight
to a `ColumnBuilder`. The session runs in UTC with a long `net_write_timeout` (set when the pool
connects, see `sqlalchemy_engines`), so a consumer that falls behind is not cut off by the server.
"""

from __future__ import annotations

from typing import Any

from asyncmy.cursors import SSCursor
from asyncmy.errors import MySQLError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.source.columns import ColumnBuilder
from adapters.source.queries import QUERY_COLUMNS, mysql_bulk_sql
from domain.errors import SourceUnavailableError

CHUNK_ROWS = 20_000


def is_asyncmy(conn: AsyncConnection) -> bool:
    return conn.dialect.name in ("mysql", "mariadb") and conn.dialect.driver == "asyncmy"


async def read_columns(conn: AsyncConnection, name: str, query: str, where: str) -> dict[str, Any]:
    """Stream base query `name` (operator SQL `query`) into its typed columns."""
    builder = ColumnBuilder(name, [column for column, _ in QUERY_COLUMNS[name]], epoch_micros=True)
    fairy = await conn.get_raw_connection()
    driver: Any = fairy.driver_connection
    cursor = driver.cursor(SSCursor)
    finished = False
    try:
        await cursor.execute(mysql_bulk_sql(name, query))
        while rows := await cursor.fetchmany(CHUNK_ROWS):
            builder.add(rows)
        finished = True
    except (MySQLError, OSError) as exc:
        raise SourceUnavailableError(
            f"the source database cannot be read ({where}: {type(exc).__name__}: {exc})"
        ) from None
    finally:
        if finished:
            await cursor.close()
        else:
            # Never drain a half-read result set of millions of rows: drop the connection instead.
            await conn.invalidate()
    return builder.finish()
