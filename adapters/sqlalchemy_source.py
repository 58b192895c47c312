"""The site's database, read-only, through SQLAlchemy (contract section 3).

Every SQL statement the service sends to the source is a constant of this module. Operators may
replace any of the six base SELECTs; aggregations wrap them as subqueries so replacements keep working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.source_tables import (
    BLACKLIST_COLUMNS,
    INTERACTION_COLUMNS,
    TITLE_COLUMNS,
    TITLE_FEATURE_COLUMNS,
    USER_COLUMNS,
    USER_FEATURE_COLUMNS,
    SourceTables,
)
from adapters.sqlalchemy_engines import describe_failure
from application.ports import Catalogue
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import InvalidArgumentError, SourceUnavailableError
from domain.interaction import RATING, PositiveRule
from domain.recommendation import RankedList

TITLES_SQL = "SELECT id, name, is_active FROM titles"
TITLE_FEATURES_SQL = "SELECT title_id, feature, weight FROM title_features"
USERS_SQL = "SELECT id FROM users"
USER_FEATURES_SQL = "SELECT user_id, feature, weight FROM user_features"
INTERACTIONS_SQL = "SELECT user_id, title_id, int_type, raw_score, created_at FROM interactions"
BLACKLIST_SQL = "SELECT title_id, reason FROM blacklist"

DEFAULT_QUERIES: Mapping[str, str] = MappingProxyType(
    {
        "titles": TITLES_SQL,
        "title_features": TITLE_FEATURES_SQL,
        "users": USERS_SQL,
        "user_features": USER_FEATURES_SQL,
        "interactions": INTERACTIONS_SQL,
        "blacklist": BLACKLIST_SQL,
    }
)
QUERY_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "titles": TITLE_COLUMNS,
        "title_features": TITLE_FEATURE_COLUMNS,
        "users": USER_COLUMNS,
        "user_features": USER_FEATURE_COLUMNS,
        "interactions": INTERACTION_COLUMNS,
        "blacklist": BLACKLIST_COLUMNS,
    }
)

# `{interactions}` is the (possibly replaced) interactions query; values are always bound.
_POSITIVE_FILTER = "q.int_type IN :types AND (q.int_type <> :rating OR q.raw_score >= :rating_min)"
POSITIVE_COUNTS_SQL = (
    "SELECT q.title_id AS title_id, COUNT(*) AS n FROM ({interactions}) AS q "
    f"WHERE {_POSITIVE_FILTER} GROUP BY q.title_id"
)
WINDOW_POSITIVE_COUNTS_SQL = (
    "SELECT q.title_id AS title_id, COUNT(*) AS n FROM ({interactions}) AS q "
    f"WHERE {_POSITIVE_FILTER} AND q.created_at >= :since GROUP BY q.title_id"
)
SEEN_TITLES_SQL = (
    "SELECT DISTINCT q.title_id AS title_id FROM ({interactions}) AS q WHERE q.user_id = :user_id"
)
PING_SQL = "SELECT 1"

MIN_WINDOW_TITLES = 200
CHUNK_ROWS = 50_000
# SQLite keeps DATETIME as text; bind in the same shape as the stored values so text comparison holds.
_SOURCE_DATETIME = DateTime().with_variant(
    SQLITE_DATETIME(  # type: ignore[no-untyped-call]
        storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
    ),
    "sqlite",
)
Columns = dict[str, list[Any]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlAlchemyInteractionSource:
    """`InteractionSource` over any SQLAlchemy async engine (SQLite, MySQL/MariaDB...)."""

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
        unknown = sorted(set(queries or {}) - set(DEFAULT_QUERIES))
        if unknown:
            raise InvalidArgumentError(f"unknown source queries: {', '.join(unknown)}")
        merged = {**DEFAULT_QUERIES, **(queries or {})}
        # Operator SQL has no bind parameters: a colon in it ('genre:drama') is literal text.
        self._queries = {name: sql.strip().rstrip(";").replace(":", "\\:") for name, sql in merged.items()}
        self._engine = engine
        self._rule = rule
        self._window = timedelta(days=popular_window_days)
        self._now = now

    async def load_training_data(self) -> SourceTables:
        async with self._connection() as conn:
            raw = {name: await self._read(conn, name) for name in QUERY_COLUMNS if name != "blacklist"}
        return SourceTables(
            interactions=_interactions_frame(raw["interactions"]),
            titles=_titles_frame(raw["titles"]),
            title_features=_features_frame(raw["title_features"], "title_id"),
            users=pd.DataFrame({"id": _ints(raw["users"]["id"])}),
            user_features=_features_frame(raw["user_features"], "user_id"),
        )

    async def load_catalogue(self) -> Catalogue:
        async with self._connection() as conn:
            titles = await self._read(conn, "titles")
            blacklist = await self._read(conn, "blacklist")
            title_ids = frozenset(int(t) for t in titles["id"])
            flags = zip(titles["id"], titles["is_active"], strict=True)
            inactive = frozenset(int(title_id) for title_id, active in flags if not active)
            entries = tuple(
                BlacklistEntry(int(t), None if r is None else str(r), BlacklistOrigin.SOURCE)
                for t, r in zip(blacklist["title_id"], blacklist["reason"], strict=True)
            )
            eligible = title_ids - inactive - {entry.title_id for entry in entries}
            popular = await self._popular(conn, eligible)
        return Catalogue(title_ids, inactive, entries, popular)

    async def seen_titles(self, user_id: int) -> frozenset[int]:
        sql = SEEN_TITLES_SQL.format(interactions=self._queries["interactions"])
        async with self._connection() as conn:
            result = await conn.execute(text(sql), {"user_id": user_id})
            return frozenset(int(row[0]) for row in result)

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute(text(PING_SQL))

    async def close(self) -> None:
        """Release pooled connections (the service's shutdown)."""
        await self._engine.dispose()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._engine.connect() as conn:
                yield conn
        except (SQLAlchemyError, OSError) as exc:
            reason = describe_failure(self._engine, exc)
            raise SourceUnavailableError(f"the source database cannot be read ({reason})") from None

    async def _read(self, conn: AsyncConnection, name: str) -> Columns:
        """Stream one base query in chunks into one list per expected column."""
        result = await conn.stream(text(self._queries[name]))
        keys = [str(key).lower() for key in list(result.keys())]
        wanted = QUERY_COLUMNS[name]
        missing = [column for column in wanted if column not in keys]
        if missing:
            await result.close()
            raise SourceUnavailableError(f"the source query {name!r} returns no column {missing[0]!r}")
        positions = [keys.index(column) for column in wanted]
        columns: Columns = {column: [] for column in wanted}
        async for chunk in result.partitions(CHUNK_ROWS):
            for column, position in zip(wanted, positions, strict=True):
                columns[column].extend(row[position] for row in chunk)
        return columns

    async def _popular(self, conn: AsyncConnection, eligible: frozenset[int]) -> RankedList:
        now = self._now()
        now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
        counts = await self._positive_counts(conn, now - self._window)
        if sum(1 for title_id in counts if title_id in eligible) < MIN_WINDOW_TITLES:
            counts = await self._positive_counts(conn, None)
        ranked = sorted(eligible, key=lambda title_id: (-counts.get(title_id, 0), title_id))
        return RankedList.of(ranked, [float(counts.get(title_id, 0)) for title_id in ranked])

    async def _positive_counts(self, conn: AsyncConnection, since: datetime | None) -> dict[int, int]:
        """Positives per title (the rule's semantics), optionally only from `since` on."""
        template = POSITIVE_COUNTS_SQL if since is None else WINDOW_POSITIVE_COUNTS_SQL
        statement = text(template.format(interactions=self._queries["interactions"]))
        params: dict[str, Any] = {
            "types": sorted(self._rule.weights),
            "rating": RATING,
            "rating_min": float(self._rule.rating_min_positive),
        }
        statement = statement.bindparams(bindparam("types", expanding=True))
        if since is not None:
            statement = statement.bindparams(bindparam("since", type_=_SOURCE_DATETIME))
            params["since"] = since.replace(tzinfo=None)
        result = await conn.execute(statement, params)
        return {int(title_id): int(n) for title_id, n in result}


def _ints(values: Sequence[Any]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _strings(values: Sequence[Any]) -> pd.Series:
    return pd.Series(values, dtype=object)


def _interactions_frame(columns: Columns) -> pd.DataFrame:
    stamps = pd.to_datetime(pd.Series(columns["created_at"], dtype=object), utc=True, format="ISO8601")
    return pd.DataFrame(
        {
            "user_id": _ints(columns["user_id"]),
            "title_id": _ints(columns["title_id"]),
            "int_type": pd.Series(columns["int_type"], dtype="category"),
            "raw_score": np.asarray(columns["raw_score"], dtype=np.float64),
            "created_at": stamps.dt.tz_convert(None).astype("datetime64[ns]").to_numpy(),
        }
    )


def _titles_frame(columns: Columns) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": _ints(columns["id"]),
            "name": _strings(columns["name"]),
            "is_active": np.asarray([bool(value) for value in columns["is_active"]], dtype=bool),
        }
    )


def _features_frame(columns: Columns, owner: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            owner: _ints(columns[owner]),
            "feature": _strings(columns["feature"]),
            "weight": np.asarray(columns["weight"], dtype=np.float64),
        }
    )
