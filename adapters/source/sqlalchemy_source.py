"""The site's database, read-only, through SQLAlchemy (README, "The source database").

The SQL lives in `source_queries`. Bulk reads become typed columns chunk by chunk: through asyncmy's
unbuffered cursor on MySQL/MariaDB (`mysql_stream`), through SQLAlchemy's streaming elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.source import mysql_stream
from adapters.source.columns import (
    ColumnBuilder,
    feature_titles,
    features_frame,
    interactions_frame,
    titles_frame,
)
from adapters.source.popular import popular_titles
from adapters.source.queries import (
    PING_SQL,
    QUERY_COLUMNS,
    missing_column_error,
    missing_columns,
    normalised,
    seen_sql_for,
)
from adapters.source.query_checks import advise_on_seen_plan, columns_of
from adapters.source.seen_pairs import SourcePairs, pairs_of, read_tail
from adapters.source.tables import SourceTables
from adapters.sql.batched_lookup import BatchedLookup
from adapters.sql.driver_reads import DriverReads, placeholders
from adapters.sql.engines import describe_failure, mysql_source_session_sql
from application.ports import Catalogue, InteractionSource, InteractionTail
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import InvalidArgumentError, SourceUnavailableError
from domain.interaction import PositiveRule

CHUNK_ROWS = 20_000
SEEN_TIMEOUT_SECONDS = 5.0  # a cache miss waits no longer for the "seen" statement it shares
CONNECT_TIMEOUT_SECONDS = 5.0  # connect, log in and pre-ping: a server that accepts but never answers
TRAINING_QUERIES = ("titles", "title_features", "users", "user_features", "interactions")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlAlchemyInteractionSource(InteractionSource, InteractionTail):
    """`InteractionSource` and `InteractionTail` over any SQLAlchemy async engine (SQLite,
    MySQL/MariaDB...); never writes."""

    def __init__(
        self,
        engine: AsyncEngine,
        rule: PositiveRule,
        popular_window_days: int = 30,
        now: Callable[[], datetime] = _utc_now,
        queries: Mapping[str, str] | None = None,
    ) -> None:
        if popular_window_days < 1:
            raise InvalidArgumentError(f"popular_window_days must be >= 1, got {popular_window_days}")
        try:
            self._raw = normalised(queries)
        except ValueError as exc:
            raise InvalidArgumentError(str(exc)) from None
        # Operator SQL has no bind parameters: a colon in it ('genre:drama') is literal text.
        self._queries = {name: sql.replace(":", "\\:") for name, sql in self._raw.items()}
        self._engine = engine
        self._rule = rule
        self._window = timedelta(days=popular_window_days)
        self._now = now
        self._seen = BatchedLookup(self._seen_of_users, frozenset[int]())
        self._reads = DriverReads(
            engine,
            lambda reason: SourceUnavailableError(f"the source database cannot be read ({reason})"),
            session_sql=mysql_source_session_sql(),
            timeout_seconds=SEEN_TIMEOUT_SECONDS,
        )
        self._seen_sql, self._seen_concat = seen_sql_for(
            engine.dialect.name, self._reads.paramstyle, self._raw["interactions"]
        )

    async def load_training_data(self) -> SourceTables:
        async with self._connection() as conn:
            raw = {name: await self._read(conn, name) for name in TRAINING_QUERIES}
        return SourceTables(
            interactions=interactions_frame(raw["interactions"]),
            titles=titles_frame(raw["titles"]),
            title_features=features_frame(raw["title_features"], "title_id"),
            users=pd.DataFrame({"id": raw["users"]["id"]}),
            user_features=features_frame(raw["user_features"], "user_id"),
        )

    async def load_catalogue(self) -> Catalogue:
        async with self._connection() as conn:
            titles = await self._read(conn, "titles")
            blacklist = await self._read(conn, "blacklist")
            features = feature_titles(await self._read(conn, "title_features"))
            ids, active = titles["id"], titles["is_active"]
            title_ids = frozenset(ids.tolist())
            inactive = frozenset(ids[~active].tolist())
            entries = tuple(
                BlacklistEntry(int(t), None if r is None else str(r), BlacklistOrigin.SOURCE)
                for t, r in zip(blacklist["title_id"].tolist(), blacklist["reason"], strict=True)
            )
            eligible = title_ids - inactive - {entry.title_id for entry in entries}
            popular = await popular_titles(
                conn, self._queries["interactions"], self._rule, self._now() - self._window, eligible
            )
        return Catalogue(title_ids, inactive, entries, popular, features)

    async def seen_titles(self, user_id: int) -> frozenset[int]:
        """Titles of every source interaction of the user; the concurrent misses share a query."""
        return await self._seen.get(user_id)

    async def _seen_of_users(self, user_ids: Sequence[int]) -> dict[int, frozenset[int]]:
        sql = self._seen_sql.format(user_ids=placeholders(self._reads.paramstyle, len(user_ids)))
        rows = await self._reads.fetchall(sql, user_ids)
        if self._seen_concat:
            # GROUP_CONCAT of numbers is text on SQLite and MariaDB, bytes on some MySQL versions.
            return {
                int(user): frozenset(map(int, joined.split(b"," if isinstance(joined, bytes) else ",")))
                for user, joined in rows
                if joined
            }
        pairs: dict[int, set[int]] = {}
        for user, title in rows:
            pairs.setdefault(int(user), set()).add(int(title))
        return {user: frozenset(titles) for user, titles in pairs.items()}

    async def seen_pairs(self, since: datetime | None) -> SourcePairs:
        """`InteractionTail`: every interaction (streamed as a training reads it), or those with
        `created_at >= since` in one statement."""
        async with self._connection() as conn:
            if since is None:
                return pairs_of(await self._read(conn, "interactions"))
            return await read_tail(conn, self._queries["interactions"], since)

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute(text(PING_SQL))

    async def check_queries(self) -> bool:
        """Run each query with LIMIT 0 and check its columns (the service's start); on MySQL/MariaDB
        also advise on the index of the "seen" read (`query_checks.advise_on_seen_plan`).

        Raises `SourceQueryError` naming the query (and the column) when one fails or lacks a
        column; returns False, checking nothing, when the source cannot be reached.
        """
        try:
            conn = await self._open()
        except (SQLAlchemyError, OSError):
            return False
        try:
            for name in QUERY_COLUMNS:
                await self._columns_of(conn, name)
            await advise_on_seen_plan(
                conn, self._seen_sql.format(user_ids=placeholders(self._reads.paramstyle, 1))
            )
        except (SQLAlchemyError, OSError):
            return False
        finally:
            await conn.close()
        return True

    async def close(self) -> None:
        """Release pooled connections (the service's shutdown)."""
        await self._reads.close()
        await self._engine.dispose()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        try:
            conn = await self._open()
            try:
                yield conn
            finally:
                await conn.close()
        except (SQLAlchemyError, OSError) as exc:
            reason = describe_failure(self._engine, exc)
            raise SourceUnavailableError(f"the source database cannot be read ({reason})") from None

    async def _open(self) -> AsyncConnection:
        """A pooled connection within CONNECT_TIMEOUT_SECONDS (the driver bounds only the TCP connect)."""
        conn = self._engine.connect()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
                return await conn.start()
        except TimeoutError:
            raise OSError(f"no answer within {CONNECT_TIMEOUT_SECONDS:g} s") from None

    async def _columns_of(self, conn: AsyncConnection, name: str) -> list[str]:
        return await columns_of(conn, self._engine, name, self._queries[name])

    async def _read(self, conn: AsyncConnection, name: str) -> dict[str, Any]:
        """Stream one base query in chunks into its typed columns."""
        if mysql_stream.is_asyncmy(conn):
            await self._columns_of(conn, name)
            where = self._engine.url.render_as_string(hide_password=True)
            return await mysql_stream.read_columns(conn, name, self._raw[name], where)
        result = await conn.stream(text(self._queries[name]))
        returned = [str(key) for key in list(result.keys())]
        missing = missing_columns(name, returned)
        if missing:
            await result.close()
            raise missing_column_error(name, missing[0])
        builder = ColumnBuilder(name, returned)
        async for chunk in result.partitions(CHUNK_ROWS):
            builder.add(chunk)
        return builder.finish()
