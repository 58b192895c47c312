"""POST /admin/tune through the real app (contract 4.3), wired with the fake engine and tuner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import get_args

import httpx
import pytest

from adapters.memory.tuner import FakeTuner
from domain.tuning import DEFAULT_VALIDATION, TuneValidation
from entrypoints.http.app import create_app
from entrypoints.http.train_body import ValidationName
from entrypoints.settings import Settings
from tests.e2e.conftest import FakeStack, client_for, fake_container


@pytest.fixture
async def tuning(tmp_path: Path) -> AsyncIterator[tuple[FakeStack, FakeTuner, httpx.AsyncClient]]:
    stack = fake_container(Settings(data_dir=tmp_path, train_cron="off"))
    tuner = FakeTuner(values=(0.1, 0.3, 0.2))
    stack.container.tuner.override(tuner)
    runtime = create_app(stack.container, manage_runtime=False).state.runtime
    await runtime.start()
    async with client_for(stack.container) as api:
        yield stack, tuner, api
    await runtime.stop()


async def finished(api: httpx.AsyncClient, job_id: str) -> dict:
    for _ in range(300):
        job = (await api.get(f"/admin/jobs/{job_id}")).json()
        if job["status"] not in ("running", "scheduled"):
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.parametrize(
    "query",
    [
        {"n_trials": 0},
        {"n_trials": 501},
        {"n_trials": "many"},
        {"timeout_seconds": 7201},
        {"timeout_seconds": 0},
        {"activate": "perhaps"},
        {"validation": "newest"},
        {"validation": ""},
        {"validation": "TIME"},
    ],
)
async def test_out_of_bounds_budgets_are_400(
    tuning: tuple[FakeStack, FakeTuner, httpx.AsyncClient], query: dict
) -> None:
    _, tuner, api = tuning
    response = await api.post("/admin/tune", params=query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_argument" and body["detail"]
    assert tuner.budgets == []  # nothing started
    assert (await api.get("/admin/jobs")).json()["jobs"] == []


async def test_tune_accepts_runs_as_a_job_and_registers_the_best(
    tuning: tuple[FakeStack, FakeTuner, httpx.AsyncClient],
) -> None:
    _, tuner, api = tuning
    accepted = await api.post("/admin/tune", params={"n_trials": 3, "timeout_seconds": 60})
    assert accepted.status_code == 202
    body = accepted.json()
    assert set(body) == {"job_id", "status"} and body["status"] == "running"
    job = await finished(api, body["job_id"])
    assert job["status"] == "succeeded" and job["trigger"] == "tune"
    assert job["progress"] == 1.0
    assert job["params"]["no_components"] == 16  # the best trial's
    assert job["metrics"]["tune_trials"] == 3 and job["metrics"]["tune_best_trial"] == 1
    model = (await api.get(f"/admin/models/{job['model_id']}")).json()
    assert model["is_active"] is True  # activate defaults to true
    assert model["metrics"]["tune_best_value"] == pytest.approx(0.3)
    assert [t["number"] for t in model["params"]["tune"]["trials"]] == [0, 1, 2]
    assert tuner.budgets[0].n_trials == 3 and tuner.budgets[0].timeout_seconds == 60
    assert tuner.validations == [TuneValidation.TIME]  # the default (measured in BENCHMARKS.md)
    assert model["params"]["tune"]["tune_validation"] == "time"


@pytest.mark.parametrize("validation", ["random", "time"])
async def test_the_validation_split_is_chosen_and_recorded(
    tuning: tuple[FakeStack, FakeTuner, httpx.AsyncClient], validation: str
) -> None:
    _, tuner, api = tuning
    accepted = await api.post("/admin/tune", params={"n_trials": 2, "validation": validation})
    assert accepted.status_code == 202, accepted.text
    job = await finished(api, accepted.json()["job_id"])
    assert job["status"] == "succeeded"
    assert tuner.validations == [TuneValidation(validation)]
    model = (await api.get(f"/admin/models/{job['model_id']}")).json()
    assert model["params"]["tune"]["tune_validation"] == validation


async def test_defaults_and_activate_false(tuning: tuple[FakeStack, FakeTuner, httpx.AsyncClient]) -> None:
    _, tuner, api = tuning
    accepted = await api.post("/admin/tune", params={"activate": "false"})
    assert accepted.status_code == 202
    job = await finished(api, accepted.json()["job_id"])
    assert job["status"] == "succeeded"
    assert tuner.budgets[0].n_trials == 30 and tuner.budgets[0].timeout_seconds == 900
    assert job["activation"] == "not activated: activate=false"
    assert (await api.get("/health")).json()["model_id"] is None


async def test_one_job_at_a_time_and_cancel(tuning: tuple[FakeStack, FakeTuner, httpx.AsyncClient]) -> None:
    _, tuner, api = tuning
    tuner.gate = asyncio.Event()
    job_id = (await api.post("/admin/tune")).json()["job_id"]
    for conflicting in (api.post("/admin/tune"), api.post("/admin/train")):
        response = await conflicting
        assert response.status_code == 409 and response.json()["job_id"] == job_id
    cancel = asyncio.create_task(api.delete(f"/admin/jobs/{job_id}"))
    await asyncio.sleep(0.05)
    tuner.gate.set()
    cancelled = await cancel
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_the_route_is_documented(tuning: tuple[FakeStack, FakeTuner, httpx.AsyncClient]) -> None:
    _, _, api = tuning
    schema = (await api.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/admin/tune"]["post"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"n_trials", "timeout_seconds", "activate", "validation"} <= names
    validation = next(p for p in operation["parameters"] if p["name"] == "validation")
    assert validation["in"] == "query" and not validation.get("required", False)
    assert sorted(validation["schema"]["enum"]) == sorted(v.value for v in TuneValidation)
    assert validation["schema"]["default"] == DEFAULT_VALIDATION.value
    assert set(get_args(ValidationName)) == {v.value for v in TuneValidation}  # the route's names
    assert "202" in operation["responses"]
