"""An experiment between two versions on a real `serve` process (REST and gRPC on the demo source):
stable assignment near the shares, attributed events moving their arm's counts, counts surviving a
restart, stop-and-promote; feature filters returning exactly k qualifying titles."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.e2e.served_process import Running, served
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
USERS = 2000
FLUSH_WAIT_SECONDS = 5.5  # lists reach the registry at least every 5 s


@asynccontextmanager
async def connected(running: Running) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    async with (
        httpx.AsyncClient(base_url=running.url, timeout=120) as client,
        grpc.aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel,
    ):
        yield client, pb_grpc.RecommenderStub(channel)


TRAINER = {"REC_TRAIN_CRON": "0 3 * * *"}  # a trainer candidate: it runs the test's trainings


async def without_startup_training(client: httpx.AsyncClient) -> None:
    """The lone trainer starts a first (long) training; the test trains its own small ones."""
    for job in (await client.get("/admin/jobs")).json()["jobs"]:
        if job["trigger"] == "startup" and job["status"] == "running":
            await client.delete(f"/admin/jobs/{job['job_id']}")
            while (await client.get(f"/admin/jobs/{job['job_id']}")).json()["status"] == "running":  # noqa: ASYNC110
                await asyncio.sleep(0.2)


async def train(client: httpx.AsyncClient, **extra: Any) -> str:
    answer = await client.post("/admin/train", params={"epochs": 2, "no_components": 8, **extra})
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded", answer.text
    return str(answer.json()["model_id"])


async def lists(client: httpx.AsyncClient, users: range, **params: Any) -> dict[int, dict[str, Any]]:
    gate = asyncio.Semaphore(16)

    async def one(user: int) -> tuple[int, dict[str, Any]]:
        async with gate:
            answer = await client.get("/titles/recommendations", params={"user_id": user, "k": 5, **params})
        assert answer.status_code == 200, answer.text
        return user, answer.json()

    return dict(await asyncio.gather(*(one(user) for user in users)))


def rarest_feature(source: Path) -> tuple[str, set[int]]:
    with sqlite3.connect(source) as db:
        rows = db.execute("SELECT feature, title_id FROM title_features").fetchall()
    titles: dict[str, set[int]] = {}
    for feature, title in rows:
        titles.setdefault(feature, set()).add(int(title))
    name = min(titles, key=lambda f: len(titles[f]))
    return name, titles[name]


async def figures(client: httpx.AsyncClient, experiment_id: str) -> dict[str, dict[str, Any]]:
    answer = await client.get(f"/admin/experiments/{experiment_id}")
    assert answer.status_code == 200, answer.text
    return {arm["name"]: arm for arm in answer.json()["arms"]}


async def test_an_experiment_between_two_versions_end_to_end(tmp_path: Path) -> None:
    generate_demo_source(tmp_path / "demo_source.db")
    async with served("serve", tmp_path, TRAINER) as running, connected(running) as (client, stub):
        await without_startup_training(client)
        control = await train(client)
        candidate = await train(client, activate="false")
        started = await client.post(
            "/admin/experiments",
            json={
                "name": "bigger model",
                "arms": [
                    {"name": "control", "model_id": control, "share": 0.5},
                    {"name": "candidate", "model_id": candidate, "share": 0.5},
                ],
            },
        )
        assert started.status_code == 201, started.text
        experiment_id = started.json()["experiment_id"]
        arms = [
            {"name": "x", "model_id": control, "share": 0.5},
            {"name": "y", "model_id": candidate, "share": 0.5},
        ]
        again = await client.post("/admin/experiments", json={"name": "another", "arms": arms})
        assert again.status_code == 409 and again.json()["error"] == "conflict"
        bad = await client.post("/admin/experiments", json={"name": "another", "arms": arms[:1]})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_argument"

        answers = await lists(client, range(1, USERS + 1))
        arm_of = {user: a["experiment_arm"] for user, a in answers.items()}
        version = {"control": control, "candidate": candidate}
        assert all(a["model_id"] == version[a["experiment_arm"]] for a in answers.values())
        # within 4 standard deviations of a fair split of 2,000 users (the experiment id is random)
        assert abs(Counter(arm_of.values())["control"] / USERS - 0.5) <= 0.045
        assert len({a["recommendation_id"] for a in answers.values()}) == USERS

        # gRPC: the same arms, one id per list of a batch
        for user in range(1, 101):
            reply = await stub.GetUserRecommendations(pb.UserRequest(user_id=user, k=5))
            assert (reply.experiment_arm, reply.model_id) == (arm_of[user], version[arm_of[user]])
        batch = await stub.GetUserRecommendationsBatch(pb.UserBatchRequest(user_ids=list(range(1, 51)), k=5))
        assert [r.experiment_arm for r in batch.results] == [arm_of[u] for u in range(1, 51)]
        assert len({r.recommendation_id for r in batch.results}) == 50

        # attributed events: REST GET, REST POST and gRPC, plus a second event on one list
        clicked = {"control": 0, "candidate": 0}
        for n, (user, answer) in enumerate(list(answers.items())[:60]):
            title, rid = answer["item_ids"][0], answer["recommendation_id"]
            if n % 3 == 0:
                sent = await client.get(
                    "/rec/hot/interact",
                    params={"user_id": user, "title_id": title, "int_type": "view", "recommendation_id": rid},
                )
                assert sent.status_code == 202, sent.text
            elif n % 3 == 1:
                body = {"user_id": user, "title_id": title, "int_type": "view", "recommendation_id": rid}
                assert (await client.post("/rec/hot/interact", json=body)).status_code == 202
            else:
                event = pb.InteractionRequest(
                    user_id=user, title_id=title, int_type="view", recommendation_id=rid
                )
                assert (await stub.RecordInteraction(event)).accepted
            clicked[answer["experiment_arm"]] += 1
        first = answers[1]
        second = {"user_id": 1, "title_id": first["item_ids"][1], "int_type": "view"}
        second["recommendation_id"] = first["recommendation_id"]
        assert (await client.post("/rec/hot/interact", json=second)).status_code == 202
        bogus = {"user_id": 2, "title_id": 5, "int_type": "view", "recommendation_id": "not-one-of-ours"}
        assert (await client.post("/rec/hot/interact", json=bogus)).status_code == 202

        before = await figures(client, experiment_id)
        for arm, count in clicked.items():
            events = count + (1 if first["experiment_arm"] == arm else 0)
            assert (before[arm]["clicked_lists"], before[arm]["events"]) == (count, events)
            assert before[arm]["ctr_low"] <= before[arm]["ctr"] <= before[arm]["ctr_high"]
        assert sum(arm["lists"] for arm in before.values()) == USERS + 100 + 50  # this replica's at once
        await asyncio.sleep(FLUSH_WAIT_SECONDS)
    # killed (SIGKILL), then started again on the same registry
    async with served("serve", tmp_path) as running, connected(running) as (client, stub):
        after = await figures(client, experiment_id)
        assert after == before
        for user in range(1, 201, 7):
            reply = await stub.GetUserRecommendations(pb.UserRequest(user_id=user, k=5))
            assert reply.experiment_arm == arm_of[user]

        name, having = rarest_feature(tmp_path / "demo_source.db")
        k = min(10, len(having) // 2)
        filtered = await lists(client, range(1, 31), feature=name, k=k)
        assert all(len(a["item_ids"]) == k and set(a["item_ids"]) <= having for a in filtered.values())
        reply = await stub.GetUserRecommendations(pb.UserRequest(user_id=3, k=k, features=[name]))
        assert len(reply.item_ids) == k and set(reply.item_ids) <= having
        relevant = await stub.GetTitleRelevant(pb.TitleRequest(title_id=1, k=k, not_features=[name]))
        assert (
            len(relevant.item_ids) == k and not set(relevant.item_ids) & having and relevant.recommendation_id
        )
        too_many = await client.get(
            "/titles/recommendations", params=[("user_id", 1), *(("feature", f"f{i}") for i in range(21))]
        )
        assert too_many.status_code == 400 and too_many.json()["error"] == "invalid_argument"

        stopped = await client.post(f"/admin/experiments/{experiment_id}/stop", json={"promote": "candidate"})
        assert stopped.status_code == 200, stopped.text
        assert (stopped.json()["status"], stopped.json()["winner"]) == ("stopped", "candidate")
        model = (await client.get(f"/admin/models/{candidate}")).json()
        assert model["is_active"] is True and model["online"]["lists"] >= before["candidate"]["lists"]
        assert model["online"]["clicked_lists"] == clicked["candidate"]
        now = (await client.get("/titles/recommendations", params={"user_id": 1})).json()
        assert (now["model_id"], now["experiment_arm"]) == (candidate, None)
        listed = (await client.get("/admin/experiments")).json()["experiments"]
        assert [e["experiment_id"] for e in listed] == [experiment_id]
