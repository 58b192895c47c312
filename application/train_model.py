"""Train now (manual and startup jobs): wait for the finished job, or start it in the background."""

from __future__ import annotations

from application.job_runner import JobRunner
from application.training_pipeline import TrainCommand, TrainingPipeline, TrainingPorts
from domain.training_job import TrainingJob

__all__ = ["TrainCommand", "TrainModel", "TrainingPorts"]


class TrainModel:
    def __init__(self, runner: JobRunner, pipeline: TrainingPipeline) -> None:
        self._runner = runner
        self._pipeline = pipeline

    async def execute(self, command: TrainCommand) -> TrainingJob:
        """Train and return the finished job (409 while another job runs)."""
        return await self._runner.run(command, self._pipeline.work(command))

    async def submit(self, command: TrainCommand) -> TrainingJob:
        """Start a training in the background; return the running job at once (409 as `execute`)."""
        return await self._runner.spawn(command, self._pipeline.work(command))
