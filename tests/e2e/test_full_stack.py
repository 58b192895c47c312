"""The real stack on the embedded default: demo SQLite source, SQLite registry, files, LightFM."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis import Redis

from entrypoints.container import Container, alone
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import client_for
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
SMALL = {"epochs": 8, "no_components": 32, "learning_rate": 0.05}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("stack")
    generate_demo_source(directory / "demo_source.db")
    return directory


def real_container(data_dir: Path, redis_url: str | None = None) -> Container:
    container = alone(Container())
    settings = Settings(data_dir=data_dir, train_cron="off", train_threads=2, redis_url=redis_url)
    container.settings.override(settings)
    return container


@pytest.fixture
async def api(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    container = real_container(data_dir)
    runtime = create_app(container, manage_runtime=False).state.runtime
    await runtime.start()
    async with client_for(container) as client:
        yield client
    await runtime.stop()


def source_rows(data_dir: Path, sql: str, *args: object) -> set[int]:
    with sqlite3.connect(data_dir / "demo_source.db") as db:
        return {int(row[0]) for row in db.execute(sql, args)}


async def test_trained_model_serves_unseen_eligible_titles_and_beats_popular(
    api: httpx.AsyncClient, data_dir: Path
) -> None:
    response = await api.get("/admin/train", params=SMALL)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    metrics = job["metrics"]
    assert metrics["precision_at_10"] > 1.5 * metrics["popular_precision_at_10"]
    assert metrics["auc"] > metrics["popular_auc"]
    await segments_and_coverage_are_reported(api, job["model_id"])

    banned = source_rows(data_dir, "SELECT id FROM titles WHERE NOT is_active") | source_rows(
        data_dir, "SELECT title_id FROM blacklist"
    )
    for user_id in (1, 2, 250, 500):
        body = (await api.get("/titles/recommendations", params={"user_id": user_id})).json()
        assert body["source"] == "model" and body["model_id"] == job["model_id"]
        assert len(body["item_ids"]) == 10
        seen = source_rows(data_dir, "SELECT title_id FROM interactions WHERE user_id = ?", user_id)
        assert not seen & set(body["item_ids"])
        assert not banned & set(body["item_ids"])
        assert body["scores"] == sorted(body["scores"], reverse=True)

    stranger = (await api.get("/titles/recommendations", params={"user_id": 10**12})).json()
    assert stranger["source"] == "popular" and len(stranger["item_ids"]) == 10
    assert not banned & set(stranger["item_ids"])

    relevant = (await api.get("/titles/relevant", params={"title_id": 5, "k": 20})).json()
    assert 5 not in relevant["item_ids"] and len(relevant["item_ids"]) == 20
    assert not banned & set(relevant["item_ids"])

    artifact = data_dir / "models" / job["model_id"]
    assert (artifact / "model.npz").is_file() and (artifact / "model.json").is_file()


SEGMENTED = ("warm_precision_at_10", "warm_recall_at_10", "cold_precision_at_10", "cold_recall_at_10")


async def segments_and_coverage_are_reported(api: httpx.AsyncClient, model_id: str) -> None:
    """GET /admin/models/{id} carries the warm/cold figures and the coverage, the popular list's beside."""
    metrics = (await api.get(f"/admin/models/{model_id}")).json()["metrics"]
    for name in (*SEGMENTED, "coverage_at_10"):
        assert 0.0 <= metrics[name] <= 1.0 and 0.0 <= metrics[f"popular_{name}"] <= 1.0, name
    assert metrics["warm_users"] > 0 and metrics["cold_users"] > 0  # the demo has both
    assert metrics["warm_users"] + metrics["cold_users"] == metrics["n_eval_users"]
    assert metrics["coverage_at_10"] > 2 * metrics["popular_coverage_at_10"]  # personal lists differ
    assert metrics["warm_precision_at_10"] > metrics["popular_warm_precision_at_10"]


async def test_activation_survives_a_restart_and_switches_lists(
    api: httpx.AsyncClient, data_dir: Path
) -> None:
    models = (await api.get("/admin/models")).json()["models"]
    assert models, "the previous test trained a model"
    first = models[0]["model_id"]
    second = (await api.get("/admin/train", params={**SMALL, "no_components": 16})).json()["model_id"]
    before = (await api.get("/titles/recommendations", params={"user_id": 3})).json()
    assert before["model_id"] == second
    activated = await api.post(f"/admin/models/{first}/activate")
    assert activated.status_code == 200
    after = (await api.get("/titles/recommendations", params={"user_id": 3})).json()
    assert after["model_id"] == first and after["item_ids"] != before["item_ids"]

    # a new process on the same data dir serves the same version and the same list
    container = real_container(data_dir)
    runtime = create_app(container, manage_runtime=False).state.runtime
    await runtime.start()
    async with client_for(container) as fresh:
        again = (await fresh.get("/titles/recommendations", params={"user_id": 3})).json()
    await runtime.stop()
    assert again["model_id"] == first and again["item_ids"] == after["item_ids"]


async def test_a_corrupted_artifact_is_refused_and_the_old_model_keeps_serving(
    api: httpx.AsyncClient, data_dir: Path
) -> None:
    spare = (await api.get("/admin/train", params={**SMALL, "epochs": 2, "activate": "false"})).json()
    active = (await api.get("/health")).json()["model_id"]
    npz = data_dir / "models" / spare["model_id"] / "model.npz"
    npz.write_bytes(npz.read_bytes()[:-10] + b"0123456789")
    response = await api.post(f"/admin/models/{spare['model_id']}/activate")
    assert response.status_code == 409 and response.json()["error"] == "conflict"
    assert (await api.get("/health")).json()["model_id"] == active


async def test_a_replica_follows_an_activation_within_five_seconds(
    api: httpx.AsyncClient, data_dir: Path
) -> None:
    models = [m["model_id"] for m in (await api.get("/admin/models")).json()["models"]]
    active = (await api.get("/health")).json()["model_id"]
    other = next(
        m
        for m in models
        if m != active and (data_dir / "models" / m / "model.npz").exists() and m != _corrupted(data_dir)
    )
    replica = real_container(data_dir)  # REC_TRAIN_CRON=off: follows the shared registry
    runtime = create_app(replica, manage_runtime=False).state.runtime
    await runtime.start()
    try:
        assert replica.state().model_id == active
        assert (await api.post(f"/admin/models/{other}/activate")).status_code == 200
        started = time.monotonic()
        while replica.state().model_id != other and time.monotonic() - started < 5:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # polling a replica's state is the behaviour under test
        assert replica.state().model_id == other, "the replica did not follow within 5 s"
    finally:
        await runtime.stop()


def _corrupted(data_dir: Path) -> str | None:
    for npz in (data_dir / "models").glob("*/model.npz"):
        if npz.read_bytes().endswith(b"0123456789"):
            return npz.parent.name
    return None


async def test_partial_retraining_brings_in_a_new_user_and_title(
    api: httpx.AsyncClient, data_dir: Path
) -> None:
    new_user, new_title = 900_001, 900_002
    with sqlite3.connect(data_dir / "demo_source.db") as db:
        genre = db.execute("SELECT feature FROM title_features WHERE title_id = 5 LIMIT 1").fetchone()[0]
        liked = [
            r[0]
            for r in db.execute("SELECT title_id FROM title_features WHERE feature = ? LIMIT 8", (genre,))
        ]
        db.execute("INSERT INTO titles (id, name, is_active) VALUES (?, 'Brand new', 1)", (new_title,))
        db.execute(
            "INSERT INTO title_features (title_id, feature, weight) VALUES (?, ?, 1.0)", (new_title, genre)
        )
        db.execute("INSERT INTO users (id) VALUES (?)", (new_user,))
        for title in [*liked, new_title]:
            db.execute(
                "INSERT INTO interactions (user_id, title_id, int_type, raw_score, created_at) "
                "VALUES (?, ?, 'bookmark', NULL, datetime('now'))",
                (new_user, title),
            )
        for fan in range(1, 40):
            db.execute(
                "INSERT INTO interactions (user_id, title_id, int_type, raw_score, created_at) "
                "VALUES (?, ?, 'bookmark', NULL, datetime('now'))",
                (fan, new_title),
            )
    response = await api.get("/admin/train", params={"mode": "partial", "epochs": 3})
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    version = (await api.get(f"/admin/models/{job['model_id']}")).json()
    assert version["params"]["mode"] == "partial" and version["dataset"]["n_users"] > 3000
    recs = (await api.get("/titles/recommendations", params={"user_id": new_user})).json()
    assert recs["source"] == "model" and recs["model_id"] == job["model_id"]
    popular = (await api.get("/titles/recommendations", params={"user_id": 10**12})).json()
    assert recs["item_ids"] != popular["item_ids"]
    similar = await api.get("/titles/relevant", params={"title_id": new_title})
    assert similar.status_code == 200 and similar.json()["model_id"] == job["model_id"]


@pytest.mark.redis
async def test_replicas_sharing_redis_drop_near_copies_on_each_others_invalidations(
    api: httpx.AsyncClient, data_dir: Path, redis_server: str
) -> None:
    """Two replicas with Redis and near copies: a hot event on one leaves the other's next list
    (the copy is dropped when the published invalidation arrives), and so does invalidate-all."""
    url = redis_server.rsplit("/", 1)[0] + "/13"  # a database of this test alone
    Redis.from_url(url).flushdb()
    replicas = [real_container(data_dir, redis_url=url) for _ in range(2)]
    runtimes = [create_app(c, manage_runtime=False).state.runtime for c in replicas]
    for runtime in runtimes:
        await runtime.start()
    try:
        async with client_for(replicas[0]) as receiver, client_for(replicas[1]) as other:
            user = {"user_id": 7, "k": 10}
            first = (await other.get("/titles/recommendations", params=user)).json()
            assert first["source"] == "model"
            for _ in range(40):  # the miss's cache write lands after its answer
                again = (await other.get("/titles/recommendations", params=user)).json()
                if again["cached"]:
                    break
                await asyncio.sleep(0.05)
            assert again["cached"] and again["item_ids"] == first["item_ids"]  # a near copy now
            top = first["item_ids"][0]

            event = {"user_id": 7, "title_id": top, "int_type": "bookmark"}
            assert (await receiver.get("/rec/hot/interact", params=event)).status_code == 202
            waited = await _until_gone(other, user, top)
            assert waited < 0.5, f"the other replica still showed the title after {waited:.3f} s"

            assert (await other.get("/titles/recommendations", params=user)).json()["cached"]
            assert (await receiver.post("/admin/cache/invalidate")).status_code == 200
            started = time.monotonic()
            while (await other.get("/titles/recommendations", params=user)).json()["cached"]:
                assert time.monotonic() - started < 0.5, "invalidate-all did not reach the other replica"
                await asyncio.sleep(0.005)
    finally:
        for runtime in runtimes:
            await runtime.stop()
        Redis.from_url(url).flushdb()


async def _until_gone(client: httpx.AsyncClient, params: dict[str, int], title: int) -> float:
    started = time.monotonic()
    while title in (await client.get("/titles/recommendations", params=params)).json()["item_ids"]:
        if time.monotonic() - started > 2:
            break
        await asyncio.sleep(0.005)
    return time.monotonic() - started
