"""The trainer lease and the registry on one database: the fake pair, or the SQL adapters on one URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from adapters.memory.lease import InMemoryTrainerLease
from adapters.memory.registry import InMemoryModelRegistry
from adapters.registry.sqlalchemy_lease import SqlAlchemyTrainerLease
from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.sql.engines import create_engine_for


@dataclass
class LeaseAndRegistry:
    lease: Any
    registry: Any
    url: str | None


@asynccontextmanager
async def lease_and_registry(
    url: str | None, shared: InMemoryModelRegistry | None = None
) -> AsyncIterator[LeaseAndRegistry]:
    """A ready pair on `url` (schema created); for the fake, on `shared` when given (a second
    "process" of the same registry). Each SQL pair has its own engine, as two processes would."""
    if url is None:
        registry = shared or InMemoryModelRegistry()
        yield LeaseAndRegistry(InMemoryTrainerLease(registry), registry, None)
        return
    engine = create_engine_for(url)
    registry = SqlAlchemyModelRegistry(engine)
    try:
        await registry.create_schema()
        yield LeaseAndRegistry(SqlAlchemyTrainerLease(engine), registry, url)
    finally:
        await engine.dispose()
