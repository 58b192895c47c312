"""Point reads of the source for the admin views (`SourceLookup`): titles by id, one user's history.

Like every read of the source, through the (possibly replaced, REC_SOURCE_QUERIES) queries wrapped
as subqueries, every value bound, each lookup bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import TextClause

from adapters.source.queries import normalised
from adapters.sql.engines import describe_failure
from application.ports import SourceLookup, TitleRecord
from domain.errors import SourceUnavailableError
from domain.interaction import Interaction

LOOKUP_TIMEOUT_SECONDS = 5.0
TITLES_BY_ID_SQL = (
    "SELECT q.id AS id, q.name AS name, q.is_active AS is_active FROM ({titles}) AS q WHERE q.id IN :ids"
)
FEATURES_BY_TITLE_SQL = (
    "SELECT q.title_id AS title_id, q.feature AS feature, q.weight AS weight "
    "FROM ({title_features}) AS q WHERE q.title_id IN :ids"
)
USER_HISTORY_SQL = (
    "SELECT q.title_id AS title_id, q.int_type AS int_type, q.raw_score AS raw_score, "
    "q.created_at AS created_at FROM ({interactions}) AS q WHERE q.user_id = :user_id "
    "ORDER BY q.created_at DESC, q.title_id DESC LIMIT :limit"
)


class SqlAlchemySourceLookup(SourceLookup):
    def __init__(self, engine: AsyncEngine, queries: Mapping[str, str] | None = None) -> None:
        # Operator SQL has no bind parameters: a colon in it ('genre:drama') is literal text.
        merged = {name: sql.replace(":", "\\:") for name, sql in normalised(queries).items()}
        self._engine = engine
        self._titles = text(TITLES_BY_ID_SQL.format(titles=merged["titles"])).bindparams(
            bindparam("ids", expanding=True)
        )
        self._features = text(
            FEATURES_BY_TITLE_SQL.format(title_features=merged["title_features"])
        ).bindparams(bindparam("ids", expanding=True))
        self._history = text(USER_HISTORY_SQL.format(interactions=merged["interactions"]))

    async def titles(self, title_ids: Sequence[int]) -> list[TitleRecord]:
        ids = sorted(set(title_ids))
        if not ids:
            return []
        titles = await self._rows(self._titles, {"ids": ids})
        features: dict[int, dict[str, float]] = {}
        for title_id, feature, weight in await self._rows(self._features, {"ids": ids}):
            value = math.nan if weight is None else float(weight)
            if feature is not None and math.isfinite(value) and value != 0:
                named = features.setdefault(int(title_id), {})
                named[str(feature)] = named.get(str(feature), 0.0) + value
        return [
            TitleRecord(int(i), str(name), bool(active), features.get(int(i), {}))
            for i, name, active in titles
        ]

    async def user_interactions(self, user_id: int, limit: int) -> list[Interaction]:
        rows = await self._rows(self._history, {"user_id": user_id, "limit": limit})
        return [
            Interaction(user_id, int(title), str(kind), None if score is None else float(score), _utc(at))
            for title, kind, score, at in rows
        ]

    async def _rows(self, statement: TextClause, params: dict[str, Any]) -> list[Any]:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS), self._engine.connect() as conn:
                return list((await conn.execute(statement, params)).all())
        except TimeoutError:
            raise SourceUnavailableError(
                f"the source did not answer within {LOOKUP_TIMEOUT_SECONDS:g} s"
            ) from None
        except (SQLAlchemyError, OSError) as exc:
            reason = describe_failure(self._engine, exc)
            raise SourceUnavailableError(f"the source cannot be read ({reason})") from None


def _utc(value: object) -> datetime:
    """The source's DATETIME (a datetime, or SQLite's text) as an aware UTC moment."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
