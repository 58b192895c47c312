"""Cancel a job: a scheduled one at once, a running one after its current epoch; a finished one: 409.

A job running on another replica (the trainer) is asked to stop through the registry (announced, so
the trainer looks at once rather than at its next poll), and the answer waits for it to end there.
Only a process alone with its registry (no lease) ends a job it does not run itself: under the lease
that is for the next trainer (`RecoverJobs`)."""

from __future__ import annotations

import asyncio

from application.job_runner import JobRunner
from application.ports import NO_BROADCAST, Clock, JobScheduler, JobStore, ReplicaBroadcast
from application.trainer_election import TrainerElection
from domain.errors import ConflictError, NotFoundError
from domain.training_job import JobStatus, TrainingJob

CANCEL_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.2


class CancelJob:
    def __init__(
        self,
        jobs: JobStore,
        clock: Clock,
        runner: JobRunner,
        scheduler: JobScheduler,
        wait_seconds: float = CANCEL_WAIT_SECONDS,
        election: TrainerElection | None = None,
        broadcast: ReplicaBroadcast = NO_BROADCAST,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._runner = runner
        self._scheduler = scheduler
        self._wait = wait_seconds
        self._election = election
        self._broadcast = broadcast

    async def execute(self, job_id: str) -> TrainingJob:
        job = await self._jobs.get_job(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id!r} does not exist")
        if job.status.finished:
            raise ConflictError(f"job {job_id} has already finished ({job.status}); nothing to cancel")
        if job.status is JobStatus.SCHEDULED:
            if await self._jobs.replace_job(job.cancel(self._clock.now()), JobStatus.SCHEDULED):
                self._scheduler.unschedule(job_id)
                return await self._jobs.get_job(job_id) or job
            return await self.execute(job_id)  # it started meanwhile: cancel it running
        if self._runner.running_job_id == job_id:
            await self._runner.stop_running(job_id, self._wait)
            return await self._jobs.get_job(job_id) or job
        if self._election is None or self._election.sole:
            # Left "running" by a process that no longer runs it: cancelled in the store.
            cancelled = job.cancel(self._clock.now())
            await self._jobs.replace_job(cancelled, JobStatus.RUNNING)
            return cancelled
        await self._jobs.request_cancel(job_id)
        await self._broadcast.jobs_changed()
        return await self._until_ended(job)

    async def _until_ended(self, job: TrainingJob) -> TrainingJob:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        while loop.time() < deadline:
            stored = await self._jobs.get_job(job.job_id) or job
            if stored.status.finished:
                return stored
            await asyncio.sleep(POLL_SECONDS)
        return await self._jobs.get_job(job.job_id) or job
