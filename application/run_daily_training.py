"""The daily training (REC_TRAIN_CRON): a scheduled job created when its time comes, run at once."""

from __future__ import annotations

from application.ports import Clock, IdGenerator, JobStore
from application.run_scheduled_job import RunScheduledJob
from application.training_pipeline import TrainCommand
from domain.training_job import JobTrigger, TrainingJob

DAILY = TrainCommand(trigger=JobTrigger.DAILY, activate=None)
"""Default parameters; REC_AUTO_ACTIVATE decides the activation."""


class RunDailyTraining:
    def __init__(
        self, jobs: JobStore, clock: Clock, ids: IdGenerator, run_scheduled: RunScheduledJob
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._ids = ids
        self._run_scheduled = run_scheduled

    async def execute(self) -> TrainingJob | None:
        now = self._clock.now()
        job = DAILY.new_job(self._ids.new_job_id(now), now, scheduled_at=now)
        await self._jobs.save_job(job)
        return await self._run_scheduled.execute(job.job_id)
