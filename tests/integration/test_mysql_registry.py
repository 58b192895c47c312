"""The registry's contract tests, run again on MariaDB (the registry on any SQLAlchemy URL).

Every test of `test_sqlalchemy_registry` that needs only the `registry` fixture runs here against a
MariaDB database migrated by Alembic; the SQLite-specific ones (files, WAL) stay there.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import pytest

from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.sql.engines import create_engine_for
from domain.errors import RegistryUnavailableError
from tests.conftest import MySqlDatabase
from tests.integration import test_sqlalchemy_registry as sqlite_suite

pytestmark = [pytest.mark.integration, pytest.mark.mysql]

for _name, _test in vars(sqlite_suite).items():
    if _name.startswith("test_") and list(inspect.signature(_test).parameters) == ["registry"]:
        globals()[_name] = _test


@pytest.fixture
async def registry(mysql_db: MySqlDatabase) -> AsyncIterator[SqlAlchemyModelRegistry]:
    engine = create_engine_for(mysql_db.url)
    store = SqlAlchemyModelRegistry(engine)
    await store.create_schema()
    await store.create_schema()  # idempotent
    yield store
    await engine.dispose()


def test_the_shared_suite_was_picked_up() -> None:
    assert sum(name.startswith("test_") for name in globals()) >= 6


async def test_an_unreachable_registry_is_unavailable() -> None:
    engine = create_engine_for("mysql+asyncmy://svc:s3cret@127.0.0.1:1/registry")
    try:
        with pytest.raises(RegistryUnavailableError) as caught:
            await SqlAlchemyModelRegistry(engine).ping()
        assert "s3cret" not in str(caught.value)
    finally:
        await engine.dispose()
