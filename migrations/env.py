"""Alembic environment for the registry database.

The service passes its own (sync-facade) connection in `config.attributes["connection"]`. Run by hand
(`alembic -c migrations/alembic.ini upgrade head`), it connects to `REC_REGISTRY_URL` (async URLs work).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.registry.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def _url() -> str:
    url = os.environ.get("REC_REGISTRY_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set REC_REGISTRY_URL (or sqlalchemy.url) to migrate a registry by hand")
    return url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    asyncio.run(_run_with_url(_url()))
