"""At start: jobs left running by a dead process fail; scheduled ones are handed back to the scheduler."""

from __future__ import annotations

import logging

from application.ports import Clock, JobStore
from domain.training_job import JobStatus, TrainingJob

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by restart"


class RecoverJobs:
    def __init__(self, jobs: JobStore, clock: Clock) -> None:
        self._jobs = jobs
        self._clock = clock

    async def execute(self) -> list[TrainingJob]:
        """Return the jobs still scheduled, oldest first."""
        scheduled: list[TrainingJob] = []
        for job in await self._jobs.list_jobs():
            if job.status is JobStatus.RUNNING:
                await self._jobs.save_job(job.fail(self._clock.now(), INTERRUPTED))
                log.warning("job_interrupted_by_restart", extra={"job_id": job.job_id})
            elif job.status is JobStatus.SCHEDULED:
                scheduled.append(job)
        return sorted(scheduled, key=lambda j: (j.scheduled_at or j.created_at, j.job_id))
