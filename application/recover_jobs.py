"""When this process becomes the trainer: jobs left running by a trainer that is gone end; the
scheduled ones stay in the registry, where the dispatcher finds them at their time.

Only the new trainer does this (contract section 10), fenced by its term: a job still running under
an older term was left by a process that lost the lease or died. One whose cancel was asked ends
`cancelled`, the others `failed` ("interrupted...").
"""

from __future__ import annotations

import logging

from application.ports import Clock, JobStore
from domain.training_job import JobStatus, TrainingJob

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the trainer running it stopped or lost its lease"


class RecoverJobs:
    def __init__(self, jobs: JobStore, clock: Clock) -> None:
        self._jobs = jobs
        self._clock = clock

    async def execute(self, fence: int | None = None) -> list[TrainingJob]:
        """Return the jobs still scheduled, oldest first."""
        scheduled: list[TrainingJob] = []
        for job in await self._jobs.list_jobs():
            if job.status is JobStatus.RUNNING and (fence is None or job.runner != fence):
                await self._end(job, fence)
            elif job.status is JobStatus.SCHEDULED:
                scheduled.append(job)
        return sorted(scheduled, key=lambda j: (j.scheduled_at or j.created_at, j.job_id))

    async def _end(self, job: TrainingJob, fence: int | None) -> None:
        now = self._clock.now()
        cancel = await self._jobs.cancel_requested(job.job_id)
        ended = job.cancel(now) if cancel else job.fail(now, INTERRUPTED)
        if await self._jobs.replace_job(ended, JobStatus.RUNNING, fence=fence):
            log.warning("job_interrupted", extra={"job_id": job.job_id, "status": str(ended.status)})
