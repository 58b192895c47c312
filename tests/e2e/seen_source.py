"""A real source for the seen-index tests: SQLite or MariaDB (behind a relay that can be cut and that
counts what the service sends), written by another client as the site would write it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from adapters.source.schema import interactions
from adapters.sql.engines import create_engine_for
from application.train_model import TrainCommand
from domain.model_version import TrainParams
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.contract.source_data import fill_source, taste_events
from tests.e2e.conftest import index_ready

SMALL = TrainParams(no_components=8, epochs=3)


class Relay:
    """A TCP relay to MariaDB: `cut` drops every connection and refuses new ones until `resume`;
    `sent` counts the bytes clients sent (every statement, whichever code path sends it)."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0
        self.sent = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool) -> None:
            while data := await src.read(65536):
                if upstream:
                    self.sent += len(data)
                dst.write(data)
            dst.close()

        await asyncio.gather(
            pipe(reader, up_writer, True), pipe(up_reader, writer, False), return_exceptions=True
        )

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    async def resume(self) -> None:
        await self.start()


@dataclass
class RealSource:
    service_url: str  # what the service connects to (through the relay on MariaDB)
    writer_url: str  # another client, straight to the database
    relay: Relay | None = None

    async def write(self, user_id: int, title_id: int, int_type: str = "view") -> None:
        """One interaction written now by the site (naive UTC, whole seconds, as the source holds them)."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        engine = create_engine_for(self.writer_url)
        try:
            async with engine.begin() as conn:
                row = {"user_id": user_id, "title_id": title_id, "int_type": int_type, "created_at": now}
                await conn.execute(insert(interactions), [row])
        finally:
            await engine.dispose()


COLD_USERS = range(200, 204)
"""Users with features and no interaction: their lists are cold-start ones."""


def group_features() -> list[tuple[int, str, float]]:
    """Every user's taste group as a feature, the cold-start users' too."""
    return [(user, f"group:{user % 4}", 1.0) for user in (*range(1, 121), *COLD_USERS)]


async def real_source(kind: str, tmp_path: Path, mysql_url: str | None) -> AsyncIterator[RealSource]:
    titles = [(t, f"Title {t}", True) for t in range(1, 61)]
    features = {"user_ids": range(1, 121), "user_feature_rows": group_features()}
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
        await fill_source(url, titles, taste_events(), **features)
        yield RealSource(url, url)
        return
    assert mysql_url is not None
    await fill_source(mysql_url, titles, taste_events(), **features)
    relay = Relay(3306)
    port = await relay.start()
    try:
        yield RealSource(mysql_url.replace("127.0.0.1:3306", f"127.0.0.1:{port}"), mysql_url, relay)
    finally:
        await relay.cut()


@asynccontextmanager
async def running(data_dir: Path, source: RealSource, **settings: object) -> AsyncIterator[Container]:
    """The real stack over `source` (a follower: no cron), its seen index built; stopped afterwards."""
    container = Container()
    options: dict[str, object] = {"train_cron": "off", "train_threads": 1, **settings}
    container.settings.override(Settings(data_dir=data_dir, source_url=source.service_url, **options))  # type: ignore[arg-type]
    runtime = container.runtime()
    await runtime.start()
    try:
        if container.settings().seen_from == "memory":
            await index_ready(container, 20.0)
        yield container
    finally:
        await runtime.stop()


async def train(container: Container) -> str:
    job = await container.train_model().execute(TrainCommand(params=SMALL))
    assert job.status.value == "succeeded" and job.model_id is not None, job.error
    return job.model_id
