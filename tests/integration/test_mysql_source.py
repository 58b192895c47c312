"""The source on MariaDB: streamed bulk reads, a read-only session, a SELECT-only user, outages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.source import mysql_stream
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import SOURCE_NET_WRITE_TIMEOUT_SECONDS, create_source_engine
from application.train_model import TrainCommand
from domain.errors import SourceUnavailableError
from domain.interaction import PositiveRule
from domain.model_version import TrainParams
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.conftest import MySqlDatabase
from tests.contract.source_data import TASTE_T0, Event, fill_source, taste_events

pytestmark = [pytest.mark.integration, pytest.mark.mysql]

T0 = TASTE_T0
SMALL = TrainParams(no_components=8, epochs=3)


async def fill_taste(url: str) -> None:
    titles = [(t, f"Title {t}", True) for t in range(1, 61)]
    await fill_source(url, titles, taste_events(), user_ids=range(1, 121))


async def test_bulk_reads_stream_in_chunks_into_columns(mysql_db: MySqlDatabase) -> None:
    n = 3 * mysql_stream.CHUNK_ROWS + 17
    events: list[Event] = [
        (i % 997, i % 301, ("view", "rating", "bookmark")[i % 3], float(i % 5) if i % 3 == 1 else None, T0)
        for i in range(n)
    ]
    await fill_source(mysql_db.url, [(1, "A", True)], events)
    source = SqlAlchemyInteractionSource(create_source_engine(mysql_db.url), PositiveRule())
    try:
        frame = (await source.load_training_data()).interactions
    finally:
        await source.close()

    assert len(frame) == n
    assert frame["user_id"].sum() == sum(i % 997 for i in range(n))
    assert frame["int_type"].dtype == "category"
    assert frame["int_type"].value_counts().to_dict() == {
        "view": n // 3 + 1,
        "rating": n // 3 + 1,
        "bookmark": n // 3,
    }
    assert int(np.isnan(frame["raw_score"]).sum()) == n - (n // 3 + 1)
    assert (frame["created_at"] == np.datetime64(T0, "ns")).all()


async def test_source_sessions_are_read_only_utc_with_a_long_write_timeout(mysql_db: MySqlDatabase) -> None:
    await fill_source(mysql_db.url, [(1, "A", True)])
    engine = create_source_engine(mysql_db.url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT @@session.net_write_timeout, @@session.time_zone"))).one()
            assert tuple(row) == (SOURCE_NET_WRITE_TIMEOUT_SECONDS, "+00:00")
            with pytest.raises(DBAPIError, match="READ ONLY"):
                await conn.execute(text("INSERT INTO titles (id, name) VALUES (2, 'B')"))
    finally:
        await engine.dispose()


@pytest.fixture
async def reader_container(
    mysql_db: MySqlDatabase, mysql_reader: str, tmp_path: Path
) -> AsyncIterator[Container]:
    await fill_taste(mysql_db.url)
    container = Container()
    container.settings.override(
        Settings(data_dir=tmp_path, source_url=mysql_reader, train_cron="off", train_threads=1)
    )
    runtime = container.runtime()
    await runtime.start()
    yield container
    await runtime.stop()


async def test_a_select_only_user_trains_a_model(reader_container: Container) -> None:
    job = await reader_container.train_model().execute(TrainCommand(params=SMALL))

    assert job.status.value == "succeeded", job.error
    assert job.model_id is not None
    assert reader_container.state().model_id == job.model_id
    version = await reader_container.registry().get_version(job.model_id)
    assert version is not None
    assert (version.dataset.n_users, version.dataset.n_items) == (120, 60)


class Proxy:
    """A TCP relay to MariaDB that the test can cut, as if the server went away."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                dst.write(data)
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        await self._server.wait_closed()


async def test_source_down_during_training_fails_the_job_and_keeps_the_model(
    mysql_db: MySqlDatabase, tmp_path: Path
) -> None:
    await fill_taste(mysql_db.url)
    proxy = Proxy(3306)
    port = await proxy.start()
    container = Container()
    url = mysql_db.url.replace("127.0.0.1:3306", f"127.0.0.1:{port}")
    container.settings.override(
        Settings(data_dir=tmp_path, source_url=url, train_cron="off", train_threads=1)
    )
    runtime = container.runtime()
    await runtime.start()
    try:
        first = await container.train_model().execute(TrainCommand(params=SMALL))
        assert first.status.value == "succeeded", first.error
        await proxy.cut()

        second = await container.train_model().execute(TrainCommand(params=SMALL))

        assert second.status.value == "failed"
        assert "source database cannot be read" in (second.error or "")
        assert container.state().model_id == first.model_id
        health = await container.check_health().execute()
        assert health.components["source"].status == "down"
    finally:
        await runtime.stop()


async def test_a_server_that_never_answers_is_given_up_on_quickly() -> None:
    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = SqlAlchemyInteractionSource(
        create_source_engine(f"mysql+asyncmy://reader:pw@127.0.0.1:{port}/site"), PositiveRule()
    )
    started = time.monotonic()
    try:
        with pytest.raises(SourceUnavailableError, match="cannot be read"):
            await source.load_catalogue()
    finally:
        await source.close()
        server.close()
    assert time.monotonic() - started < 10  # the connect timeout, not the OS's minutes
