"""The job store as the trainer's queue (contract section 10), for the fake, SQLite and MariaDB:
compare-and-set changes, due jobs, submissions checked against running jobs and the lease."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from domain.errors import NoTrainerError, TrainingAlreadyRunningError
from domain.training_job import JobStatus, JobTrigger, TrainingJob
from tests.contract.lease_stores import LeaseAndRegistry, lease_and_registry
from tests.contract.test_registry_contract import T0, job

SECONDS = 15.0


@pytest.fixture
async def pair(db_url: str | None) -> AsyncIterator[LeaseAndRegistry]:
    async with lease_and_registry(db_url) as both:
        yield both


def manual(job_id: str, **changes: object) -> TrainingJob:
    return job(job_id, trigger=JobTrigger.MANUAL, scheduled_at=None, **changes)


async def test_replace_writes_only_over_the_expected_status(pair: LeaseAndRegistry) -> None:
    jobs = pair.registry
    scheduled = job("j-1")
    await jobs.save_job(scheduled)
    started = scheduled.start(T0 + timedelta(hours=2), runner=4)
    assert await jobs.replace_job(started, JobStatus.SCHEDULED) is True
    assert await jobs.replace_job(scheduled.cancel(T0), JobStatus.SCHEDULED) is False  # claimed already
    assert await jobs.get_job("j-1") == started
    assert await jobs.replace_job(job("j-unknown"), JobStatus.SCHEDULED) is False
    assert await jobs.get_job("j-unknown") is None


async def test_due_jobs_are_the_scheduled_ones_whose_time_has_come_oldest_first(
    pair: LeaseAndRegistry,
) -> None:
    jobs = pair.registry
    await jobs.save_job(job("late", scheduled_at=T0 + timedelta(hours=3)))
    await jobs.save_job(job("soon", scheduled_at=T0 + timedelta(hours=1)))
    await jobs.save_job(manual("now", created_at=T0 + timedelta(minutes=30)))  # immediate: no time
    await jobs.save_job(job("done", scheduled_at=T0).cancel(T0))
    due = await jobs.due_jobs(T0 + timedelta(hours=2))
    assert [j.job_id for j in due] == ["now", "soon"]
    assert [j.job_id for j in await jobs.due_jobs(T0)] == ["now"]


async def test_a_submission_needs_a_live_trainer_and_no_other_training(pair: LeaseAndRegistry) -> None:
    jobs = pair.registry
    with pytest.raises(NoTrainerError):
        await jobs.submit_job(manual("j-1"), T0)
    assert await jobs.get_job("j-1") is None
    lease = await pair.lease.acquire("t", T0, SECONDS)
    assert lease is not None
    await jobs.submit_job(manual("j-1"), T0)
    assert (await jobs.get_job("j-1")).status is JobStatus.SCHEDULED
    with pytest.raises(TrainingAlreadyRunningError) as waiting:
        await jobs.submit_job(manual("j-2"), T0)  # j-1 waits for the trainer
    assert waiting.value.job_id == "j-1"
    await jobs.replace_job((await jobs.get_job("j-1")).start(T0, runner=lease.epoch), JobStatus.SCHEDULED)
    with pytest.raises(TrainingAlreadyRunningError) as running:
        await jobs.submit_job(manual("j-3"), T0)
    assert running.value.job_id == "j-1"
    await jobs.save_job((await jobs.get_job("j-1")).fail(T0, "x"))
    await jobs.save_job(job("later"))  # a schedule waiting for its time is no obstacle
    await jobs.submit_job(manual("j-4"), T0)
    await jobs.save_job((await jobs.get_job("j-4")).cancel(T0))
    with pytest.raises(NoTrainerError):  # the lease has expired
        await jobs.submit_job(manual("j-5"), T0 + timedelta(seconds=SECONDS))


async def test_a_cancel_request_is_kept_with_the_job(pair: LeaseAndRegistry) -> None:
    jobs = pair.registry
    running = job("j-1").start(T0, runner=1)
    await jobs.save_job(running)
    assert await jobs.cancel_requested("j-1") is False
    await jobs.request_cancel("j-1")
    assert await jobs.cancel_requested("j-1") is True
    await jobs.save_job(running.with_progress(0.5))  # progress does not clear it
    assert await jobs.cancel_requested("j-1") is True
    assert await jobs.cancel_requested("j-unknown") is False
