"""Cancel a job: a scheduled one at once, a running one after its current epoch; a finished one: 409."""

from __future__ import annotations

from application.job_runner import JobRunner
from application.ports import Clock, JobScheduler, JobStore
from domain.errors import ConflictError, NotFoundError
from domain.training_job import JobStatus, TrainingJob

CANCEL_WAIT_SECONDS = 30.0


class CancelJob:
    def __init__(
        self,
        jobs: JobStore,
        clock: Clock,
        runner: JobRunner,
        scheduler: JobScheduler,
        wait_seconds: float = CANCEL_WAIT_SECONDS,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._runner = runner
        self._scheduler = scheduler
        self._wait = wait_seconds

    async def execute(self, job_id: str) -> TrainingJob:
        job = await self._jobs.get_job(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id!r} does not exist")
        if job.status.finished:
            raise ConflictError(f"job {job_id} has already finished ({job.status}); nothing to cancel")
        if job.status is JobStatus.SCHEDULED or self._runner.running_job_id != job_id:
            # Scheduled, or left "running" by a process that no longer runs it: cancelled in the store.
            cancelled = job.cancel(self._clock.now())
            await self._jobs.save_job(cancelled)
            self._scheduler.unschedule(job_id)
            return cancelled
        await self._runner.stop_running(job_id, self._wait)
        return await self._jobs.get_job(job_id) or job
