"""One user's or one title's named features from the source (`FeatureSource`), read-only.

Reads through the (possibly replaced, REC_SOURCE_QUERIES) feature queries wrapped as subqueries, so an
operator's replacement keeps working. An index on user_features(user_id) and title_features(title_id)
keeps these lookups cheap; each one is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.source.queries import normalised
from adapters.sql.engines import describe_failure
from application.ports import FeatureOwner, FeatureRows, FeatureSource
from domain.errors import SourceUnavailableError

LOOKUP_TIMEOUT_SECONDS = 5.0
USER_FEATURES_OF_SQL = (
    "SELECT q.feature AS feature, q.weight AS weight FROM ({query}) AS q WHERE q.user_id = :owner_id"
)
TITLE_FEATURES_OF_SQL = (
    "SELECT q.feature AS feature, q.weight AS weight FROM ({query}) AS q WHERE q.title_id = :owner_id"
)
ALL_FEATURES_SQL = (
    "SELECT q.{owner}_id AS owner, q.feature AS feature, q.weight AS weight FROM ({query}) AS q"
)
ALL_FEATURES_TIMEOUT_SECONDS = 120.0  # a whole table, read periodically, never per request


class SqlAlchemyFeatureSource(FeatureSource):
    def __init__(self, engine: AsyncEngine, queries: Mapping[str, str] | None = None) -> None:
        merged = normalised(queries)
        # Operator SQL has no bind parameters: a colon in it ('genre:drama') is literal text.
        self._user_sql = USER_FEATURES_OF_SQL.format(query=merged["user_features"].replace(":", "\\:"))
        self._title_sql = TITLE_FEATURES_OF_SQL.format(query=merged["title_features"].replace(":", "\\:"))
        self._all_sql = {
            owner: ALL_FEATURES_SQL.format(owner=owner, query=merged[f"{owner}_features"].replace(":", "\\:"))
            for owner in ("user", "title")
        }
        self._engine = engine

    async def user_features(self, user_id: int) -> dict[str, float]:
        return await self._features(self._user_sql, user_id)

    async def title_features(self, title_id: int) -> dict[str, float]:
        return await self._features(self._title_sql, title_id)

    async def all_features(self, owner: FeatureOwner) -> FeatureRows:
        rows = await self._rows(
            self._all_sql[owner], {}, ALL_FEATURES_TIMEOUT_SECONDS, f"all {owner} features"
        )
        owners, features, weights = zip(*rows, strict=True) if rows else ((), (), ())
        return FeatureRows(
            [int(o) for o in owners],
            [None if f is None else str(f) for f in features],
            [None if w is None else float(w) for w in weights],
        )

    async def _features(self, sql: str, owner_id: int) -> dict[str, float]:
        """Weights of repeated names add up, zero and non-finite weights are left out (as in training)."""
        return _summed(await self._rows(sql, {"owner_id": owner_id}, LOOKUP_TIMEOUT_SECONDS, "features"))

    async def _rows(
        self, sql: str, params: Mapping[str, Any], seconds: float, what: str
    ) -> Sequence[Row[Any, Any]]:
        """One read within `seconds`; SourceUnavailableError naming `what` otherwise."""
        try:
            async with asyncio.timeout(seconds), self._engine.connect() as conn:
                return (await conn.execute(text(sql), dict(params))).all()
        except TimeoutError:
            raise SourceUnavailableError(f"the source did not return {what} within {seconds:g} s") from None
        except (SQLAlchemyError, OSError) as exc:
            reason = describe_failure(self._engine, exc)
            raise SourceUnavailableError(f"the source's {what} cannot be read ({reason})") from None


def _summed(rows: Sequence[Row[Any, Any]]) -> dict[str, float]:
    features: dict[str, float] = {}
    for feature, weight in rows:
        value = math.nan if weight is None else float(weight)
        if feature is not None and math.isfinite(value) and value != 0:
            features[str(feature)] = features.get(str(feature), 0.0) + value
    return features
