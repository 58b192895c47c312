"""The real stack with REC_ARTIFACTS_URL=s3://...: trained, activated, restarted on an empty local cache."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from entrypoints.container import Container, alone
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import client_for
from tests.s3_server import MotoServer, use_test_credentials
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
SMALL = {"epochs": 4, "no_components": 16, "learning_rate": 0.05}


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    use_test_credentials(monkeypatch)
    server = MotoServer()
    server.start()
    yield server
    server.stop()


def s3_container(data_dir: Path, server: MotoServer, bucket: str) -> Container:
    container = alone(Container())
    settings = Settings(
        data_dir=data_dir,
        train_cron="off",
        train_threads=2,
        artifacts_url=f"s3://{bucket}/deployments/e2e",
        s3_endpoint_url=server.url,
    )
    container.settings.override(settings)
    return container


async def test_versions_live_in_the_bucket_and_come_back_after_a_restart(
    s3_server: MotoServer, tmp_path: Path
) -> None:
    generate_demo_source(tmp_path / "demo_source.db")
    bucket = s3_server.new_bucket()
    container = s3_container(tmp_path, s3_server, bucket)
    runtime = create_app(container, manage_runtime=False).state.runtime
    await runtime.start()
    try:
        async with client_for(container) as api:
            first = (await api.get("/admin/train", params=SMALL)).json()
            assert first["status"] == "succeeded", first
            second = (await api.get("/admin/train", params={**SMALL, "activate": "false"})).json()
            assert second["status"] == "succeeded", second
            activated = await api.post(f"/admin/models/{second['model_id']}/activate")
            assert activated.status_code == 200, activated.text
            before = (await api.get("/titles/recommendations", params={"user_id": 3})).json()
            assert (await api.get("/health/ready")).status_code == 200
    finally:
        await runtime.stop()
    assert before["model_id"] == second["model_id"] and before["source"] == "model"

    listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="deployments/e2e/")
    keys = {entry["Key"] for entry in listed.get("Contents", [])}
    for model_id in (first["model_id"], second["model_id"]):
        assert f"deployments/e2e/models/{model_id}/model.npz" in keys
        assert f"deployments/e2e/models/{model_id}/model.json" in keys
        assert f"deployments/e2e/datasets/{model_id}/dataset.json" in keys
    assert not (tmp_path / "models").exists()  # nothing written beside the cache

    shutil.rmtree(tmp_path / "artifact-cache")  # a new replica: only the bucket has the versions
    restarted = s3_container(tmp_path, s3_server, bucket)
    runtime = create_app(restarted, manage_runtime=False).state.runtime
    await runtime.start()
    try:
        async with client_for(restarted) as api:
            again = (await api.get("/titles/recommendations", params={"user_id": 3})).json()
    finally:
        await runtime.stop()
    assert again["model_id"] == second["model_id"] and again["item_ids"] == before["item_ids"]
    assert (tmp_path / "artifact-cache" / "models" / second["model_id"] / "model.npz").is_file()
