"""Where each registry-database port lives: the in-memory fake, a SQLite file, a MariaDB database.

`db_url` (tests/contract/conftest.py) runs a test once per backend; `ready` turns its URL into a
ready adapter (schema created, closed after) or the fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engines import create_engine_for

BACKENDS = ("memory", "sqlite", "mariadb")


def database_url(request: pytest.FixtureRequest) -> str | None:
    """The URL of this test's database (None for the fake); MariaDB params carry the `mysql` marker,
    so they skip without the server and fail under CI=true."""
    if request.param == "memory":
        return None
    request.applymarker(pytest.mark.integration)
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{request.getfixturevalue('tmp_path') / 'test.db'}"
    request.applymarker(pytest.mark.mysql)
    return str(request.getfixturevalue("mysql_db").url)


@asynccontextmanager
async def ready(
    url: str | None,
    fake: Callable[[], Any],
    real: Callable[[AsyncEngine], Any],
    engine_for: Callable[[str], AsyncEngine] = create_engine_for,
) -> AsyncIterator[Any]:
    """The fake, or the real adapter over a new engine on `url`; schema created, engine disposed."""
    if url is None:
        yield fake()
        return
    engine = engine_for(url)
    store = real(engine)
    create: Callable[[], Awaitable[None]] = store.create_schema  # idempotence: test_migrations
    try:
        await create()
        yield store
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            await close()
        await engine.dispose()


@asynccontextmanager
async def unusable(
    url: str | None,
    fake: Callable[[], Any],
    real: Callable[[AsyncEngine], Any],
    engine_for: Callable[[str], AsyncEngine] = create_engine_for,
) -> AsyncIterator[Any]:
    """A store whose database cannot serve it: the fake switched off, or a real adapter on a
    database its schema was never created in."""
    if url is None:
        store = fake()
        store.available = False
        yield store
        return
    engine = engine_for(url)
    try:
        yield real(engine)
    finally:
        await engine.dispose()
