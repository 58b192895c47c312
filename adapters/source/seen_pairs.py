"""The source's interactions as (user, title) pairs for the in-memory seen index (contract 11).

A full read streams the `interactions` query as a training does; the tail reads the rows with
`created_at >= since`, wrapping the (possibly replaced) query as a subquery, with `since` bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.source.columns import ColumnBuilder
from adapters.source.popular import SOURCE_DATETIME
from adapters.source.queries import QUERY_COLUMNS

CHUNK_ROWS = 20_000
SEEN_TAIL_SQL = (
    "SELECT q.user_id AS user_id, q.title_id AS title_id, q.int_type AS int_type, "
    "q.raw_score AS raw_score, q.created_at AS created_at FROM ({interactions}) AS q "
    "WHERE q.created_at >= :since"
)


@dataclass(frozen=True, slots=True)
class SourcePairs:
    """`SeenPairs`: aligned id arrays and the newest `created_at` among them (UTC)."""

    user_ids: npt.NDArray[np.int64]
    title_ids: npt.NDArray[np.int64]
    created_us: npt.NDArray[np.int64]
    newest: datetime | None


def pairs_of(columns: dict[str, Any]) -> SourcePairs:
    """From typed interaction columns (`ColumnBuilder.finish`)."""
    stamps = np.asarray(columns["created_at"], dtype="datetime64[ns]")
    newest = None
    if len(stamps):
        newest = pd.Timestamp(stamps.max()).tz_localize(UTC).to_pydatetime()
    return SourcePairs(
        np.asarray(columns["user_id"], dtype=np.int64),
        np.asarray(columns["title_id"], dtype=np.int64),
        stamps.astype("datetime64[us]").astype(np.int64),
        newest,
    )


async def read_tail(conn: AsyncConnection, interactions_sql: str, since: datetime) -> SourcePairs:
    """Rows with `created_at >= since`; `interactions_sql` is ready for `text()` (colons escaped)."""
    since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
    statement = text(SEEN_TAIL_SQL.format(interactions=interactions_sql)).bindparams(
        bindparam("since", type_=SOURCE_DATETIME)
    )
    result = await conn.stream(statement, {"since": since.replace(tzinfo=None, microsecond=0)})
    builder = ColumnBuilder("interactions", [column for column, _ in QUERY_COLUMNS["interactions"]])
    async for chunk in result.partitions(CHUNK_ROWS):
        builder.add(chunk)
    return pairs_of(builder.finish())
