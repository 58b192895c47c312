"""The real Litestar app over httpx, wired with fakes (fast) or real adapters (full stack)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.memory.engine import FakeEngine
from adapters.memory.source import InMemoryInteractionSource
from adapters.memory.stores import InMemoryArtifactStore, InMemoryModelRegistry, SequentialIds
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

LOOPBACK = ("127.0.0.1", 40000)
REMOTE = ("203.0.113.9", 40000)


def demo_fake_source() -> InMemoryInteractionSource:
    source = InMemoryInteractionSource()
    for title in range(1, 41):
        source.titles[title] = True
    source.titles[40] = False
    source.blacklist[39] = "takedown"
    for user in range(1, 11):
        for title in range(1, 12 - user // 2):
            source.add(user, title, "view")
    for title in range(1, 41):  # for the request-time filters (names the fake model has no embedding of)
        named = source.title_feature_map.setdefault(title, {})
        if title % 3 == 0:
            named["genre:Action"] = 1.0
        if title % 4 == 0:
            named["genre:Drama"] = 1.0
    return source


@dataclass
class FakeStack:
    container: Container
    source: InMemoryInteractionSource
    registry: InMemoryModelRegistry
    artifacts: InMemoryArtifactStore


def fake_container(settings: Settings) -> FakeStack:
    container = Container()
    source, registry, artifacts = demo_fake_source(), InMemoryModelRegistry(), InMemoryArtifactStore()
    container.settings.override(settings)
    container.source.override(source)
    container.features.override(source)  # the fake answers feature lookups too
    container.registry.override(registry)
    container.artifacts.override(artifacts)
    container.engine.override(FakeEngine())
    container.cache.override(InProcessRecommendationCache(ttl_seconds=60))
    container.ids.override(SequentialIds())
    return FakeStack(container, source, registry, artifacts)


def client_for(container: Container, peer: tuple[str, int] = LOOPBACK, **headers: str) -> httpx.AsyncClient:
    app = create_app(container, manage_runtime=False)
    transport = httpx.ASGITransport(app=app, client=peer)
    return httpx.AsyncClient(transport=transport, base_url="http://service", headers=headers, timeout=60)


@asynccontextmanager
async def running_stack(settings: Settings) -> AsyncIterator[FakeStack]:
    built = fake_container(settings)
    runtime = create_app(built.container, manage_runtime=False).state.runtime
    await runtime.start()
    try:
        if settings.seen_from == "memory":
            await index_ready(built.container)
        yield built
    finally:
        await runtime.stop()


async def index_ready(container: Container, seconds: float = 10.0) -> None:
    """Wait for the runtime's first full read into the seen index (misses read the source before)."""
    async with asyncio.timeout(seconds):
        while not container.seen_index().ready:  # noqa: ASYNC110 - the index has no event to await
            await asyncio.sleep(0.01)


@pytest.fixture
async def stack(tmp_path) -> AsyncIterator[FakeStack]:  # type: ignore[no-untyped-def]
    async with running_stack(Settings(data_dir=tmp_path, train_cron="off")) as built:
        yield built


@pytest.fixture(params=["memory", "source"])
async def both_seen_stacks(tmp_path, request: pytest.FixtureRequest) -> AsyncIterator[FakeStack]:  # type: ignore[no-untyped-def]
    """The fake stack with seen titles from the in-memory index, then read on each miss (version 1)."""
    async with running_stack(Settings(data_dir=tmp_path, train_cron="off", seen_from=request.param)) as built:
        yield built


@pytest.fixture
async def api(stack: FakeStack) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(stack.container) as client:
        yield client


@asynccontextmanager
async def trained_stack(
    data_dir: Path, train: dict[str, int] | None = None
) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    """The real stack on a demo data dir (a follower: no cron), with a model trained through the
    API (`train` parameters) unless one is active already; stopped afterwards."""
    container = Container()
    container.settings.override(Settings(data_dir=data_dir, train_cron="off", train_threads=2))
    runtime = create_app(container, manage_runtime=False).state.runtime
    await runtime.start()
    try:
        async with client_for(container) as client:
            if container.state().model is None:
                trained = await client.get("/admin/train", params=train or {})
                assert trained.status_code == 200 and trained.json()["status"] == "succeeded", trained.text
            yield container, client
    finally:
        await runtime.stop()
