"""Load MovieLens 100k into a source database (SQLite or MySQL/MariaDB) in the default schema.

A tool for operators and tests: the service itself never writes to its source. Ratings become
`rating` interactions (raw_score, created_at from the Unix time in UTC), genres `genre:<name>` title
features, age bucket / gender / occupation user features. The schema is created when absent. A target
that already holds data is refused unless `replace` is given, which empties the six tables and loads
anew in the same transaction (readers see the old data or the new, never a mix, where DDL allows).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.source.schema import SOURCE_TABLES, source_metadata
from adapters.source.schema import interactions as interactions_table
from adapters.source.schema import title_features as title_features_table
from adapters.source.schema import titles as titles_table
from adapters.source.schema import user_features as user_features_table
from adapters.source.schema import users as users_table
from adapters.sql.engines import async_url, create_engine_for, describe_failure
from tools import movielens_files as files

BATCH_ROWS = 10_000
Progress = Callable[[str, int, int], None]
"""Called with (table, rows written, rows to write)."""


class LoaderError(RuntimeError):
    """The load was refused or failed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class LoadSummary:
    titles: int
    title_features: int
    users: int
    user_features: int
    interactions: int
    seconds: float


def _quiet(_table: str, _done: int, _total: int) -> None:
    return None


async def load_movielens(
    directory: Path, url: str, *, replace: bool = False, progress: Progress = _quiet
) -> LoadSummary:
    started = time.perf_counter()
    titles, genres = files.items(directory)
    user_ids, user_features = files.users(directory)
    total_ratings = files.count_ratings(directory)
    engine = create_engine_for(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(source_metadata.create_all, checkfirst=True)
        async with engine.begin() as conn:
            await _empty_or_refuse(conn, replace)
            n_ratings, rated_titles, rated_users = await _load_ratings(
                conn, directory, total_ratings, progress
            )
            titles = _with_missing_titles(titles, rated_titles)
            all_users = np.union1d(user_ids, rated_users)
            await _insert(conn, titles_table, titles.assign(is_active=True), progress)
            await _insert(conn, title_features_table, genres.assign(weight=1.0), progress)
            await _insert(conn, users_table, pd.DataFrame({"id": all_users}), progress)
            await _insert(conn, user_features_table, user_features.assign(weight=1.0), progress)
    except SQLAlchemyError as exc:
        raise LoaderError(f"loading into the source failed: {describe_failure(engine, exc)}") from None
    finally:
        await engine.dispose()
    return LoadSummary(
        len(titles), len(genres), len(all_users), len(user_features), n_ratings, time.perf_counter() - started
    )


async def _empty_or_refuse(conn: AsyncConnection, replace: bool) -> None:
    counts = {table.name: await _count(conn, table) for table in SOURCE_TABLES}
    filled = {name: n for name, n in counts.items() if n}
    if not filled:
        return
    if not replace:
        held = ", ".join(f"{name}: {n}" for name, n in filled.items())
        raise LoaderError(
            f"the target already holds data ({held}); nothing was changed. "
            "Run again with --replace to delete it and load anew"
        )
    for table in reversed(SOURCE_TABLES):
        await conn.execute(delete(table))


async def _count(conn: AsyncConnection, table: Table) -> int:
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _load_ratings(
    conn: AsyncConnection, directory: Path, total: int, progress: Progress
) -> tuple[int, np.ndarray, np.ndarray]:
    done = 0
    titles: list[np.ndarray] = []
    users: list[np.ndarray] = []
    for chunk in files.ratings(directory, BATCH_ROWS):
        rows = chunk.assign(int_type="rating")
        await conn.execute(interactions_table.insert(), _records(rows))
        titles.append(np.unique(chunk["title_id"].to_numpy()))
        users.append(np.unique(chunk["user_id"].to_numpy()))
        done += len(chunk)
        progress(interactions_table.name, done, total)
    empty = np.empty(0, dtype=np.int64)
    return done, np.unique(np.concatenate(titles or [empty])), np.unique(np.concatenate(users or [empty]))


def _with_missing_titles(titles: pd.DataFrame, rated: np.ndarray) -> pd.DataFrame:
    """Titles rated in u.data but absent from u.item still exist, under a placeholder name."""
    missing = np.setdiff1d(rated, titles["id"].to_numpy())
    if len(missing) == 0:
        return titles
    extra = pd.DataFrame({"id": missing, "name": [f"Title {t}" for t in missing.tolist()]})
    return pd.concat([titles, extra], ignore_index=True)


async def _insert(conn: AsyncConnection, table: Table, frame: pd.DataFrame, progress: Progress) -> None:
    for start in range(0, len(frame), BATCH_ROWS):
        await conn.execute(table.insert(), _records(frame.iloc[start : start + BATCH_ROWS]))
        progress(table.name, min(start + BATCH_ROWS, len(frame)), len(frame))


def _records(frame: pd.DataFrame) -> list[Mapping[str, Any]]:
    """Plain Python values (drivers do not take numpy scalars)."""
    columns: dict[str, Iterable[Any]] = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            columns[name] = values.dt.to_pydatetime().tolist()
        else:
            columns[name] = values.tolist()
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
