"""The experiment routes, recommendation ids and filters through the real app over the fakes (REST),
and the new proto fields over a real gRPC channel."""

from __future__ import annotations

from typing import Any

import grpc
import httpx

from entrypoints.settings import Settings
from protos import recommendations_pb2 as pb
from tests.e2e.conftest import REMOTE, FakeStack, client_for
from tests.e2e.grpc_helpers import expect_status, serve_fake, train

ACTION = {t for t in range(1, 41) if t % 3 == 0} - {39}  # 39 is blacklisted (demo_fake_source)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["detail"]


async def versions(api: httpx.AsyncClient) -> tuple[str, str]:
    first = (await api.get("/admin/train", params={"epochs": 1})).json()["model_id"]
    second = (await api.get("/admin/train", params={"epochs": 1, "activate": "false"})).json()["model_id"]
    return first, second


def experiment(first: str, second: str, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "test",
        "arms": [
            {"name": "a", "model_id": first, "share": 0.25},
            {"name": "b", "model_id": second, "share": 0.75},
        ],
    }
    return body | changes


async def test_the_experiment_routes_and_their_errors(api: httpx.AsyncClient, stack: FakeStack) -> None:
    first, second = await versions(api)
    assert_error(await api.post("/admin/experiments", json=experiment(first, "nope")), 404, "not_found")
    assert_error(
        await api.post("/admin/experiments", json=experiment(first, second, extra=1)), 400, "invalid_argument"
    )
    shares = experiment(first, second)
    shares["arms"][0]["share"] = 0.5
    assert_error(await api.post("/admin/experiments", json=shares), 400, "invalid_argument")
    assert_error(await api.post("/admin/experiments", content=b"{"), 400, "invalid_argument")

    started = await api.post("/admin/experiments", json=experiment(first, second))
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["status"] == "running" and body["winner"] is None and body["stopped_at"] is None
    assert [(a["name"], a["lists"], a["ctr"], a["ctr_low"], a["ctr_high"]) for a in body["arms"]] == [
        ("a", 0, 0.0, 0.0, 1.0),
        ("b", 0, 0.0, 0.0, 1.0),
    ]
    assert_error(await api.post("/admin/experiments", json=experiment(first, second)), 409, "conflict")

    answer = (await api.get("/titles/recommendations", params={"user_id": 2, "k": 3})).json()
    assert answer["experiment_arm"] in ("a", "b") and answer["recommendation_id"]
    event = {"user_id": 2, "title_id": answer["item_ids"][0], "int_type": "view"}
    sent = await api.get(
        "/rec/hot/interact", params=event | {"recommendation_id": answer["recommendation_id"]}
    )
    assert sent.status_code == 202
    one = (await api.get(f"/admin/experiments/{body['experiment_id']}")).json()
    arm = next(a for a in one["arms"] if a["name"] == answer["experiment_arm"])
    assert (arm["lists"], arm["clicked_lists"], arm["events"], arm["ctr"]) == (1, 1, 1, 1.0)
    assert 0 < arm["ctr_low"] < 1 == arm["ctr_high"]

    assert_error(await api.get("/admin/experiments/nope"), 404, "not_found")
    assert_error(await api.post("/admin/experiments/nope/stop"), 404, "not_found")
    path = f"/admin/experiments/{body['experiment_id']}/stop"
    assert_error(await api.post(path, json={"promote": "c"}), 400, "invalid_argument")
    stopped = await api.post(path, json={"promote": "b"})
    assert stopped.status_code == 200 and stopped.json()["winner"] == "b"
    assert_error(await api.post(path), 409, "conflict")
    assert [e["status"] for e in (await api.get("/admin/experiments")).json()["experiments"]] == ["stopped"]

    model = (await api.get(f"/admin/models/{second}")).json()
    arm_b = next(a for a in one["arms"] if a["name"] == "b")
    assert model["is_active"] is True and model["online"]["lists"] == arm_b["lists"]
    assert (await api.get("/admin/models")).json()["models"][0]["online"] is None
    async with client_for(stack.container, REMOTE) as remote:
        assert_error(await remote.get("/admin/experiments"), 403, "forbidden")


async def test_the_online_figures_of_a_version(api: httpx.AsyncClient) -> None:
    first, _ = await versions(api)
    answers = [
        (await api.get("/titles/recommendations", params={"user_id": u, "k": 2})).json() for u in (1, 2, 3)
    ]
    shown = answers[0]
    for title in shown["item_ids"]:
        event = {
            "user_id": 1,
            "title_id": title,
            "int_type": "view",
            "recommendation_id": shown["recommendation_id"],
        }
        assert (await api.post("/rec/hot/interact", json=event)).status_code == 202
    online = (await api.get(f"/admin/models/{first}")).json()["online"]
    assert online == {"lists": 3, "clicked_lists": 1, "events": 2, "ctr": round(1 / 3, 6)}


async def test_feature_filters_over_rest(api: httpx.AsyncClient) -> None:
    await versions(api)
    for user in (1, 4, 9999):
        found = (
            await api.get(
                "/titles/recommendations", params={"user_id": user, "k": 5, "feature": "genre:Action"}
            )
        ).json()
        assert len(found["item_ids"]) == 5 and set(found["item_ids"]) <= ACTION
    drama_only = {16, 20, 28, 32}  # Drama, not Action, active and unseen by user 2
    for k, expected in ((3, 3), (4, 4), (6, 4)):
        pair = [("user_id", 2), ("k", k), ("feature", "genre:Action"), ("feature", "genre:Drama")]
        found = (
            await api.get("/titles/recommendations", params=[*pair, ("not_feature", "genre:Action")])
        ).json()
        assert len(found["item_ids"]) == expected and set(found["item_ids"]) <= drama_only
    similar = (
        await api.get("/titles/relevant", params={"title_id": 3, "k": 4, "not_feature": "genre:Action"})
    ).json()
    assert (
        len(similar["item_ids"]) == 4
        and not set(similar["item_ids"]) & ACTION
        and similar["recommendation_id"]
    )
    many = [("user_id", 2), *(("not_feature", f"f{i}") for i in range(21))]
    assert_error(await api.get("/titles/recommendations", params=many), 400, "invalid_argument")


async def test_the_schema_documents_the_new_routes_and_fields(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    start = paths["/admin/experiments"]["post"]
    assert {"201", "400", "401", "403", "404", "409", "503"} <= set(start["responses"])
    assert {"200", "404", "409"} <= set(paths["/admin/experiments/{experiment_id}/stop"]["post"]["responses"])
    assert "404" in paths["/admin/experiments/{experiment_id}"]["get"]["responses"]
    names = {p["name"] for p in paths["/titles/recommendations"]["get"]["parameters"]}
    assert {"feature", "not_feature"} <= names
    assert "recommendation_id" in {p["name"] for p in paths["/rec/hot/interact"]["get"]["parameters"]}
    bodies = schema["components"]["schemas"]
    assert {"recommendation_id", "experiment_arm"} <= set(bodies["UserRecommendations"]["properties"])
    assert "online" in bodies["ModelVersionBody"]["properties"]


async def test_the_new_proto_fields_round_trip(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path, train_cron="off")
    async with serve_fake(settings) as served:
        await train(served.stub)
        reply = await served.stub.GetUserRecommendations(
            pb.UserRequest(user_id=2, k=4, features=["genre:Action"])
        )
        assert len(reply.item_ids) == 4 and set(reply.item_ids) <= ACTION
        assert reply.recommendation_id and reply.experiment_arm == ""
        batch = await served.stub.GetUserRecommendationsBatch(
            pb.UserBatchRequest(user_ids=[1, 2, 2], k=3, not_features=["genre:Action"])
        )
        assert len({r.recommendation_id for r in batch.results}) == 3
        assert all(len(r.item_ids) == 3 and not set(r.item_ids) & ACTION for r in batch.results)
        relevant = await served.stub.GetTitleRelevant(
            pb.TitleRequest(title_id=3, k=3, features=["genre:Drama"])
        )
        assert len(relevant.item_ids) == 3 and all(t % 4 == 0 for t in relevant.item_ids)
        event = pb.InteractionRequest(
            user_id=2, title_id=reply.item_ids[0], int_type="view", recommendation_id=reply.recommendation_id
        )
        assert (await served.stub.RecordInteraction(event)).accepted
        unknown = pb.InteractionRequest(user_id=2, title_id=5, int_type="view", recommendation_id="x" * 300)
        assert (await served.stub.RecordInteraction(unknown)).accepted
        online = await served.stack.container.experiment_queries().online(reply.model_id)
        assert (online.clicked_lists, online.events) == (1, 1)
        assert await served.stack.container.hot_events().unattributed() == 1
        many = pb.UserRequest(user_id=2, features=[f"f{i}" for i in range(21)])
        await expect_status(
            served.stub.GetUserRecommendations(many), grpc.StatusCode.INVALID_ARGUMENT, "at most 20"
        )
