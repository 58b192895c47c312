"""The issue's "done when", over HTTP: MovieLens 100k loaded into MariaDB by the loader, read by a
SELECT-only user, trained through /admin/train, lists cached in Redis, invalidated, Redis stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from adapters.cache.redis_cache import BYPASS_SECONDS
from entrypoints.cli import main
from entrypoints.container import Container, alone
from entrypoints.settings import Settings
from tests.conftest import MySqlDatabase, OwnRedis
from tests.e2e.conftest import client_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.mysql,
    pytest.mark.redis,
    pytest.mark.movielens,
    pytest.mark.slow,
]

TRAIN = {"epochs": 5, "no_components": 16}
ASK = {"user_id": 1, "k": 10}


@pytest.fixture
async def api(
    movielens_dir: Path, mysql_db: MySqlDatabase, mysql_reader: str, own_redis: OwnRedis, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    loaded = await asyncio.to_thread(
        main, ["load-movielens", "--dir", str(movielens_dir), "--url", mysql_db.url]
    )
    assert loaded == 0
    container = alone(Container())
    settings = Settings(
        data_dir=tmp_path,
        source_url=mysql_reader,
        redis_url=f"redis://127.0.0.1:{own_redis.port}/0",
        train_cron="off",
        train_threads=1,
    )
    container.settings.override(settings)
    runtime = container.runtime()
    await runtime.start()
    async with client_for(container) as client:
        yield client
    await runtime.stop()


async def recommend(api: httpx.AsyncClient) -> dict[str, object]:
    response = await api.get("/titles/recommendations", params=ASK)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_train_cache_invalidate_and_survive_redis_down(
    api: httpx.AsyncClient, own_redis: OwnRedis
) -> None:
    trained = await api.get("/admin/train", params=TRAIN)
    assert trained.status_code == 200, trained.text
    assert trained.json()["status"] == "succeeded", trained.json()

    first, second = await recommend(api), await recommend(api)
    assert (first["source"], first["cached"], second["cached"]) == ("model", False, True)
    assert first["item_ids"] == second["item_ids"] and len(first["item_ids"]) == 10  # type: ignore[arg-type]

    redis = Redis(port=own_redis.port)
    lists = [key async for key in redis.scan_iter(match="rec:v:*")]
    assert len(lists) == 1
    assert 3590 <= await redis.ttl(lists[0]) <= 3600
    await redis.aclose()

    invalidated = await api.post("/admin/cache/invalidate", params={"user_id": 1})
    assert invalidated.json() == {"invalidated": {"user_id": 1}}
    assert (await recommend(api))["cached"] is False

    own_redis.stop()
    down = await recommend(api)
    assert (down["cached"], down["item_ids"]) == (False, first["item_ids"])
    health = (await api.get("/health")).json()
    assert health["status"] == "degraded" and health["components"]["cache"]["status"] == "down"

    own_redis.start()
    await asyncio.sleep(BYPASS_SECONDS + 0.1)
    assert (await recommend(api))["cached"] is False
    assert (await recommend(api))["cached"] is True
