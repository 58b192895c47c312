"""`/admin/blacklist` through the real app: persisted, effective at once on every path, guarded."""

from __future__ import annotations

import httpx
import pytest

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import REMOTE, FakeStack, client_for, fake_container

pytestmark = pytest.mark.asyncio


async def listed(api: httpx.AsyncClient) -> list[dict]:
    response = await api.get("/admin/blacklist")
    assert response.status_code == 200, response.text
    return response.json()["titles"]


async def test_put_list_delete(api: httpx.AsyncClient) -> None:
    assert await listed(api) == [{"title_id": 39, "reason": "takedown", "source": "source"}]
    put = await api.put("/admin/blacklist/7", json={"reason": "legal request"})
    assert put.status_code == 200 and put.json() == {
        "title_id": 7,
        "reason": "legal request",
        "source": "admin",
    }
    bare = await api.put("/admin/blacklist/39")  # also in the source: listed once per origin
    assert bare.status_code == 200 and bare.json() == {"title_id": 39, "reason": None, "source": "admin"}
    assert [(e["title_id"], e["source"]) for e in await listed(api)] == [
        (7, "admin"),
        (39, "admin"),
        (39, "source"),
    ]
    removed = await api.delete("/admin/blacklist/7")
    assert removed.status_code == 200 and removed.json() == {"title_id": 7, "removed": True}
    assert (await api.delete("/admin/blacklist/39")).status_code == 200
    assert await listed(api) == [{"title_id": 39, "reason": "takedown", "source": "source"}]


async def test_removing_what_the_admin_list_does_not_hold(api: httpx.AsyncClient) -> None:
    missing = await api.delete("/admin/blacklist/7")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    source_only = await api.delete("/admin/blacklist/39")
    assert source_only.status_code == 404 and "source" in source_only.json()["detail"]


@pytest.mark.parametrize("path", ["/admin/blacklist/0", "/admin/blacklist/9223372036854775808"])
async def test_bad_title_ids(api: httpx.AsyncClient, path: str) -> None:
    response = await api.put(path)
    assert response.status_code == 400 and response.json()["error"] == "invalid_argument"


async def test_bad_bodies(api: httpx.AsyncClient) -> None:
    for body in ({"reason": "x" * 256}, {"why": "no"}, {"reason": 5}):
        response = await api.put("/admin/blacklist/7", json=body)
        assert response.status_code == 400, body


async def test_admin_guard(stack: FakeStack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with client_for(stack.container, REMOTE) as remote:
        assert (await remote.get("/admin/blacklist")).status_code == 403
        assert (await remote.put("/admin/blacklist/7")).status_code == 403
    token = fake_container(Settings(data_dir=tmp_path / "t", train_cron="off", admin_token="s3cret"))
    async with client_for(token.container, REMOTE) as anonymous:
        assert (await anonymous.delete("/admin/blacklist/7")).status_code == 401


async def user_list(api: httpx.AsyncClient, user_id: int, k: int = 5) -> dict:
    response = await api.get("/titles/recommendations", params={"user_id": user_id, "k": k})
    assert response.status_code == 200
    return response.json()


async def test_a_change_reaches_the_next_answer_of_every_path(api: httpx.AsyncClient) -> None:
    popular = await user_list(api, 10**9)
    await api.put(f"/admin/blacklist/{popular['item_ids'][0]}")
    assert popular["item_ids"][0] not in (await user_list(api, 10**9))["item_ids"]

    assert (await api.get("/admin/train", params={"epochs": 1})).status_code == 200
    model = await user_list(api, 2)
    assert (await user_list(api, 2))["cached"] is True
    banned = model["item_ids"][1]
    await api.put(f"/admin/blacklist/{banned}", json={"reason": "takedown"})
    after = await user_list(api, 2)
    assert after["cached"] is True and banned not in after["item_ids"] and len(after["item_ids"]) == 5

    relevant = (await api.get("/titles/relevant", params={"title_id": 3, "k": 5})).json()
    assert banned not in relevant["item_ids"] and len(relevant["item_ids"]) == 5

    await api.delete(f"/admin/blacklist/{banned}")
    back = await user_list(api, 2)
    assert back["cached"] is True and back["item_ids"] == model["item_ids"]


async def test_the_admin_list_survives_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, train_cron="off")
    first = fake_container(settings)
    runtime = create_app(first.container, manage_runtime=False).state.runtime
    await runtime.start()
    async with client_for(first.container) as api:
        assert (await api.put("/admin/blacklist/1", json={"reason": "takedown"})).status_code == 200
    await runtime.stop()

    second = fake_container(settings)
    runtime = create_app(second.container, manage_runtime=False).state.runtime
    await runtime.start()
    async with client_for(second.container) as api:
        assert {"title_id": 1, "reason": "takedown", "source": "admin"} in await listed(api)
        assert 1 not in (await user_list(api, 10**9, k=20))["item_ids"]
    await runtime.stop()
