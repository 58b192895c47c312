"""`/rec/hot/interact` through the real Litestar app (fake model and source, real SQLite event store)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.memory.events import InMemoryEventMerger, InMemoryHotEventStore
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import FakeStack, client_for, fake_container, index_ready

pytestmark = pytest.mark.asyncio


@pytest.fixture(params=["memory", "source"])
async def hot_stack(tmp_path, request: pytest.FixtureRequest) -> AsyncIterator[FakeStack]:  # type: ignore[no-untyped-def]
    """Seen titles from the in-memory index, or read from the source on each miss (version 1)."""
    built = fake_container(Settings(data_dir=tmp_path, train_cron="off", seen_from=request.param))
    built.container.event_merger.override(InMemoryEventMerger())
    runtime = create_app(built.container, manage_runtime=False).state.runtime
    await runtime.start()
    if request.param == "memory":
        await index_ready(built.container)
    yield built
    await runtime.stop()


@pytest.fixture
async def api(hot_stack: FakeStack) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(hot_stack.container) as client:
        yield client


async def stored(container: Container) -> list[tuple[int, int, str, float | None]]:
    events = await container.hot_events().events_since(None)
    return [(e.user_id, e.title_id, e.int_type, e.raw_score) for e in events]


async def recommend(api: httpx.AsyncClient, user_id: int, k: int = 10, **params: object) -> dict:
    response = await api.get("/titles/recommendations", params={"user_id": user_id, "k": k, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_get_and_post_are_accepted_and_stored(api: httpx.AsyncClient, hot_stack: FakeStack) -> None:
    got = await api.get("/rec/hot/interact", params={"user_id": 3, "title_id": 12, "int_type": "view"})
    assert got.status_code == 202 and got.json() == {"accepted": True}
    body = {"user_id": 10**15, "title_id": 10**14, "int_type": "rating", "raw_score": 4.5}  # both new
    posted = await api.post("/rec/hot/interact", json=body)
    assert posted.status_code == 202 and posted.json() == {"accepted": True}
    assert await stored(hot_stack.container) == [(3, 12, "view", None), (10**15, 10**14, "rating", 4.5)]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"user_id": 1, "title_id": 2, "int_type": "like"}, ["bookmark, rating, view"]),
        ({"user_id": 1, "title_id": 2, "int_type": "rating"}, ["raw_score"]),
        ({"user_id": 1, "title_id": 2, "int_type": "rating", "raw_score": "nan"}, ["raw_score"]),
        ({"user_id": 1, "title_id": 2, "int_type": "rating", "raw_score": "high"}, ["raw_score"]),
        ({"user_id": 0, "title_id": 2, "int_type": "view"}, ["user_id"]),
        ({"user_id": 1, "title_id": 2**63, "int_type": "view"}, ["title_id"]),
        ({"user_id": 1, "title_id": 2}, ["int_type"]),
    ],
)
async def test_bad_get_events_are_refused(
    api: httpx.AsyncClient, hot_stack: FakeStack, params: dict, words: list[str]
) -> None:
    response = await api.get("/rec/hot/interact", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_argument"
    for word in words:
        assert word in response.json()["detail"]
    assert await stored(hot_stack.container) == []


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": 1, "title_id": 2, "int_type": "like"},
        {"user_id": 1, "title_id": 2, "int_type": "rating"},
        {"user_id": -1, "title_id": 2, "int_type": "view"},
        {"user_id": 1, "int_type": "view"},
        {"user_id": 1, "title_id": 2, "int_type": "view", "colour": "red"},
        {"user_id": "one", "title_id": 2, "int_type": "view"},
    ],
)
async def test_bad_post_events_are_refused(api: httpx.AsyncClient, body: dict) -> None:
    response = await api.post("/rec/hot/interact", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_argument"


async def test_a_bookmark_leaves_the_cached_list_and_moves_it(api: httpx.AsyncClient) -> None:
    assert (await api.get("/admin/train", params={"epochs": 1})).status_code == 200
    before = await recommend(api, 2)
    assert (await recommend(api, 2))["cached"] is True
    target = before["item_ids"][4]
    accepted = await api.post(
        "/rec/hot/interact", json={"user_id": 2, "title_id": target, "int_type": "bookmark"}
    )
    assert accepted.status_code == 202
    after = await recommend(api, 2)
    assert after["cached"] is False and target not in after["item_ids"] and len(after["item_ids"]) == 10
    assert after["item_ids"][:9] != [t for t in before["item_ids"] if t != target]


async def test_an_event_refused_by_the_store_is_not_acknowledged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = fake_container(Settings(data_dir=tmp_path, train_cron="off"))
    down = InMemoryHotEventStore()
    built.container.hot_events.override(down)
    down.available = False
    async with client_for(built.container) as client:
        response = await client.get(
            "/rec/hot/interact", params={"user_id": 1, "title_id": 2, "int_type": "view"}
        )
    assert response.status_code == 503 and response.json()["error"] == "unavailable"


async def test_exclude_works_on_a_cached_list(api: httpx.AsyncClient) -> None:
    assert (await api.get("/admin/train", params={"epochs": 1})).status_code == 200
    first = await recommend(api, 3, k=5)
    assert first["cached"] is False
    shown = first["item_ids"][:2]
    again = await recommend(api, 3, k=5, exclude=",".join(map(str, shown)))
    assert again["cached"] is True and len(again["item_ids"]) == 5
    assert not set(shown) & set(again["item_ids"])
    assert again["item_ids"][:3] == first["item_ids"][2:]


async def test_a_burst_from_concurrent_clients_loses_nothing(
    api: httpx.AsyncClient, hot_stack: FakeStack
) -> None:
    clients, per_client = 20, 25

    async def client(number: int) -> int:
        accepted = 0
        for i in range(per_client):
            body = {"user_id": number + 1, "title_id": i + 1, "int_type": "view"}
            response = await api.post("/rec/hot/interact", json=body)
            accepted += response.status_code == 202
        return accepted

    started = time.perf_counter()
    accepted = sum(await asyncio.gather(*(client(n) for n in range(clients))))
    seconds = time.perf_counter() - started
    assert accepted == clients * per_client
    assert len(await stored(hot_stack.container)) == accepted
    print(
        f"\nhot burst in-process: {accepted} events from {clients} clients, {accepted / seconds:.0f} events/s"
    )
