"""The start-up checks of the source's queries: each one's columns, and advice on the "seen" read's index.

`columns_of` runs a query with LIMIT 0 (nothing is read) and names the first documented column it
lacks; `advise_on_seen_plan` explains the per-miss "seen" statement on MySQL/MariaDB.
"""

from __future__ import annotations

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.source import mysql_stream
from adapters.source.queries import (
    COLUMNS_ONLY_SQL,
    SEEN_INDEX_STATEMENT,
    SourceQueryError,
    missing_column_error,
    missing_columns,
    reads_index_only,
)
from adapters.sql.engines import describe_failure

log = structlog.get_logger(__name__)


async def columns_of(conn: AsyncConnection, engine: AsyncEngine, name: str, sql: str) -> list[str]:
    """The columns query `name` (its SQL `sql`) returns, checked against the documented ones."""
    try:
        result = await conn.execute(text(COLUMNS_ONLY_SQL.format(query=sql)))
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise
        reason = describe_failure(engine, exc)
        raise SourceQueryError(f"the source query {name!r} fails: {reason}") from None
    returned = [str(key) for key in list(result.keys())]
    missing = missing_columns(name, returned)
    if missing:
        raise missing_column_error(name, missing[0])
    return returned


async def advise_on_seen_plan(conn: AsyncConnection, seen_sql: str) -> None:
    """On MySQL/MariaDB, warn when a cache miss's "seen" read (`seen_sql`, one user id bound) must
    fetch table rows.

    The default schema indexes `interactions` by `user_id` alone: each of the user's rows then costs
    a second lookup in the table. An index on (user_id, title_id) answers from the index, with much
    less database CPU per miss (BENCHMARKS.md). The source is the operator's: the service only says so.
    """
    if not mysql_stream.is_asyncmy(conn):
        return
    try:
        plan = list((await conn.exec_driver_sql(f"EXPLAIN {seen_sql}", (0,))).mappings())
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise
        return  # advice only: a server that cannot explain this statement gets none
    if not reads_index_only(plan):
        log.warning(
            "source_seen_read_not_index_only",
            detail="each cache miss reads its user's interactions row by row from the table; "
            "an index on (user_id, title_id) lets the database answer from the index alone",
            statement=SEEN_INDEX_STATEMENT,
        )
