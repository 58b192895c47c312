"""Async SQLAlchemy engines for the source and the registry, tuned per dialect.

Creating an engine never connects: the first query does. MySQL/MariaDB connections give up after a
short connect timeout; source connections are read-only sessions in UTC with a long
`net_write_timeout` (a bulk read whose consumer falls behind is not cut off by the server).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from domain.errors import RegistryUnavailableError

SQLITE_BUSY_TIMEOUT_MS = 5000
POOL_RECYCLE_SECONDS = 1800
MYSQL_CONNECT_TIMEOUT_SECONDS = 3
SOURCE_READ_TIMEOUT_SECONDS = 300  # longest silence of the server inside one read
SOURCE_NET_WRITE_TIMEOUT_SECONDS = 900
_ASYNC_DRIVERS = {"mysql": "mysql+asyncmy", "mariadb": "mysql+asyncmy", "sqlite": "sqlite+aiosqlite"}
_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)
_SQLITE_WAL_RETRY_SECONDS = 0.02


# Every source connection reads in UTC, read-only, with GROUP_CONCAT long enough for a user's titles.
MYSQL_SESSION_SQL = (
    "SET SESSION time_zone = '+00:00'",
    "SET SESSION net_write_timeout = {net_write_timeout}",
    "SET SESSION group_concat_max_len = 1073741824",  # MySQL cuts GROUP_CONCAT at 1,024 bytes
    "SET SESSION TRANSACTION READ ONLY",
)


def create_engine_for(url: str) -> AsyncEngine:
    """An engine for `url`: WAL and a busy timeout for SQLite, pre-ping and recycling elsewhere."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(
            parsed,
            pool_pre_ping=True,
            pool_recycle=POOL_RECYCLE_SECONDS,
            connect_args=_connect_args(parsed, read_timeout=None),
        )
    _make_parent_dirs(parsed)
    engine = create_async_engine(parsed)
    event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
    return engine


def create_source_engine(url: str) -> AsyncEngine:
    """An engine for the read-only source: MySQL sessions read-only in UTC, SQLite `query_only`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine_for(url)
        event.listen(engine.sync_engine, "connect", _sqlite_query_only)
        return engine
    engine = create_async_engine(
        parsed,
        pool_pre_ping=True,
        pool_recycle=POOL_RECYCLE_SECONDS,
        connect_args=_connect_args(parsed, read_timeout=SOURCE_READ_TIMEOUT_SECONDS),
    )
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        event.listen(engine.sync_engine, "connect", _mysql_source_session)
    return engine


def async_url(url: str) -> str:
    """`url` with the async driver the service uses when it names none (`mysql://` -> asyncmy)."""
    parsed = make_url(url)
    if "+" in parsed.drivername or parsed.drivername not in _ASYNC_DRIVERS:
        return url
    return parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername]).render_as_string(hide_password=False)


_SYNC_DRIVERS = {"mysql": "mysql+pymysql", "mariadb": "mysql+pymysql", "sqlite": "sqlite",
                 "postgresql": "postgresql+psycopg"}  # fmt: skip


def sync_url(url: str) -> str:
    """The same database through a synchronous driver, for libraries that need one (Optuna's RDB
    storage): `mysql+asyncmy://` -> `mysql+pymysql://`, `sqlite+aiosqlite:///` -> `sqlite:///`."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _SYNC_DRIVERS:
        raise ValueError(f"no synchronous driver is known for {backend!r} databases")
    return parsed.set(drivername=_SYNC_DRIVERS[backend]).render_as_string(hide_password=False)


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


def _connect_args(url: URL, read_timeout: int | None) -> dict[str, Any]:
    if url.get_driver_name() != "asyncmy":
        return {}
    args: dict[str, Any] = {"connect_timeout": MYSQL_CONNECT_TIMEOUT_SECONDS}
    if read_timeout is not None:
        args["read_timeout"] = read_timeout
    return args


def mysql_source_session_sql() -> tuple[str, ...]:
    """The statements every MySQL/MariaDB source session starts with."""
    return tuple(s.format(net_write_timeout=SOURCE_NET_WRITE_TIMEOUT_SECONDS) for s in MYSQL_SESSION_SQL)


def _mysql_source_session(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for statement in mysql_source_session_sql():
            cursor.execute(statement)
    finally:
        cursor.close()


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA query_only=ON")
    finally:
        cursor.close()


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        _switch_to_wal(cursor)
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """Put the database in WAL mode, waiting (up to the busy timeout) for others to let it.

    The switch needs the database to itself and SQLite does not call the busy handler for it: on a
    fresh file that several processes open at once (replicas starting together) it fails at once
    with "database is locked". Once the file is in WAL mode the switch is a no-op that never fails.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(_SQLITE_WAL_RETRY_SECONDS)


@asynccontextmanager
async def registry_connection(
    engine: AsyncEngine, what: str, write: bool = False
) -> AsyncIterator[AsyncConnection]:
    """A registry connection (a transaction when `write`); failures become RegistryUnavailableError."""
    try:
        async with engine.begin() if write else engine.connect() as conn:
            yield conn
    except (SQLAlchemyError, OSError) as exc:
        raise RegistryUnavailableError(f"{what} ({describe_failure(engine, exc)})") from None
