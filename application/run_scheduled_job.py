"""Run a scheduled job at its time (called by the scheduler, or at start for a missed one)."""

from __future__ import annotations

from application.job_runner import JobRunner, JobWork
from application.training_pipeline import TrainCommand, TrainingPipeline
from domain.training_job import TrainingJob


class RunScheduledJob:
    def __init__(self, runner: JobRunner, pipeline: TrainingPipeline) -> None:
        self._runner = runner
        self._pipeline = pipeline

    async def execute(self, job_id: str) -> TrainingJob | None:
        """Wait for a running job rather than fail; a job cancelled meanwhile is returned as it is."""
        return await self._runner.run_queued(job_id, self._work)

    def _work(self, job: TrainingJob) -> JobWork:
        return self._pipeline.work(TrainCommand.of(job))
