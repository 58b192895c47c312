"""Request-path reads through the driver (`DriverReads`) against the real MariaDB, and hot events
read that way from a MariaDB registry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.registry.sqlalchemy_events import SqlAlchemyHotEventStore
from adapters.sql.driver_reads import DriverReads, placeholders
from adapters.sql.engines import create_engine_for
from domain.errors import RegistryUnavailableError, SourceUnavailableError
from domain.interaction import Interaction
from tests.conftest import MySqlDatabase, mysql_admin

pytestmark = [pytest.mark.integration, pytest.mark.mysql]


@pytest.fixture
async def engine(mysql_db: MySqlDatabase) -> AsyncIterator[AsyncEngine]:
    await mysql_admin(
        "CREATE TABLE t (user_id BIGINT NOT NULL, title_id BIGINT NOT NULL, note VARCHAR(20))",
        "INSERT INTO t VALUES (1, 10, '100%'), (1, 11, NULL), (2, 12, 'x')",
        database=mysql_db.name,
    )
    built = create_engine_for(mysql_db.url)
    yield built
    await built.dispose()


def unavailable(reason: str) -> SourceUnavailableError:
    return SourceUnavailableError(f"cannot read ({reason})")


async def test_reads_with_bound_parameters_and_sees_later_commits(
    engine: AsyncEngine, mysql_db: MySqlDatabase
) -> None:
    reads = DriverReads(engine, unavailable)
    sql = f"SELECT user_id, title_id FROM t WHERE user_id IN ({placeholders(reads.paramstyle, 2)}) ORDER BY 2"
    try:
        assert await reads.fetchall(sql, [1, 2]) == [(1, 10), (1, 11), (2, 12)]
        # A value is never spliced into the SQL: a quote in it is just data.
        quoted = f"SELECT COUNT(*) FROM t WHERE note = {placeholders(reads.paramstyle, 1)}"
        assert await reads.fetchall(quoted, ["x' OR '1'='1"]) == [(0,)]
        # Autocommit: a reused connection sees rows committed after its previous read.
        await mysql_admin("INSERT INTO t VALUES (2, 13, NULL)", database=mysql_db.name)
        assert await reads.fetchall(sql, [2, 3]) == [(2, 12), (2, 13)]
    finally:
        await reads.close()


async def test_an_idle_connection_the_server_dropped_is_replaced_transparently(engine: AsyncEngine) -> None:
    reads = DriverReads(engine, unavailable)
    try:
        (connection_id,) = (await reads.fetchall("SELECT CONNECTION_ID()", []))[0]
        await mysql_admin(f"KILL {int(connection_id)}")  # wait_timeout or a restart, say
        await asyncio.sleep(0.1)
        (again,) = (await reads.fetchall("SELECT CONNECTION_ID()", []))[0]
        assert again != connection_id
    finally:
        await reads.close()


async def test_failures_become_the_given_error_without_the_password() -> None:
    engine = create_engine_for("mysql+asyncmy://reader:s3cret-pw@127.0.0.1:1/site")
    reads = DriverReads(engine, unavailable)
    try:
        with pytest.raises(SourceUnavailableError) as caught:
            await reads.fetchall("SELECT 1", [])
        assert "127.0.0.1:1" in str(caught.value)
        assert "s3cret-pw" not in str(caught.value)
    finally:
        await engine.dispose()


async def test_a_read_that_does_not_answer_in_time_is_cut_off(engine: AsyncEngine) -> None:
    reads = DriverReads(engine, unavailable, timeout_seconds=0.2)
    try:
        with pytest.raises(SourceUnavailableError, match=r"no answer within 0\.2 s"):
            await reads.fetchall("SELECT SLEEP(5)", [])
        assert await reads.fetchall("SELECT 1", []) == [(1,)]  # the next read gets a sound connection
    finally:
        await reads.close()


async def test_hot_events_of_many_users_from_a_mariadb_registry(mysql_db: MySqlDatabase) -> None:
    engine = create_engine_for(mysql_db.url)
    store = SqlAlchemyHotEventStore(engine)
    await store.create_schema()
    big = 2**63 - 1
    moment = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    try:
        for user, title in [(1, 10), (1, 11), (1, 10), (big, big), (2, 20)]:
            await store.add(Interaction(user, title, "view", None, moment))
        found = await asyncio.gather(*(store.titles_of_user(u) for u in (1, big, 2, 3)))
        assert found == [frozenset({10, 11}), frozenset({big}), frozenset({20}), frozenset()]
    finally:
        await store.close()


async def test_an_unreachable_registry_is_unavailable_for_hot_reads() -> None:
    store = SqlAlchemyHotEventStore(create_engine_for("mysql+asyncmy://root@127.0.0.1:1/registry"))
    try:
        with pytest.raises(RegistryUnavailableError, match="hot events cannot be read"):
            await store.titles_of_user(1)
    finally:
        await store.close()
