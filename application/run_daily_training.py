"""The daily training (REC_TRAIN_CRON): a scheduled job created when its time comes, run at once."""

from __future__ import annotations

from collections.abc import Callable

from application.ports import Clock, IdGenerator, JobStore
from application.run_scheduled_job import RunScheduledJob
from application.training_pipeline import TrainCommand
from domain.training_job import JobTrigger, TrainingJob

DAILY = TrainCommand(trigger=JobTrigger.DAILY, activate=None)
"""Default parameters; REC_AUTO_ACTIVATE decides the activation."""


def _no_lease() -> int | None:
    return None


class RunDailyTraining:
    def __init__(
        self,
        jobs: JobStore,
        clock: Clock,
        ids: IdGenerator,
        run_scheduled: RunScheduledJob,
        fence: Callable[[], int | None] = _no_lease,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._ids = ids
        self._run_scheduled = run_scheduled
        self._fence = fence

    async def execute(self) -> TrainingJob | None:
        """Fenced by the trainer's term: a trainer that lost its lease creates no daily job that the
        next trainer would run beside its own."""
        now = self._clock.now()
        job = DAILY.new_job(self._ids.new_job_id(now), now, scheduled_at=now)
        await self._jobs.save_job(job, fence=self._fence())
        return await self._run_scheduled.execute(job.job_id)
