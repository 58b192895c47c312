"""One user's hot events, newest first, from the registry database (`HotEventHistory`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.registry.rows import from_stamp
from adapters.registry.tables import hot_events
from adapters.sql.engines import registry_connection
from application.ports import HotEventHistory
from domain.interaction import Interaction


class SqlAlchemyHotEventHistory(HotEventHistory):
    """Reads the table `SqlAlchemyHotEventStore` writes (the index on (user_id, title_id) finds the
    user's rows)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def events_of_user(self, user_id: int, limit: int) -> list[Interaction]:
        columns = hot_events.c
        query = (
            select(columns.title_id, columns.int_type, columns.raw_score, columns.created_at)
            .where(columns.user_id == user_id)
            .order_by(columns.created_at.desc(), columns.id.desc())
            .limit(limit)
        )
        async with registry_connection(self._engine, "hot events cannot be read") as conn:
            rows = (await conn.execute(query)).all()
        return [
            Interaction(
                user_id, int(title), str(kind), None if score is None else float(score), from_stamp(at)
            )
            for title, kind, score, at in rows
        ]
