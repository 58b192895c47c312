"""The registry on MariaDB/MySQL: what only this driver does (the port's behaviour on MariaDB runs in
`tests/contract/test_registry_contract.py`)."""

from __future__ import annotations

import pytest

from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.sql.engines import create_engine_for
from domain.errors import RegistryUnavailableError

pytestmark = [pytest.mark.integration, pytest.mark.mysql]


async def test_an_unreachable_registry_is_unavailable() -> None:
    engine = create_engine_for("mysql+asyncmy://svc:s3cret@127.0.0.1:1/registry")
    try:
        with pytest.raises(RegistryUnavailableError) as caught:
            await SqlAlchemyModelRegistry(engine).ping()
        assert "s3cret" not in str(caught.value)
    finally:
        await engine.dispose()
