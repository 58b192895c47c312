"""Seen titles from memory (contract section 11) on the real stack over a real source: a miss sends no
statement, rows the site writes leave the lists within the tail interval, outages and restarts."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from sqlalchemy import event

from entrypoints.grpc.server import GrpcService
from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.contract.source_data import taste_events
from tests.e2e.conftest import client_for
from tests.e2e.seen_source import COLD_USERS, RealSource, real_source, running, train

pytestmark = pytest.mark.integration

TAIL = 1.0
SLACK = 1.0  # the contract's bound: the tail interval plus one second


@pytest.fixture(params=["sqlite", "mariadb"])
def mysql_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    request.applymarker(pytest.mark.mysql)
    return str(request.getfixturevalue("mysql_db").url)


@pytest.fixture
async def source(mysql_url: str | None, tmp_path: Path) -> AsyncIterator[RealSource]:
    async for found in real_source("sqlite" if mysql_url is None else "mariadb", tmp_path, mysql_url):
        yield found


def seen_in_data(user_id: int) -> set[int]:
    return {t for u, t, *_ in taste_events() if u == user_id}


async def user_list(api: httpx.AsyncClient, user_id: int) -> dict[str, Any]:
    response = await api.get("/titles/recommendations", params={"user_id": user_id, "k": 10})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def until_absent(fetch: Any, title_id: int, within: float) -> tuple[float, Any]:
    """Poll `fetch()` (a list answer) until `title_id` leaves it; (seconds taken, that answer)."""
    started = time.monotonic()
    while True:
        answer = await fetch()
        ids = answer["item_ids"] if isinstance(answer, dict) else list(answer.item_ids)
        if title_id not in ids:
            return time.monotonic() - started, answer
        assert time.monotonic() - started < within, f"title {title_id} still listed after {within} s"
        await asyncio.sleep(0.05)


async def test_a_row_the_site_writes_leaves_cached_and_uncached_lists_within_the_tail(
    source: RealSource, tmp_path: Path
) -> None:
    async with running(tmp_path / "data", source, source_tail_seconds=TAIL) as container:
        await train(container)
        async with client_for(container) as api:
            await user_list(api, 5)
            cached = await user_list(api, 5)
            assert cached["cached"] is True
            target = cached["item_ids"][0]
            await source.write(5, target, "click")  # a type without a weight: seen all the same

            took, answer = await until_absent(lambda: user_list(api, 5), target, TAIL + SLACK + 0.5)

            assert took <= TAIL + SLACK, took
            assert answer["cached"] is True and len(answer["item_ids"]) == 10  # filtered at read
            assert (await api.post("/admin/cache/invalidate")).status_code == 200
            fresh = await user_list(api, 5)
            assert fresh["cached"] is False and target not in fresh["item_ids"]
            assert not seen_in_data(5) & set(fresh["item_ids"])


async def test_a_row_the_site_writes_leaves_the_grpc_list_within_the_tail(
    source: RealSource, tmp_path: Path
) -> None:
    async with running(tmp_path / "data", source, source_tail_seconds=TAIL) as container:
        await train(container)
        service = GrpcService(container.grpc_servicer(), container.check_health(), 0, host="127.0.0.1")
        await service.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
                stub = pb_grpc.RecommenderStub(channel)

                async def fetch() -> pb.RecommendationsResponse:
                    return await stub.GetUserRecommendations(pb.UserRequest(user_id=9, k=10))

                target = (await fetch()).item_ids[0]
                await source.write(9, target)
                took, answer = await until_absent(fetch, target, TAIL + SLACK + 0.5)
        finally:
            await service.stop(0)
    assert took <= TAIL + SLACK and answer.cached and len(answer.item_ids) == 10


@pytest.mark.parametrize("seen_from", ["memory", "source"])
async def test_a_cache_miss_sends_no_statement_to_any_database(
    source: RealSource, tmp_path: Path, seen_from: str
) -> None:
    """Counted at the drivers: every SQLAlchemy statement on the source, registry and hot-event
    engines issued on behalf of the misses (a context variable set around them follows the tasks
    they start), and on MariaDB every byte sent through the relay (the driver-level reads bypass
    SQLAlchemy). Reading from the source (version 1) the same misses do send statements."""
    misses: contextvars.ContextVar[bool] = contextvars.ContextVar("misses", default=False)
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += misses.get()

    # The tail runs once (the build) during this test: what is counted is the misses alone.
    async with running(tmp_path / "data", source, seen_from=seen_from, source_tail_seconds=3600) as c:
        await train(c)
        for engine in (c.source_engine(), c.registry_engine(), c.hot_events_engine()):
            event.listen(engine.sync_engine, "before_cursor_execute", count)
        async with client_for(c) as api:
            relay_before = source.relay.sent if source.relay else 0
            token = misses.set(True)
            try:
                answers = [await user_list(api, user) for user in range(1, 41)]
                cold = [await user_list(api, user) for user in COLD_USERS]
            finally:
                misses.reset(token)
            sent = (source.relay.sent if source.relay else 0) - relay_before
    assert all(a["cached"] is False and a["source"] == "model" for a in answers)
    assert all(not seen_in_data(user) & set(a["item_ids"]) for user, a in enumerate(answers, 1))
    # users the model does not know: ranked from their features, held in memory too
    assert all(a["cached"] is False and a["source"] == "cold_start" for a in cold), cold
    if seen_from == "memory":
        assert statements[0] == 0 and sent == 0
    else:
        assert statements[0] > 0 or sent > 0


@pytest.mark.mysql
async def test_the_index_serves_through_a_source_outage_and_the_tail_resumes(
    mysql_db: Any, tmp_path: Path
) -> None:
    async for source in real_source("mariadb", tmp_path, str(mysql_db.url)):
        async with running(tmp_path / "data", source, source_tail_seconds=0.5) as container:
            await train(container)
            assert source.relay is not None
            async with client_for(container) as api:
                target = (await user_list(api, 5))["item_ids"][0]
                await source.relay.cut()
                await asyncio.sleep(1.0)  # a tail step fails meanwhile
                health = (await api.get("/health")).json()
                assert health["components"]["source"]["status"] == "down"
                assert (await api.post("/admin/cache/invalidate")).status_code == 200
                during = await user_list(api, 5)  # a miss, answered from the index
                assert during["cached"] is False and len(during["item_ids"]) == 10
                assert not seen_in_data(5) & set(during["item_ids"])
                await source.write(5, target)  # the site goes on writing; the service cannot read

                await source.relay.resume()
                took, _ = await until_absent(lambda: user_list(api, 5), target, 10.0)
            assert container.seen_index().ready and target in container.seen_index().seen(5)
        assert took < 10.0


async def test_a_restart_rebuilds_the_index_from_the_source(source: RealSource, tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with running(data, source) as first, client_for(first) as api:
        await train(first)
        target = (await user_list(api, 6))["item_ids"][0]
    await source.write(6, target)  # while no process runs

    async with running(data, source, source_tail_seconds=3600) as second, client_for(second) as api:
        assert target in second.seen_index().seen(6)
        after = await user_list(api, 6)
    assert after["source"] == "model" and target not in after["item_ids"]
    assert not seen_in_data(6) & set(after["item_ids"])


@pytest.mark.redis
async def test_after_a_restart_lists_cached_before_lose_rows_written_meanwhile(
    source: RealSource, tmp_path: Path, redis_server: str
) -> None:
    """With a shared cache, a list cached before the restart outlives it: the rows created within a
    list's lifetime count as recent additions of the rebuilt index, filtered when it is read."""
    data, redis_url = tmp_path / "data", redis_server.rsplit("/", 1)[0] + "/11"
    async with running(data, source, redis_url=redis_url) as first, client_for(first) as api:
        await train(first)
        await user_list(api, 6)
        before = await user_list(api, 6)
        assert before["cached"] is True
    target = before["item_ids"][0]
    await source.write(6, target)

    rerun = running(data, source, redis_url=redis_url, source_tail_seconds=3600)
    async with rerun as second, client_for(second) as api:
        after = await user_list(api, 6)
    assert after["cached"] is True and target not in after["item_ids"] and len(after["item_ids"]) == 10
