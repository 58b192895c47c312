"""The popular list, counted by the source database itself.

Eligible titles ranked by positives over the window, or over all time when the window holds fewer
than `MIN_WINDOW_TITLES` titles; the counting wraps the (possibly replaced) interactions query.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.source.queries import POSITIVE_COUNTS_SQL, WINDOW_POSITIVE_COUNTS_SQL
from domain.interaction import RATING, PositiveRule
from domain.recommendation import RankedList

MIN_WINDOW_TITLES = 200
# SQLite keeps DATETIME as text; bind in the same shape as the stored values so text comparison holds.
SOURCE_DATETIME = DateTime().with_variant(
    SQLITE_DATETIME(  # type: ignore[no-untyped-call]
        storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
    ),
    "sqlite",
)


async def popular_titles(
    conn: AsyncConnection,
    interactions_sql: str,
    rule: PositiveRule,
    since: datetime,
    eligible: frozenset[int],
) -> RankedList:
    """`interactions_sql` is ready for `text()` (colons escaped); `since` starts the window."""
    since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
    counts = await _positive_counts(conn, interactions_sql, rule, since)
    if sum(1 for title_id in counts if title_id in eligible) < MIN_WINDOW_TITLES:
        counts = await _positive_counts(conn, interactions_sql, rule, None)
    ranked = sorted(eligible, key=lambda title_id: (-counts.get(title_id, 0), title_id))
    return RankedList.of(ranked, [float(counts.get(title_id, 0)) for title_id in ranked])


async def _positive_counts(
    conn: AsyncConnection, interactions_sql: str, rule: PositiveRule, since: datetime | None
) -> dict[int, int]:
    """Positives per title (the rule's semantics), optionally only from `since` on."""
    template = POSITIVE_COUNTS_SQL if since is None else WINDOW_POSITIVE_COUNTS_SQL
    statement = text(template.format(interactions=interactions_sql))
    params: dict[str, Any] = {
        "types": sorted(rule.weights),
        "rating": RATING,
        "rating_min": float(rule.rating_min_positive),
    }
    statement = statement.bindparams(bindparam("types", expanding=True))
    if since is not None:
        statement = statement.bindparams(bindparam("since", type_=SOURCE_DATETIME))
        params["since"] = since.replace(tzinfo=None)
    result = await conn.execute(statement, params)
    return {int(title_id): int(n) for title_id, n in result}
