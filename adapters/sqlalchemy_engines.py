"""Async SQLAlchemy engines for the source and the registry, tuned per dialect.

Creating an engine never connects: the first query does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 5000
POOL_RECYCLE_SECONDS = 1800
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


def create_engine_for(url: str) -> AsyncEngine:
    """An engine for `url`: WAL and a busy timeout for SQLite, pre-ping and recycling elsewhere."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, pool_pre_ping=True, pool_recycle=POOL_RECYCLE_SECONDS)
    _make_parent_dirs(parsed)
    engine = create_async_engine(parsed)
    event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
    return engine


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def describe_failure(engine: AsyncEngine, exc: BaseException) -> str:
    """A one-line reason for a failed database call that never reveals the password."""
    cause: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        cause = exc.orig
    lines = str(cause).strip().splitlines()
    detail = lines[0] if lines else type(cause).__name__
    password = engine.url.password
    if password:
        detail = detail.replace(str(password), "***")
    where = engine.url.render_as_string(hide_password=True)
    return f"{where}: {type(cause).__name__}: {detail}"


def _make_parent_dirs(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
