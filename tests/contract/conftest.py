"""Fixtures of the contract suites."""

from __future__ import annotations

import pytest

from tests.contract.stores import BACKENDS, database_url
from tests.contract.test_source_contract import make_source  # noqa: F401 (a fixture the seen-pairs suite shares)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str | None:
    """The database of this test: None (the in-memory fake), a SQLite file, a MariaDB database.

    A sync fixture: it reaches the async `mysql_db` fixture before any event loop runs."""
    return database_url(request)
