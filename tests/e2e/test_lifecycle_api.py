"""Scheduling, cancellation, restart recovery and activation under load, through the real app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.sql.engines import create_engine_for
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.conftest import FakeStack, client_for, fake_container

DAILY = "0 3 * * *"


async def wait_for_job(api: httpx.AsyncClient, job_id: str, until: set[str], seconds: float = 15) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = (await api.get(f"/admin/jobs/{job_id}")).json()
        if job["status"] in until:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} stayed {job['status']}")


@pytest.fixture
async def scheduling(tmp_path: Path) -> AsyncIterator[tuple[FakeStack, httpx.AsyncClient]]:
    stack = fake_container(Settings(data_dir=tmp_path, train_cron=DAILY, timezone="Asia/Tokyo"))
    runtime = create_app(stack.container, manage_runtime=False).state.runtime
    await runtime.start()  # no model yet: a startup job trains one
    async with client_for(stack.container) as api:
        startup = (await api.get("/admin/jobs")).json()["jobs"][0]
        assert startup["trigger"] == "startup"
        await wait_for_job(api, startup["job_id"], {"succeeded"})
        yield stack, api
    await runtime.stop()


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def test_a_job_scheduled_ahead_runs(scheduling: tuple[FakeStack, httpx.AsyncClient]) -> None:
    _, api = scheduling
    response = await api.post("/admin/schedule-training", params={"scheduled_at": soon(1), "epochs": 2})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "scheduled" and body["scheduled_at"].endswith("+00:00")
    job = await wait_for_job(api, body["job_id"], {"succeeded", "failed"})
    assert job["status"] == "succeeded" and job["trigger"] == "scheduled"
    assert job["activation"]  # the policy's decision is recorded


@pytest.mark.parametrize("when", ["2020-01-01T00:00:00+00:00", "tomorrow", ""])
async def test_bad_scheduled_at(scheduling: tuple[FakeStack, httpx.AsyncClient], when: str) -> None:
    _, api = scheduling
    response = await api.get("/admin/schedule-training", params={"scheduled_at": when})
    assert response.status_code == 400 and response.json()["error"] == "invalid_argument"


async def test_naive_time_is_read_in_rec_timezone(scheduling: tuple[FakeStack, httpx.AsyncClient]) -> None:
    _, api = scheduling
    body = (await api.get("/admin/schedule-training", params={"scheduled_at": "2030-01-01T12:00:00"})).json()
    assert body["scheduled_at"] == "2030-01-01T03:00:00+00:00"


async def test_cancel_scheduled_then_conflict(scheduling: tuple[FakeStack, httpx.AsyncClient]) -> None:
    _, api = scheduling
    job_id = (await api.post("/admin/schedule-training", params={"scheduled_at": soon(3600)})).json()[
        "job_id"
    ]
    cancelled = await api.delete(f"/admin/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await api.delete(f"/admin/jobs/{job_id}")
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    assert (await api.delete("/admin/jobs/nope")).status_code == 404


async def test_cancel_a_running_job(scheduling: tuple[FakeStack, httpx.AsyncClient]) -> None:
    stack, api = scheduling
    engine = stack.container.engine()
    original = engine.train

    async def slow(data, params, on_epoch, forward=None, base=None):  # type: ignore[no-untyped-def]
        async def sleepy(done: int, total: int) -> None:
            await asyncio.sleep(0.05)
            await on_epoch(done, total)

        return await original(data, params, sleepy, forward, base)

    engine.train = slow
    accepted = (await api.post("/admin/train", params={"wait": "false", "epochs": 200})).json()
    await asyncio.sleep(0.2)
    response = await api.delete(f"/admin/jobs/{accepted['job_id']}")
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "cancelled" and 0 < job["progress"] < 1


async def test_activation_under_load_answers_with_exactly_one_version(
    scheduling: tuple[FakeStack, httpx.AsyncClient],
) -> None:
    _, api = scheduling
    a = (await api.get("/admin/train", params={"epochs": 1})).json()["model_id"]
    b = (await api.get("/admin/train", params={"epochs": 1, "activate": "false"})).json()["model_id"]
    errors: list[str] = []
    seen: set[str] = set()
    stop = asyncio.Event()

    async def reader(user: int) -> None:
        while not stop.is_set():
            await asyncio.sleep(0)  # in-process transport: yield, or one reader starves the rest
            response = await api.get("/titles/recommendations", params={"user_id": 1 + user % 10})
            if response.status_code != 200:
                errors.append(response.text)
            else:
                seen.add(response.json()["model_id"])

    readers = [asyncio.create_task(reader(n)) for n in range(8)]
    for n in range(20):
        response = await api.post(f"/admin/models/{(a, b)[n % 2]}/activate")
        assert response.status_code == 200
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.gather(*readers)
    assert errors == []
    assert seen == {a, b}


async def test_a_restart_between_scheduling_and_run_time_still_runs_the_job(tmp_path: Path) -> None:
    registry_url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"

    def service() -> Container:
        stack = fake_container(Settings(data_dir=tmp_path, train_cron=DAILY, registry_url=registry_url))
        stack.container.registry.override(SqlAlchemyModelRegistry(create_engine_for(registry_url)))
        return stack.container

    first = service()
    runtime = create_app(first, manage_runtime=False).state.runtime
    await runtime.start()
    async with client_for(first) as api:
        job_id = (await api.post("/admin/schedule-training", params={"scheduled_at": soon(1.0)})).json()[
            "job_id"
        ]
    await runtime.stop()  # down before the job's time
    await asyncio.sleep(1.5)

    second = service()
    runtime = create_app(second, manage_runtime=False).state.runtime
    await runtime.start()
    async with client_for(second) as api:
        job = await wait_for_job(api, job_id, {"succeeded", "failed"})
    await runtime.stop()
    assert job["status"] == "succeeded"
