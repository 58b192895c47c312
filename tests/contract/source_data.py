"""Small sources in the default schema: written on any SQLAlchemy URL (SQLite file or MariaDB
database), or held by the in-memory fake."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table

from adapters.memory.source import InMemoryInteractionSource
from adapters.source.schema import (
    blacklist,
    interactions,
    source_metadata,
    title_features,
    titles,
    user_features,
    users,
)
from adapters.sql.engines import create_engine_for
from domain.interaction import Interaction, PositiveRule

Event = tuple[int, int, str, float | None, datetime]
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    """A naive UTC stamp `days` before NOW, as the source's DATETIME columns hold it."""
    return (NOW - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def active(ids: range | list[int]) -> list[tuple[int, str, bool]]:
    return [(i, f"Title {i}", True) for i in ids]


async def fill_source(
    url: str,
    title_rows: Iterable[tuple[int, str, bool]],
    events: Iterable[Event] = (),
    blacklisted: Iterable[tuple[int, str | None]] = (),
    user_ids: Iterable[int] = (),
    title_feature_rows: Iterable[tuple[int, str, float]] = (),
    user_feature_rows: Iterable[tuple[int, str, float]] = (),
) -> None:
    """Create the default schema and insert the rows (datetimes naive UTC, as the source holds them)."""
    rows: list[tuple[Table, list[dict[str, object]]]] = [
        (titles, [{"id": i, "name": n, "is_active": a} for i, n, a in title_rows]),
        (
            interactions,
            [
                {"user_id": u, "title_id": t, "int_type": k, "raw_score": s, "created_at": c}
                for u, t, k, s, c in events
            ],
        ),
        (blacklist, [{"title_id": t, "reason": r} for t, r in blacklisted]),
        (users, [{"id": u} for u in user_ids]),
        (title_features, [{"title_id": t, "feature": f, "weight": w} for t, f, w in title_feature_rows]),
        (user_features, [{"user_id": u, "feature": f, "weight": w} for u, f, w in user_feature_rows]),
    ]
    engine = create_engine_for(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(source_metadata.create_all)
            for table, values in rows:
                if values:
                    await conn.execute(table.insert(), values)
    finally:
        await engine.dispose()


def memory_source(
    title_rows: Iterable[tuple[int, str, bool]],
    events: Iterable[Event] = (),
    blacklisted: Iterable[tuple[int, str | None]] = (),
    user_ids: Iterable[int] = (),
    title_feature_rows: Iterable[tuple[int, str, float | None]] = (),
    user_feature_rows: Iterable[tuple[int, str, float | None]] = (),
    rule: PositiveRule | None = None,
    popular_window_days: int = 30,
) -> InMemoryInteractionSource:
    """The fake holding the same rows as `fill_source` writes (it keeps no users table), at NOW."""
    source = InMemoryInteractionSource(rule or PositiveRule(), popular_window_days=popular_window_days)
    source.now = lambda: NOW
    source.titles.update({i: a for i, _, a in title_rows})
    source.interactions.extend(Interaction(u, t, k, s, c.replace(tzinfo=UTC)) for u, t, k, s, c in events)
    source.blacklist.update(dict(blacklisted))
    for maps, rows in (
        (source.title_feature_map, title_feature_rows),
        (source.user_feature_map, user_feature_rows),
    ):
        for owner, feature, weight in rows:
            if weight is None or not math.isfinite(weight) or weight == 0:
                continue  # counts for nothing, as the SQL source reads it
            named = maps.setdefault(owner, {})
            named[feature] = named.get(feature, 0.0) + weight
    return source


TASTE_T0 = datetime(2026, 6, 1)


def taste_events(n_users: int = 120, n_titles: int = 60, seed: int = 3) -> list[Event]:
    """Users like the titles of their own group (id mod 4), and view one title of any group: enough
    structure for a quick fit to rank a user's group first."""
    rng = random.Random(seed)
    events: list[Event] = []
    for user in range(1, n_users + 1):
        liked = [t for t in range(1, n_titles + 1) if t % 4 == user % 4]
        for title in rng.sample(liked, 8):
            stamp = TASTE_T0 + timedelta(hours=title)
            events.append((user, title, "rating", float(rng.choice([4, 5])), stamp))
        events.append((user, rng.randint(1, n_titles), "view", None, TASTE_T0))
    return events
