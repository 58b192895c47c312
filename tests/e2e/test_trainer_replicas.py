"""Real `serve` processes sharing a MariaDB registry and an artifact directory (contract section 10):
exactly one trainer; an admin training sent to another replica runs on the trainer and `wait=true`
returns its result; SIGKILL the trainer and another takes over within the lease time, ending the
job the dead one left running; the dead trainer's late writes are refused; without any candidate an
immediate training is 503 while a schedule is still stored."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from adapters.sql.engines import create_engine_for
from application.recover_jobs import INTERRUPTED
from domain.errors import LeaseLostError
from tests.conftest import MySqlDatabase, free_port
from tools.demo_data import generate_demo_source

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.mysql]
REPO = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3
SMALL = {"epochs": 2, "no_components": 8}
LONG = {"epochs": 1000, "no_components": 8, "wait": "false"}


@dataclass
class Replica:
    name: str
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def environment(data_dir: Path, registry_url: str, candidate: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REC_", "OTEL_"))}
    env.update(
        REC_DATA_DIR=str(data_dir),
        REC_REGISTRY_URL=registry_url,
        REC_TRAIN_CRON="0 3 * * *" if candidate else "off",
        REC_TRAINER_LEASE_SECONDS=str(LEASE_SECONDS),
        REC_TRAIN_THREADS="1",
        REC_HTTP_HOST="127.0.0.1",
        REC_LOG_FORMAT="json",
    )
    return env


@contextlib.asynccontextmanager
async def replicas(data_dir: Path, registry_url: str, *candidates: bool) -> AsyncIterator[list[Replica]]:
    started: list[Replica] = []
    try:
        for number, candidate in enumerate(candidates):
            port = free_port()
            env = environment(data_dir, registry_url, candidate)
            env.update(REC_HTTP_PORT=str(port), REC_GRPC_PORT=str(free_port()))
            log = data_dir / f"replica-{number}.log"
            with log.open("wb") as sink:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "entrypoints.cli", "serve",
                    cwd=REPO, env=env, stdout=sink, stderr=sink, start_new_session=True,
                )  # fmt: skip
            started.append(Replica(f"r{number}", process, port, log))
        for replica in started:
            await ready(replica)
        yield started
    finally:
        for replica in started:
            replica.kill()
            await replica.process.wait()


async def ready(replica: Replica) -> None:
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(base_url=replica.url, timeout=5) as client:
        while time.monotonic() < deadline:
            assert replica.process.returncode is None, replica.log.read_text(errors="replace")[-3000:]
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    pytest.fail(f"{replica.name} did not become ready:\n{replica.log.read_text(errors='replace')[-3000:]}")


async def metric(client: httpx.AsyncClient, replica: Replica, name: str, **labels: str) -> float:
    """The sum of the samples of `name` carrying `labels` on the replica's /metrics."""
    text = (await client.get(f"{replica.url}/metrics")).text
    pairs = [f'{key}="{value}"' for key, value in labels.items()]
    total = 0.0
    for line in text.splitlines():
        family = line.split("{", 1)[0].split(" ", 1)[0]
        if family == name and all(pair in line for pair in pairs):
            total += float(line.rsplit(" ", 1)[-1])
    return total


async def leaders(client: httpx.AsyncClient, group: list[Replica]) -> list[Replica]:
    flags = [await metric(client, r, "rec_trainer_leader") for r in group]
    return [r for r, flag in zip(group, flags, strict=True) if flag == 1.0]


async def until_one_leader(client: httpx.AsyncClient, group: list[Replica], seconds: float) -> Replica:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await leaders(client, group)
        if len(found) == 1:
            return found[0]
        await asyncio.sleep(0.1)
    pytest.fail(f"no single trainer within {seconds} s")


@pytest.fixture
def data_dir(tmp_path: Path, mysql_db: MySqlDatabase) -> Path:
    generate_demo_source(tmp_path / "demo_source.db")
    trained = subprocess.run(  # a first version, so no replica starts a long startup training
        [sys.executable, "-m", "entrypoints.cli", "train", "--epochs", "2", "--no-components", "8"],
        cwd=REPO,
        env=environment(tmp_path, mysql_db.url, candidate=False),
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert trained.returncode == 0, trained.stderr.decode()[-2000:]
    return tmp_path


async def test_one_trainer_runs_what_any_replica_accepts_and_is_replaced_when_killed(
    data_dir: Path, mysql_db: MySqlDatabase
) -> None:
    async with (
        replicas(data_dir, mysql_db.url, True, True, False) as group,
        httpx.AsyncClient(timeout=300) as client,
    ):
        candidates, follower = group[:2], group[2]
        trainer = await until_one_leader(client, candidates, LEASE_SECONDS + 5)
        for _ in range(10):  # sampled: never two, never none
            assert await leaders(client, group) == [trainer]
            await asyncio.sleep(0.1)
        other = next(r for r in candidates if r is not trainer)
        # every replica names the same holder; each says its own part
        told = [(await client.get(f"{r.url}/admin/trainer")).json() for r in (trainer, other, follower)]
        assert len({t["holder"] for t in told}) == 1 and all(t["live"] and t["shared"] for t in told)
        assert told[0]["this_replica"]["holder"] == told[0]["holder"]
        assert [t["this_replica"]["is_trainer"] for t in told] == [True, False, False]
        assert [t["this_replica"]["candidate"] for t in told] == [True, True, False]

        # an admin training on the follower runs on the trainer; wait=true returns its result
        done = await client.post(f"{follower.url}/admin/train", params=SMALL)
        assert done.status_code == 200, done.text
        job = done.json()
        assert job["status"] == "succeeded" and job["model_id"]
        counted = {"trigger": "manual", "status": "succeeded"}
        assert await metric(client, trainer, "rec_training_jobs_total", **counted) == 1.0
        assert await metric(client, follower, "rec_training_jobs_total", **counted) == 0.0
        assert await metric(client, other, "rec_training_jobs_total", **counted) == 0.0

        # one training at a time across the fleet: 409 from any replica while it runs
        accepted = await client.post(f"{other.url}/admin/train", params=LONG)
        assert accepted.status_code == 202, accepted.text
        long_id = accepted.json()["job_id"]
        assert accepted.json()["status"] == "running"
        refused = await client.post(f"{follower.url}/admin/train", params=SMALL)
        assert refused.status_code == 409 and refused.json()["job_id"] == long_id
        deadline = time.monotonic() + 60
        while (await client.get(f"{follower.url}/admin/jobs/{long_id}")).json()["progress"] == 0:
            assert time.monotonic() < deadline, "the long training made no progress"
            await asyncio.sleep(0.2)

        # SIGKILL the trainer: the other candidate takes over within the lease (+2 s) and ends the job
        killed_at = time.monotonic()
        trainer.kill()
        during = datetime.now(UTC) + timedelta(seconds=0.5)  # due while no trainer is alive
        outage = await client.post(
            f"{follower.url}/admin/schedule-training", params={**SMALL, "scheduled_at": during.isoformat()}
        )
        assert outage.status_code == 201, outage.text
        successor = await until_one_leader(client, [other], LEASE_SECONDS + 2)
        assert successor is other and time.monotonic() - killed_at <= LEASE_SECONDS + 2
        now_told = (await client.get(f"{follower.url}/admin/trainer")).json()
        assert (
            now_told["holder"] not in (None, told[0]["holder"]) and now_told["epoch"] == told[0]["epoch"] + 1
        )
        deadline = time.monotonic() + 10  # the new trainer ends it as it takes up its duties
        while (left := (await client.get(f"{follower.url}/admin/jobs/{long_id}")).json())[
            "status"
        ] == "running":
            assert time.monotonic() < deadline, left
            await asyncio.sleep(0.1)
        assert left["status"] == "failed" and left["error"] == INTERRUPTED, left

        # the job scheduled during the outage runs once, on the new trainer
        outage_id = outage.json()["job_id"]
        deadline = time.monotonic() + 240
        while (await client.get(f"{follower.url}/admin/jobs/{outage_id}")).json()["status"] != "succeeded":
            assert time.monotonic() < deadline, "the job scheduled during the outage did not run"
            await asyncio.sleep(0.5)
        scheduled_runs = {"trigger": "scheduled", "status": "succeeded"}
        assert await metric(client, other, "rec_training_jobs_total", **scheduled_runs) == 1.0
        assert await metric(client, other, "rec_training_running") == 0.0

        # the dead trainer's late write (its term's fence) is refused by the registry
        registry = SqlAlchemyModelRegistry(create_engine_for(mysql_db.url))
        try:
            stored = await registry.get_job(long_id)
            assert stored is not None and stored.runner is not None
            with pytest.raises(LeaseLostError):
                await registry.set_active("never-trained", fence=stored.runner)
            assert await registry.active_model_id() != "never-trained"
        finally:
            await registry.close()

        # without any live candidate: an immediate training is 503, a schedule is still stored
        other.kill()
        await asyncio.sleep(LEASE_SECONDS + 0.5)
        unavailable = await client.post(f"{follower.url}/admin/train", params=SMALL)
        assert unavailable.status_code == 503 and unavailable.json()["error"] == "unavailable"
        scheduled = await client.post(
            f"{follower.url}/admin/schedule-training", params={"scheduled_at": "2099-01-01T03:00:00+00:00"}
        )
        assert scheduled.status_code == 201 and scheduled.json()["status"] == "scheduled"
