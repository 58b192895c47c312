"""Every route of the walking service and every bad input, through the real Litestar app."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import structlog
import structlog.testing

from domain.training_job import JobStatus
from entrypoints.request_ids import add_request_id
from entrypoints.settings import Settings
from tests.e2e.conftest import REMOTE, FakeStack, client_for, fake_container

pytestmark = pytest.mark.asyncio


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    for word in words:
        assert word in body["detail"]


async def train(api: httpx.AsyncClient, **params: object) -> dict:
    response = await api.get("/admin/train", params={"epochs": 2, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_popular_before_any_model(api: httpx.AsyncClient) -> None:
    body = (await api.get("/titles/recommendations", params={"user_id": 1})).json()
    assert body["source"] == "popular" and body["model_id"] is None
    assert len(body["item_ids"]) == 10 and len(body["scores"]) == 10
    assert not {40, 39} & set(body["item_ids"])  # inactive and blacklisted
    assert not set(range(1, 12)) & set(body["item_ids"])  # seen by user 1


async def test_training_then_model_lists(both_seen_stacks: FakeStack) -> None:
    stack = both_seen_stacks
    async with client_for(stack.container) as api:
        await _training_then_model_lists(api, stack)


async def _training_then_model_lists(api: httpx.AsyncClient, stack: FakeStack) -> None:
    job = await train(api)
    assert job["status"] == "succeeded" and job["trigger"] == "manual"
    assert set(job["metrics"]) >= {"precision_at_10", "recall_at_10", "auc"}
    body = (await api.get("/titles/recommendations", params={"user_id": 2, "k": 5})).json()
    assert body["source"] == "model" and body["model_id"] == job["model_id"]
    assert len(body["item_ids"]) == 5 and body["cached"] is False
    again = (await api.get("/titles/recommendations", params={"user_id": 2, "k": 5})).json()
    assert again["cached"] is True and again["item_ids"] == body["item_ids"]
    seen = await stack.source.seen_titles(2)
    assert not seen & set(body["item_ids"])


async def test_exclude_parameter(api: httpx.AsyncClient) -> None:
    await train(api)
    first = (await api.get("/titles/recommendations", params={"user_id": 3, "k": 4})).json()["item_ids"]
    shown = ",".join(map(str, first[:2]))
    body = (await api.get("/titles/recommendations", params={"user_id": 3, "k": 4, "exclude": shown})).json()
    assert not set(first[:2]) & set(body["item_ids"]) and len(body["item_ids"]) == 4
    bad = await api.get("/titles/recommendations", params={"user_id": 3, "exclude": "1,x"})
    assert_error(bad, 400, "invalid_argument", "exclude")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"user_id": "abc"},
        {"user_id": 0},
        {"user_id": -4},
        {"user_id": 2**63},
        {"user_id": 1, "k": 0},
        {"user_id": 1, "k": 201},
        {"user_id": 1, "k": "ten"},
    ],
)
async def test_bad_recommendation_inputs(api: httpx.AsyncClient, params: dict) -> None:
    assert_error(await api.get("/titles/recommendations", params=params), 400, "invalid_argument")


@pytest.mark.parametrize("path", ["/titles/relevant", "/titles/relavant"])
async def test_relevant_routes(api: httpx.AsyncClient, path: str) -> None:
    job = await train(api)
    body = (await api.get(path, params={"title_id": 3, "k": 5})).json()
    assert body["title_id"] == 3 and body["model_id"] == job["model_id"]
    assert 3 not in body["item_ids"] and len(body["item_ids"]) == 5
    assert not {39, 40} & set(body["item_ids"])
    assert_error(await api.get(path, params={"title_id": 999}), 404, "not_found", "999")
    assert_error(await api.get(path, params={"title_id": 0}), 400, "invalid_argument")


async def test_health_and_ready(api: httpx.AsyncClient) -> None:
    before = (await api.get("/health")).json()
    assert before["status"] == "degraded" and before["model_id"] is None
    assert set(before["components"]) == {"source", "registry", "cache", "artifacts"}
    assert (await api.get("/health/ready")).status_code == 200  # the popular list is loaded
    job = await train(api)
    after = (await api.get("/health")).json()
    assert after["status"] == "ok" and after["model_id"] == job["model_id"]


async def test_health_degraded_when_source_down(api: httpx.AsyncClient, stack: FakeStack) -> None:
    await train(api)
    stack.source.available = False
    body = (await api.get("/health")).json()
    assert body["status"] == "degraded"
    assert body["components"]["source"]["status"] == "down"


async def test_not_ready_before_anything_is_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = fake_container(Settings(data_dir=tmp_path, train_cron="off"))
    async with client_for(built.container) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "hinge"},
        {"epochs": 0},
        {"epochs": 1001},
        {"no_components": 0},
        {"learning_rate": 0},
        {"learning_rate": 1.5},
        {"item_alpha": -1},
        {"mode": "half"},
        {"wait": "maybe"},
    ],
)
async def test_bad_train_parameters(api: httpx.AsyncClient, params: dict) -> None:
    response = await api.get("/admin/train", params=params)
    assert_error(response, 400, "invalid_argument", next(iter(params)))


async def test_post_train_with_json_body(api: httpx.AsyncClient, stack: FakeStack) -> None:
    response = await api.post("/admin/train", json={"epochs": 3, "no_components": 8, "activate": False})
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["params"]["no_components"] == 8 and job["params"]["epochs"] == 3
    assert job["activation"] == "not activated: activate=false"
    assert stack.registry.active is None
    bad = await api.post("/admin/train", json={"epochs": "many"})
    assert_error(bad, 400, "invalid_argument")
    unknown = await api.post("/admin/train", json={"colour": "red"})
    assert_error(unknown, 400, "invalid_argument")


async def test_train_without_wait_and_single_flight(api: httpx.AsyncClient, stack: FakeStack) -> None:
    gate = asyncio.Event()
    engine = stack.container.engine()
    original = engine.train

    async def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await original(*args, **kwargs)

    engine.train = slow
    accepted = await api.post("/admin/train?wait=false")
    assert accepted.status_code == 202
    job_id = accepted.json()["job_id"]
    assert accepted.json()["status"] == "running"
    conflict = await api.get("/admin/train")
    assert_error(conflict, 409, "conflict", job_id)
    assert conflict.json()["job_id"] == job_id
    gate.set()
    for _ in range(50):
        job = (await api.get(f"/admin/jobs/{job_id}")).json()
        if job["status"] != "running":
            break
        await asyncio.sleep(0.02)
    assert job["status"] == JobStatus.SUCCEEDED.value and job["progress"] == 1.0


async def test_models_jobs_and_activation(api: httpx.AsyncClient) -> None:
    first = await train(api)
    second = await train(api)
    models = (await api.get("/admin/models")).json()["models"]
    assert [m["model_id"] for m in models] == [second["model_id"], first["model_id"]]
    assert [m["is_active"] for m in models] == [True, False]
    one = (await api.get(f"/admin/models/{first['model_id']}")).json()
    assert one["dataset"]["n_interactions"] > 0 and one["created_at"].endswith("+00:00")
    user2_before = (await api.get("/titles/recommendations", params={"user_id": 2})).json()
    activated = await api.post(f"/admin/models/{first['model_id']}/activate")
    assert activated.status_code == 200 and activated.json()["is_active"] is True
    user2_after = (await api.get("/titles/recommendations", params={"user_id": 2})).json()
    assert user2_before["model_id"] == second["model_id"]
    assert user2_after["model_id"] == first["model_id"]
    jobs = (await api.get("/admin/jobs")).json()["jobs"]
    assert [j["job_id"] for j in jobs] == [second["job_id"], first["job_id"]]
    assert (await api.get(f"/admin/jobs/{first['job_id']}")).json()["model_id"] == first["model_id"]
    assert_error(await api.get("/admin/models/nope"), 404, "not_found", "nope")
    assert_error(await api.post("/admin/models/nope/activate"), 404, "not_found")
    assert_error(await api.get("/admin/jobs/nope"), 404, "not_found")


async def test_activating_a_corrupted_version_is_a_conflict(api: httpx.AsyncClient, stack: FakeStack) -> None:
    good = await train(api)
    spare = await train(api, activate=False)
    stack.artifacts.corrupt(spare["model_id"])
    assert_error(await api.post(f"/admin/models/{spare['model_id']}/activate"), 409, "conflict", "checksum")
    assert (await api.get("/health")).json()["model_id"] == good["model_id"]


async def test_cache_invalidation(api: httpx.AsyncClient) -> None:
    await train(api)
    await api.get("/titles/recommendations", params={"user_id": 1})
    await api.get("/titles/recommendations", params={"user_id": 2})
    one = await api.post("/admin/cache/invalidate", params={"user_id": 1})
    assert one.status_code == 200 and one.json() == {"invalidated": {"user_id": 1}}
    assert (await api.get("/titles/recommendations", params={"user_id": 1})).json()["cached"] is False
    assert (await api.get("/titles/recommendations", params={"user_id": 2})).json()["cached"] is True
    everything = await api.post("/admin/cache/invalidate")
    assert everything.json() == {"invalidated": "all"}
    assert (await api.get("/titles/recommendations", params={"user_id": 2})).json()["cached"] is False
    assert_error(await api.post("/admin/cache/invalidate", params={"user_id": 0}), 400, "invalid_argument")


async def test_admin_from_a_remote_peer_without_token_is_forbidden(stack: FakeStack) -> None:
    async with client_for(stack.container, REMOTE) as remote:
        assert_error(await remote.get("/admin/models"), 403, "forbidden", "REC_ADMIN_TOKEN")
        public = await remote.get("/titles/recommendations", params={"user_id": 1})
        assert public.status_code == 200


async def test_admin_token_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = fake_container(Settings(data_dir=tmp_path, train_cron="off", admin_token="s3cret"))
    async with client_for(built.container, REMOTE) as remote:
        assert_error(await remote.get("/admin/models"), 401, "unauthenticated")
        wrong = await remote.get("/admin/models", headers={"Authorization": "Bearer nope"})
        assert_error(wrong, 401, "unauthenticated")
        right = await remote.get("/admin/models", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200 and right.json() == {"models": []}


async def test_unknown_route_and_method(api: httpx.AsyncClient) -> None:
    assert_error(await api.get("/nope"), 404, "not_found")
    assert_error(await api.delete("/titles/recommendations?user_id=1"), 405, "invalid_argument")


async def test_openapi_documents_every_route(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    paths = set(schema["paths"])
    expected = {
        "/titles/recommendations",
        "/titles/relevant",
        "/titles/relavant",
        "/health",
        "/health/ready",
        "/admin/train",
        "/admin/models",
        "/admin/models/{model_id}",
        "/admin/models/{model_id}/activate",
        "/admin/jobs",
        "/admin/jobs/{job_id}",
        "/admin/cache/invalidate",
    }
    assert expected <= paths
    params = {p["name"] for p in schema["paths"]["/titles/recommendations"]["get"]["parameters"]}
    assert params == {"user_id", "k", "exclude", "feature", "not_feature"}
    train_params = {p["name"] for p in schema["paths"]["/admin/train"]["get"]["parameters"]}
    assert {"no_components", "loss", "epochs", "learning_rate", "wait", "mode"} <= train_params


async def test_every_answer_carries_a_request_id(api: httpx.AsyncClient) -> None:
    ok = await api.get("/titles/recommendations", params={"user_id": 1})
    bad = await api.get("/titles/recommendations", params={"user_id": 0})
    ids = [ok.headers.get("x-request-id"), bad.headers.get("x-request-id")]
    assert all(isinstance(i, str) and len(i) == 16 for i in ids) and ids[0] != ids[1]
    assert bad.status_code == 400


async def test_an_unexpected_error_is_a_500_logged_with_its_request_id(
    api: httpx.AsyncClient, stack: FakeStack
) -> None:
    async def broken(query: object) -> None:
        raise RuntimeError("disk on fire")

    stack.container.recommend_for_user().execute = broken  # the instance the route is bound to
    captured = structlog.testing.LogCapture()
    old = structlog.get_config()
    structlog.configure(processors=[add_request_id, captured])
    try:
        response = await api.get("/titles/recommendations", params={"user_id": 1})
    finally:
        structlog.configure(**old)
    logs = captured.entries

    assert_error(response, 500, "internal", "logged")
    assert "disk on fire" not in response.text
    request_id = response.headers["x-request-id"]
    assert response.json()["request_id"] == request_id
    logged = [e for e in logs if e["event"] == "unhandled_error"]
    assert logged and logged[0]["request_id"] == request_id
