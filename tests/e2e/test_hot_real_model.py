"""Hot events against a real LightFM model on the demo source: the next list moves toward the event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import trained_stack
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
SMALL = {"epochs": 8, "no_components": 32}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("hot")
    generate_demo_source(directory / "demo_source.db")
    return directory


@pytest.fixture
async def api(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with trained_stack(data_dir, SMALL) as (_container, client):
        yield client


async def items(api: httpx.AsyncClient, path: str, **params: object) -> list[int]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["item_ids"])


async def bookmark(api: httpx.AsyncClient, user_id: int, title_id: int) -> None:
    body = {"user_id": user_id, "title_id": title_id, "int_type": "bookmark"}
    assert (await api.post("/rec/hot/interact", json=body)).status_code == 202


async def test_a_bookmark_lifts_titles_like_it(api: httpx.AsyncClient) -> None:
    like_before = like_after = changed = 0
    for user_id in (11, 22, 33, 44, 55, 66):
        longer = await items(api, "/titles/recommendations", user_id=user_id, k=60)
        before = longer[:10]
        target = longer[59]  # a title the model ranks far down for this user
        similar = set(await items(api, "/titles/relevant", title_id=target, k=50))
        await bookmark(api, user_id, target)
        after = await items(api, "/titles/recommendations", user_id=user_id, k=10)
        assert target not in after and len(after) == 10
        changed += len(set(after) - set(before))
        like_before += len(similar & set(before))
        like_after += len(similar & set(after))
    # Seen on the demo data: 11 titles changed, 17 -> 27 titles among the bookmarked ones' 50 nearest.
    assert changed >= 6, changed  # beyond the removal: about two titles per user on average
    assert like_after > like_before, (like_before, like_after)


async def test_a_new_user_becomes_known_through_their_first_event(api: httpx.AsyncClient) -> None:
    stranger = 10**12  # no interaction and no feature in the source
    first = (await api.get("/titles/recommendations", params={"user_id": stranger})).json()
    assert first["source"] == "popular"
    target = first["item_ids"][0]
    await bookmark(api, stranger, target)
    after = (await api.get("/titles/recommendations", params={"user_id": stranger, "k": 20})).json()
    assert after["source"] == "model" and target not in after["item_ids"]
    similar = set(await items(api, "/titles/relevant", title_id=target, k=100))
    assert len(similar & set(after["item_ids"])) >= 5


async def test_hot_events_feed_the_next_training(api: httpx.AsyncClient) -> None:
    newcomer = 10**12 + 1
    popular = await items(api, "/titles/recommendations", user_id=newcomer)
    for title_id in popular[:3]:
        await bookmark(api, newcomer, title_id)
    job = (await api.get("/admin/train", params=SMALL)).json()
    assert job["status"] == "succeeded", job
    # The new version was trained with the hot events (newer than the source): it knows the newcomer.
    after = (await api.get("/titles/recommendations", params={"user_id": newcomer})).json()
    assert after["model_id"] == job["model_id"] and after["source"] == "model"
    assert not set(popular[:3]) & set(after["item_ids"])
