"""Schedule a training for a later time: stored as a scheduled job, handed to the scheduler."""

from __future__ import annotations

from datetime import datetime

from application.ports import Clock, IdGenerator, JobScheduler, JobStore
from application.training_pipeline import TrainCommand
from domain.errors import InvalidArgumentError
from domain.training_job import TrainingJob


class ScheduleTraining:
    def __init__(self, jobs: JobStore, clock: Clock, ids: IdGenerator, scheduler: JobScheduler) -> None:
        self._jobs = jobs
        self._clock = clock
        self._ids = ids
        self._scheduler = scheduler

    async def execute(self, command: TrainCommand, run_at: datetime) -> TrainingJob:
        now = self._clock.now()
        if run_at <= now:
            raise InvalidArgumentError(f"scheduled_at {run_at.isoformat()} is in the past")
        job = command.new_job(self._ids.new_job_id(now), now, scheduled_at=run_at)
        await self._jobs.save_job(job)  # the store is the truth: a restart reschedules from it
        self._scheduler.schedule(job.job_id, run_at)
        return job
