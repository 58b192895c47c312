"""The admin read routes and the dashboard's files through the real app over the fakes: shapes,
statuses, the admin rule, the page's security headers and the OpenAPI entries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from dependency_injector import providers

from adapters.memory.lookups import InMemorySourceLookup
from entrypoints.http.routes_admin_ui import CONTENT_SECURITY_POLICY
from entrypoints.settings import Settings
from tests.e2e.conftest import LOOPBACK, REMOTE, FakeStack, client_for, fake_container, running_stack

pytestmark = pytest.mark.asyncio
HOSTILE = "<img src=x onerror=alert(1)>"


def with_lookups(built: FakeStack) -> None:
    """The fake source's lookup (title 3 named with hostile markup); hot events stay the real SQLite
    store of the stack's registry, read by the real `SqlAlchemyHotEventHistory`."""
    built.source.title_feature_map[3] = {"genre:Drama": 2.0}
    built.container.source_lookup.override(providers.Object(InMemorySourceLookup(built.source, {3: HOSTILE})))


@asynccontextmanager
async def app(tmp_path, token: str | None = None) -> AsyncIterator[tuple[FakeStack, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, train_cron="off", admin_token=token)
    async with running_stack(settings) as built, client_for(built.container) as client:
        yield built, client


@pytest.fixture
async def api(tmp_path) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, train_cron="off")
    built = fake_container(settings)
    with_lookups(built)
    from entrypoints.http.app import create_app

    runtime = create_app(built.container, manage_runtime=False).state.runtime
    await runtime.start()
    try:
        async with client_for(built.container) as client:
            yield client
    finally:
        await runtime.stop()


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["detail"], body


async def trained(api: httpx.AsyncClient, **params: object) -> str:
    job = await api.get("/admin/train", params={"epochs": 2, **params})
    assert job.status_code == 200 and job.json()["status"] == "succeeded", job.text
    return str(job.json()["model_id"])


async def test_titles_by_id(api: httpx.AsyncClient) -> None:
    await api.put("/admin/blacklist/5", json={"reason": "legal"})
    answer = await api.get("/admin/titles", params={"ids": "5,3,999,40"})
    assert answer.status_code == 200, answer.text
    titles = answer.json()["titles"]
    assert [t["title_id"] for t in titles] == [5, 3, 40]
    five, three, forty = titles
    assert three == {
        "title_id": 3, "name": HOSTILE, "is_active": True, "blacklisted": False,
        "features": {"genre:Drama": 2.0},
        "known_to_model": False,
    }  # fmt: skip
    assert five["blacklisted"] and not forty["is_active"]
    await trained(api)
    again = (await api.get("/admin/titles", params={"ids": "3"})).json()["titles"]
    assert again[0]["known_to_model"] is True


@pytest.mark.parametrize(
    "ids", ["", "0", "1,x", "1,-2", "\uff11\uff12", "9" * 25, ",".join(map(str, range(1, 502)))]
)
async def test_bad_title_id_lists_are_400(api: httpx.AsyncClient, ids: str) -> None:
    assert_error(await api.get("/admin/titles", params={"ids": ids}), 400, "invalid_argument")
    assert_error(await api.get("/admin/titles"), 400, "invalid_argument")


async def test_a_users_history_and_features(api: httpx.AsyncClient) -> None:
    hot = await api.post("/rec/hot/interact", json={"user_id": 2, "title_id": 30, "int_type": "view"})
    assert hot.status_code == 202
    answer = await api.get("/admin/users/2")
    assert answer.status_code == 200, answer.text
    user = answer.json()
    assert user["user_id"] == 2 and user["known_to_model"] is False and user["features"] == {}
    first, *rest = user["interactions"]
    assert first["title_id"] == 30 and first["source"] == "hot" and first["created_at"].endswith("+00:00")
    assert {e["title_id"] for e in rest} == set(range(1, 11)) and {e["source"] for e in rest} == {"source"}
    assert set(first) == {"title_id", "int_type", "raw_score", "created_at", "source"}
    unknown = (await api.get("/admin/users/777")).json()
    assert unknown == {"user_id": 777, "known_to_model": False, "features": {}, "interactions": []}


@pytest.mark.parametrize("user", ["0", "x", "²", "9" * 30, "-1"])
async def test_bad_user_ids_are_400(api: httpx.AsyncClient, user: str) -> None:
    assert_error(await api.get(f"/admin/users/{user}"), 400, "invalid_argument")


async def test_the_list_a_version_would_give(api: httpx.AsyncClient) -> None:
    first = await trained(api)
    second = await trained(api, activate="false")
    public = (await api.get("/titles/recommendations", params={"user_id": 1, "k": 5})).json()

    active = await api.get(f"/admin/models/{first}/recommendations", params={"user_id": 1, "k": 5})
    other = await api.get(
        f"/admin/models/{second}/recommendations", params={"user_id": 1, "k": 3, "exclude": "20"}
    )

    assert active.status_code == 200 and other.status_code == 200, (active.text, other.text)
    body = active.json()
    assert body["item_ids"] == public["item_ids"] and body["model_id"] == first and body["cached"] is False
    assert set(body) >= {"user_id", "item_ids", "scores", "model_id", "source", "cached"}
    assert other.json()["model_id"] == second and len(other.json()["item_ids"]) == 3
    assert 20 not in other.json()["item_ids"]


async def test_version_list_errors(api: httpx.AsyncClient) -> None:
    assert_error(await api.get("/admin/models/nope/recommendations", params={"user_id": 1}), 404, "not_found")
    model = await trained(api)
    for params in (
        {"user_id": 0},
        {"user_id": 1, "k": 0},
        {"user_id": 1, "k": 201},
        {"user_id": 1, "exclude": "a"},
        {},
    ):
        assert_error(
            await api.get(f"/admin/models/{model}/recommendations", params=params), 400, "invalid_argument"
        )


async def test_a_version_whose_artifact_is_gone_is_409(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with app(tmp_path) as (built, client):
        with_lookups(built)
        await trained(client)
        second = await trained(client, activate="false")
        del built.artifacts.bundles[second]
        answer = await client.get(f"/admin/models/{second}/recommendations", params={"user_id": 1})
        assert_error(answer, 409, "conflict")


ROUTES = [
    "/admin/titles?ids=1",
    "/admin/users/1",
    "/admin/models/x/recommendations?user_id=1",
    "/admin/trainer",
]


async def test_a_process_alone_with_its_registry_reports_itself_the_trainer(api: httpx.AsyncClient) -> None:
    answer = await api.get("/admin/trainer")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["shared"] is False and body["live"] is True and body["epoch"] is None
    assert body["holder"] == body["this_replica"]["holder"] and body["holder"]
    assert body["this_replica"]["is_trainer"] is True and body["this_replica"]["candidate"] is False


async def test_the_admin_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plain = fake_container(Settings(data_dir=tmp_path, train_cron="off"))
    with_lookups(plain)
    async with client_for(plain.container, REMOTE) as remote:
        for route in ROUTES:
            assert_error(await remote.get(route), 403, "forbidden")
        assert_error(await remote.get("/admin/ui"), 403, "forbidden")
    guarded = fake_container(Settings(data_dir=tmp_path, train_cron="off", admin_token="s3cret"))
    with_lookups(guarded)
    async with client_for(guarded.container, REMOTE) as remote:
        for route in ROUTES:
            assert_error(await remote.get(route), 401, "unauthenticated")
            wrong = await remote.get(route, headers={"Authorization": "Bearer nope"})
            assert_error(wrong, 401, "unauthenticated")
        right = await remote.get("/admin/titles?ids=1", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200, right.text
        page = await remote.get("/admin/ui")  # the page holds no data: it must load to ask for the token
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]


async def test_the_page_and_its_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = fake_container(Settings(data_dir=tmp_path, train_cron="off"))
    async with client_for(built.container, LOOPBACK) as client:
        page = await client.get("/admin/ui")
        assert page.status_code == 200 and '<script type="module" src="/admin/ui/app.js">' in page.text
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert (
            "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
            and "default-src 'self'" in CONTENT_SECURITY_POLICY
        )
        assert page.headers["x-content-type-options"] == "nosniff"
        for name, kind in [
            ("app.js", "text/javascript"),
            ("dom.js", "text/javascript"),
            ("app.css", "text/css"),
        ]:
            asset = await client.get(f"/admin/ui/{name}")
            assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind), name
            assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        for missing in ("nope.js", "..%2Fapp.py", "%2E%2E%2Froutes_admin_ui.py", "__init__.py"):
            assert_error(await client.get(f"/admin/ui/{missing}"), 404, "not_found")


async def test_openapi_documents_the_read_routes_and_their_errors(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/schema/openapi.json")).json()["paths"]
    expected = {
        "/admin/titles": {"200", "400", "401", "403", "503"},
        "/admin/users/{user_id}": {"200", "400", "401", "403", "503"},
        "/admin/models/{model_id}/recommendations": {"200", "400", "401", "403", "404", "409", "503"},
        "/admin/trainer": {"200", "400", "401", "403", "503"},
    }
    for path, statuses in expected.items():
        responses = paths[path]["get"]["responses"]
        assert statuses <= set(responses), (path, set(responses))
        error = responses["401"]["content"]["application/json"]["schema"]
        assert "ErrorBody" in str(error), error
    assert "/admin/ui" in paths


async def test_a_versions_list_takes_the_feature_filters(api: httpx.AsyncClient) -> None:
    model = await trained(api)
    route = f"/admin/models/{model}/recommendations"
    public = await api.get("/titles/recommendations", params={"user_id": 1, "feature": "genre:Drama"})
    mine = await api.get(route, params={"user_id": 1, "feature": "genre:Drama"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["item_ids"] == public.json()["item_ids"] and mine.json()["item_ids"]

    async def dramas(ids: list[int]) -> list[bool]:
        titles = (await api.get("/admin/titles", params={"ids": ",".join(map(str, ids))})).json()["titles"]
        return ["genre:Drama" in t["features"] for t in titles]

    assert all(await dramas(mine.json()["item_ids"]))
    left_out = await api.get(route, params=[("user_id", "1"), ("not_feature", "genre:Drama"), ("k", "30")])
    assert left_out.json()["item_ids"] and not any(await dramas(left_out.json()["item_ids"]))
    too_many = [("user_id", "1"), *[("feature", f"f{n}") for n in range(21)]]
    assert_error(await api.get(route, params=too_many), 400, "invalid_argument")
