"""Train now (manual and startup jobs): wait for the finished job, or start it in the background.

On the trainer the job runs here; on any other replica it goes to the registry for the trainer
(`TrainingDesk`), with the same answers (409 while another runs anywhere, 503 without a trainer)."""

from __future__ import annotations

from application.job_runner import JobRunner
from application.training_desk import TrainingDesk
from application.training_pipeline import TrainCommand, TrainingPipeline, TrainingPorts
from domain.training_job import TrainingJob

__all__ = ["TrainCommand", "TrainModel", "TrainingPorts"]


class TrainModel:
    def __init__(
        self, runner: JobRunner, pipeline: TrainingPipeline, desk: TrainingDesk | None = None
    ) -> None:
        self._runner = runner
        self._pipeline = pipeline
        self._desk = desk

    async def execute(self, command: TrainCommand) -> TrainingJob:
        """Train and return the finished job (409 while another job runs)."""
        if self._desk is not None and not self._desk.runs_here():
            return await self._desk.submit(self._runner.new_job(command), wait=True)
        return await self._runner.run(command, self._pipeline.work(command))

    async def submit(self, command: TrainCommand) -> TrainingJob:
        """Start a training in the background; return the running job at once (409 as `execute`)."""
        if self._desk is not None and not self._desk.runs_here():
            return await self._desk.submit(self._runner.new_job(command), wait=False)
        return await self._runner.spawn(command, self._pipeline.work(command))
