"""Two real `serve` processes sharing a MariaDB registry, a data directory and Redis: what an admin
call or a hot event on one changes reaches the other's answers within 1 s through the broadcast.

The registry poll and the seen index's tail are set to 10 minutes, so that only the broadcast can
explain what the other replica does in time. Without Redis, the poll alone converges.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from application.train_model import TrainCommand
from domain.model_version import TrainParams
from entrypoints.container import Container, alone
from entrypoints.settings import Settings
from tests.conftest import MySqlDatabase
from tests.e2e.served_process import Running, served
from tools.demo_data import generate_demo_source

pytestmark = [pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]
REDIS_DB = 6  # this test's own database number
LONG = "600"  # seconds: the poll and the tail never step during a test
WITHIN = 1.0


@pytest.fixture
def registry_url(mysql_db: MySqlDatabase) -> str:
    return mysql_db.url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    url = redis_server.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    Redis.from_url(url).flushdb()
    return url


async def two_versions(data_dir: Path, registry_url: str) -> tuple[str, str]:
    """Train two small versions into the shared registry (the first active) before the replicas start."""
    generate_demo_source(data_dir / "demo_source.db")
    container = alone(Container())  # trains here, outside the trainer lease
    container.settings.override(
        Settings(data_dir=data_dir, registry_url=registry_url, train_cron="off", train_threads=2)
    )
    await container.registry().create_schema()
    await container.hot_events().create_schema()
    small = TrainParams(epochs=4, no_components=16)
    first = await container.train_model().execute(TrainCommand(small))
    second = await container.train_model().execute(TrainCommand(small, activate=False))
    for close in (container.source().close, container.hot_events().close, container.registry().close):
        await close()
    assert first.model_id and second.model_id, (first, second)
    return first.model_id, second.model_id


def replica_settings(registry_url: str, redis_url: str | None, poll: str = LONG) -> dict[str, str]:
    settings = {
        "REC_REGISTRY_URL": registry_url,
        "REC_REGISTRY_POLL_SECONDS": poll,
        "REC_SOURCE_TAIL_SECONDS": LONG,
    }
    if redis_url:
        settings["REC_REDIS_URL"] = redis_url
    return settings


async def until(check: Callable[[], Awaitable[Any]], seconds: float) -> float:
    """Poll `check` until it returns something truthy; the seconds it took (or the limit, exceeded)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    return seconds + 1


async def rec(client: httpx.AsyncClient, user_id: int, k: int = 20) -> dict[str, Any]:
    response = await client.get("/titles/recommendations", params={"user_id": user_id, "k": k})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_activation_blacklist_and_hot_events_reach_the_other_replica_within_a_second(
    tmp_path: Path, registry_url: str, redis_url: str
) -> None:
    first, second = await two_versions(tmp_path, registry_url)
    settings = replica_settings(registry_url, redis_url)
    async with (
        served("serve", tmp_path, settings) as a,
        served("serve", tmp_path, settings) as b,
        httpx.AsyncClient(base_url=a.url) as on_a,
        httpx.AsyncClient(base_url=b.url) as on_b,
    ):
        assert (await rec(on_b, 3))["model_id"] == first

        # activation on A: B answers with the new version
        assert (await on_a.post(f"/admin/models/{second}/activate")).status_code == 200

        async def b_serves_second() -> bool:
            return (await rec(on_b, 3))["model_id"] == second

        assert await until(b_serves_second, 3) <= WITHIN, log_of(b)

        # blacklist on A: the title leaves B's lists
        banned = (await rec(on_b, 5))["item_ids"][0]
        assert (await on_a.put(f"/admin/blacklist/{banned}", json={"reason": "test"})).status_code == 200

        async def b_hides_banned() -> bool:
            return banned not in (await rec(on_b, 5))["item_ids"]

        assert await until(b_hides_banned, 3) <= WITHIN, log_of(b)
        await hot_event_moves_the_other_replica(on_a, on_b, b)


async def hot_event_moves_the_other_replica(
    on_a: httpx.AsyncClient, on_b: httpx.AsyncClient, b: Running
) -> None:
    """A hot event on A: the title leaves B's list and B's scores for the user change (B folded it in),
    and A, which received it, moved the user exactly as B did (it did not apply it twice)."""
    user = 7
    before = await rec(on_b, user, k=50)
    title = before["item_ids"][10]
    event = {"user_id": user, "title_id": title, "int_type": "bookmark"}
    assert (await on_a.post("/rec/hot/interact", json=event)).status_code == 202
    after: dict[str, Any] = {}

    async def b_moved() -> bool:
        after.update(await rec(on_b, user, k=50))
        return title not in after["item_ids"] and moved(before, after)

    assert await until(b_moved, 3) <= WITHIN, (before, after, log_of(b))

    # A computes the user's list itself (its cached copy dropped): the same move as B's
    assert (await on_a.post("/admin/cache/invalidate", params={"user_id": user})).status_code == 200
    on_its_own = await rec(on_a, user, k=50)
    assert not on_its_own["cached"]
    assert on_its_own["item_ids"] == after["item_ids"] and on_its_own["scores"] == after["scores"]


def moved(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a title both lists hold has another score (without fold-in, only the title goes)."""
    old = dict(zip(before["item_ids"], before["scores"], strict=True))
    new = dict(zip(after["item_ids"], after["scores"], strict=True))
    return any(old[t] != new[t] for t in old.keys() & new.keys())


async def test_without_redis_the_registry_poll_converges(tmp_path: Path, registry_url: str) -> None:
    first, second = await two_versions(tmp_path, registry_url)
    settings = replica_settings(registry_url, None, poll="0.5")
    async with (
        served("serve", tmp_path, settings) as a,
        served("serve", tmp_path, settings) as b,
        httpx.AsyncClient(base_url=a.url) as on_a,
        httpx.AsyncClient(base_url=b.url) as on_b,
    ):
        assert (await rec(on_b, 3))["model_id"] == first
        assert (await on_a.post(f"/admin/models/{second}/activate")).status_code == 200

        async def b_serves_second() -> bool:
            return (await rec(on_b, 3))["model_id"] == second

        assert await until(b_serves_second, 10) <= 10, log_of(b)
        banned = (await rec(on_b, 5))["item_ids"][0]
        assert (await on_a.put(f"/admin/blacklist/{banned}")).status_code == 200

        async def b_hides_banned() -> bool:
            return banned not in (await rec(on_b, 5))["item_ids"]

        assert await until(b_hides_banned, 10) <= 10, log_of(b)


def log_of(running: Running) -> str:
    return running.log_text()[-4000:]
