"""Two real `serve` processes on a MariaDB registry and Redis, one the trainer (the lone candidate):
an admin training and a cancel sent to the other reach the trainer through the broadcast (contract
section 10: "within about 1 s when Redis is configured").

The registry poll, which is also the trainer's look at the job table, is set to 10 minutes: only the
announcement can explain a pickup in time. Without it the training would be withdrawn (503) after
the lease time and the cancel would answer after 30 s with the job still running.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from redis import Redis

from tests.conftest import MySqlDatabase
from tests.e2e.served_process import served
from tests.e2e.test_replica_broadcast import LONG, WITHIN, log_of, replica_settings, two_versions
from tests.e2e.test_trainer_replicas import Replica, metric

pytestmark = [pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]
REDIS_DB = 5  # this test's own database number
TRAINING = {"epochs": 1000, "no_components": 8, "wait": "false"}


@pytest.fixture
def redis_url(redis_server: str) -> str:
    url = redis_server.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    Redis.from_url(url).flushdb()
    return url


async def test_a_training_and_a_cancel_sent_to_a_follower_reach_the_trainer_through_redis(
    tmp_path: Path, mysql_db: MySqlDatabase, redis_url: str
) -> None:
    await two_versions(tmp_path, mysql_db.url)
    follower_settings = replica_settings(mysql_db.url, redis_url)
    assert follower_settings["REC_REGISTRY_POLL_SECONDS"] == LONG
    trainer_settings = {**follower_settings, "REC_TRAIN_CRON": "0 3 * * *", "REC_TRAIN_THREADS": "1"}
    async with (
        served("serve", tmp_path, trainer_settings) as trainer,
        served("serve", tmp_path, follower_settings) as follower,
        httpx.AsyncClient(base_url=follower.url, timeout=60) as on_follower,
    ):
        asked = time.monotonic()
        accepted = await on_follower.post("/admin/train", params=TRAINING)
        took = time.monotonic() - asked
        assert accepted.status_code == 202, (accepted.text, log_of(trainer))
        assert accepted.json()["status"] == "running"  # 202 answers once the trainer started it
        assert took <= WITHIN, (took, log_of(trainer))

        job_id = accepted.json()["job_id"]
        cancelled = await on_follower.delete(f"/admin/jobs/{job_id}")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled", (cancelled.json(), log_of(trainer))

        on_trainer = Replica("trainer", trainer.process, trainer.http_port, trainer.log)
        received = await metric(
            on_follower, on_trainer, "rec_broadcast_messages_total", kind="job", direction="received"
        )
        assert received == 2.0  # the training's cue and the cancel's, each heard once
