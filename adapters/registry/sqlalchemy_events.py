"""Hot events in the registry database, committed before they are acknowledged.

Concurrent events are written by group commit: each `add` queues its row and waits; one writer task
inserts everything queued in one transaction and then releases the waiters. A burst costs one commit
(and, on SQLite, one fsync) per batch instead of one per event, and writers never contend for the
SQLite lock. SQLite runs in WAL mode with `synchronous=FULL` on this engine, so a committed event
survives a crash of the process and of the machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.rows import from_stamp, to_stamp
from adapters.registry.tables import hot_events, metadata
from adapters.sql.batched_lookup import BatchedLookup
from adapters.sql.driver_reads import DriverReads, placeholders
from adapters.sql.engines import create_engine_for, is_sqlite, registry_connection
from application.ports import AttributedCounts, HotEventStore
from domain.errors import RegistryUnavailableError
from domain.interaction import Interaction
from domain.online import Attribution

MAX_BATCH = 1000
# Read on every cache miss (batched): through the driver, bound by its own placeholders.
TITLES_OF_USERS_SQL = (
    f"SELECT DISTINCT user_id, title_id FROM {hot_events.name} WHERE user_id IN ({{user_ids}})"
)
Pending = tuple[dict[str, Any], "asyncio.Future[None]"]


def create_events_engine(url: str) -> AsyncEngine:
    """An engine of its own for hot events: on SQLite every commit is fsynced (synchronous=FULL)."""
    engine = create_engine_for(url)
    if is_sqlite(engine):
        event.listen(engine.sync_engine, "connect", _synchronous_full)
    return engine


def _synchronous_full(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


class SqlAlchemyHotEventStore(HotEventStore):
    """`HotEventStore` over one async engine (the registry's database)."""

    def __init__(self, engine: AsyncEngine, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._pending: list[Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._titles = BatchedLookup(self._titles_of_users, frozenset[int]())
        self._reads = DriverReads(
            engine, lambda reason: RegistryUnavailableError(f"hot events cannot be read ({reason})")
        )

    async def create_schema(self) -> None:
        async with self._connection(write=True) as conn:
            await conn.run_sync(metadata.create_all, tables=[hot_events])

    async def add(self, event: Interaction, attribution: Attribution | None = None) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((_to_row(event, attribution), done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        # A caller that goes away must not cancel the commit other callers wait for.
        await asyncio.shield(done)

    async def titles_of_user(self, user_id: int) -> frozenset[int]:
        """The user's hot titles; concurrent cache misses share one query (`BatchedLookup`)."""
        return await self._titles.get(user_id)

    async def _titles_of_users(self, user_ids: Sequence[int]) -> dict[int, frozenset[int]]:
        marks = placeholders(self._reads.paramstyle, len(user_ids))
        rows = await self._reads.fetchall(TITLES_OF_USERS_SQL.format(user_ids=marks), user_ids)
        titles: dict[int, set[int]] = {}
        for user, title in rows:
            titles.setdefault(int(user), set()).add(int(title))
        return {user: frozenset(found) for user, found in titles.items()}

    async def events_since(self, moment: datetime | None) -> list[Interaction]:
        query = select(hot_events).order_by(hot_events.c.created_at, hot_events.c.id)
        if moment is not None:
            query = query.where(hot_events.c.created_at >= to_stamp(moment))
        async with self._connection() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_to_event(row) for row in rows]

    async def attributed(self) -> AttributedCounts:
        column = hot_events.c.attributed_to
        query = (
            select(column, func.count(), func.count(hot_events.c.recommendation_id.distinct()))
            .where(column.is_not(None))
            .group_by(column)
        )
        async with self._connection() as conn:
            rows = (await conn.execute(query)).all()
        return {str(token): (int(events), int(lists)) for token, events, lists in rows}

    async def unattributed(self) -> int:
        query = select(func.count()).where(
            hot_events.c.attributed_to.is_(None), hot_events.c.recommendation_id.is_not(None)
        )
        async with self._connection() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Finish the queued commits, then release the connections."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self._reads.close()
        await self._engine.dispose()

    async def _write_pending(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            try:
                async with self._connection(write=True) as conn:
                    await conn.execute(insert(hot_events), [row for row, _ in batch])
            except BaseException as exc:
                if isinstance(exc, Exception):
                    _release(batch, _unavailable(exc))
                    continue
                _release([*batch, *self._pending], _unavailable(exc))  # cancelled: nobody may hang
                self._pending.clear()
                raise
            _release(batch, None)

    def _connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "hot events cannot be stored or read", write)


def _unavailable(exc: BaseException) -> RegistryUnavailableError:
    if isinstance(exc, RegistryUnavailableError):
        return exc
    return RegistryUnavailableError(f"hot events cannot be stored ({type(exc).__name__}: {exc})")


def _release(batch: list[Pending], error: BaseException | None) -> None:
    for _, done in batch:
        if done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


def _to_row(event: Interaction, attribution: Attribution | None) -> dict[str, Any]:
    return {
        "user_id": event.user_id,
        "title_id": event.title_id,
        "int_type": event.int_type,
        "raw_score": event.raw_score,
        "created_at": to_stamp(event.created_at),
        "recommendation_id": None if attribution is None else attribution.recommendation_id,
        "attributed_to": None if attribution is None else attribution.token,
    }


def _to_event(row: RowMapping) -> Interaction:
    score = row["raw_score"]
    return Interaction(
        int(row["user_id"]),
        int(row["title_id"]),
        str(row["int_type"]),
        None if score is None else float(score),
        from_stamp(row["created_at"]),
    )
