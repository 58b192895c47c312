"""Small reads on the request path straight through the database driver.

A cache miss reads two databases (the user's "seen" titles from the source, their hot events from
the registry). Through SQLAlchemy's async engine such a read costs several times the CPU it costs
through asyncmy alone on MySQL/MariaDB (pool checkout and pre-ping, greenlet hand-offs, reset on
return), and misses come in bursts (figures in BENCHMARKS.md). `DriverReads` keeps a few driver
connections of its own, opened with exactly the arguments the engine would use (its dialect's
`create_connect_args` plus the engine's `connect_args`), in autocommit (each read sees what was
committed before it started) and with the engine's session statements.

Other drivers (SQLite's aiosqlite) go through the engine's connection: `DriverReads.for_engine`
picks. Parameters are always bound by the driver (`paramstyle` placeholders), never formatted in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncmy
from asyncmy.errors import MySQLError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engines import MYSQL_CONNECT_TIMEOUT_SECONDS, POOL_RECYCLE_SECONDS, describe_failure

IDLE_CONNECTIONS = 2
CONNECT_TIMEOUT_SECONDS = 5.0  # connect and session set-up (the driver bounds only the TCP connect)

Rows = list[tuple[Any, ...]]


class DriverReads:
    """Runs one read (`fetchall`) on a driver connection; raises `error(reason)` on any failure."""

    def __init__(
        self,
        engine: AsyncEngine,
        error: Callable[[str], Exception],
        session_sql: Sequence[str] = (),
        timeout_seconds: float = 5.0,
    ) -> None:
        self._engine = engine
        self._error = error
        self._session_sql = tuple(session_sql)
        self._timeout = timeout_seconds
        self._idle: list[tuple[Any, float]] = []  # (connection, opened at)
        self._direct = engine.dialect.driver == "asyncmy"
        self.paramstyle: str = engine.dialect.paramstyle

    async def fetchall(self, sql: str, args: Sequence[Any]) -> Rows:
        if not self._direct:
            return await self._through_engine(sql, args)
        reused = bool(self._idle)
        try:
            return await self._once(sql, args)
        except (OSError, TimeoutError, MySQLError) as exc:
            if reused and not isinstance(exc, TimeoutError):
                # An idle connection the server closed meanwhile (a restart, wait_timeout): the
                # read is idempotent, so try once more on a new connection.
                try:
                    return await self._once(sql, args, fresh=True)
                except (OSError, TimeoutError, MySQLError) as again:
                    exc = again
            raise self._error(self._reason(exc)) from None

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn, _opened in idle:
            conn.close()

    async def _once(self, sql: str, args: Sequence[Any], fresh: bool = False) -> Rows:
        if fresh:
            await self.close()
        conn, opened = self._take()
        if conn is None:
            conn, opened = await self._connect(), time.monotonic()
        ok = False
        try:
            async with asyncio.timeout(self._timeout):
                async with conn.cursor() as cursor:
                    await cursor.execute(sql, tuple(args))
                    rows: Rows = list(await cursor.fetchall())
            ok = True
            return rows
        finally:
            if ok and len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append((conn, opened))
            else:  # a failed or timed-out connection may be mid-answer: never reuse it
                conn.close()

    def _take(self) -> tuple[Any, float]:
        while self._idle:
            conn, opened = self._idle.pop()
            if time.monotonic() - opened < POOL_RECYCLE_SECONDS:
                return conn, opened
            conn.close()
        return None, 0.0

    async def _connect(self) -> Any:
        _cargs, params = self._engine.dialect.create_connect_args(self._engine.url)
        params = {**params, "connect_timeout": MYSQL_CONNECT_TIMEOUT_SECONDS, "autocommit": True}
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            conn = await asyncmy.connect(**params)
            try:
                async with conn.cursor() as cursor:
                    for statement in self._session_sql:
                        await cursor.execute(statement)
            except BaseException:
                conn.close()
                raise
        return conn

    async def _through_engine(self, sql: str, args: Sequence[Any]) -> Rows:
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as conn:
                return [tuple(row) for row in await conn.exec_driver_sql(sql, tuple(args))]
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise self._error(self._reason(exc)) from None

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            where = self._engine.url.render_as_string(hide_password=True)
            return f"{where}: no answer within {self._timeout:g} s"
        return describe_failure(self._engine, exc)


def placeholders(paramstyle: str, n: int) -> str:
    """`n` driver placeholders joined by commas (`?` for qmark, `%s` for format/pyformat)."""
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(paramstyle)
    if mark is None:
        raise ValueError(f"unsupported driver paramstyle {paramstyle!r}")
    return ", ".join([mark] * n)
