"""A running job's progress, written to the job store after each step, and its cancellation check."""

from __future__ import annotations

from application.ports import NO_EVENTS, EpochCallback, JobStore, ServiceEvents
from application.training_guard import TrainingGuard
from domain.training_job import TrainingJob


class JobProgress:
    """Called after each epoch with (done, total) like any `EpochCallback`; raises JobCancelledError
    once the job was asked to stop, so that it ends after its current step. Each save is fenced by
    the job's runner: a trainer whose lease has passed on gets LeaseLostError here, and stops."""

    def __init__(
        self, job: TrainingJob, jobs: JobStore, guard: TrainingGuard, events: ServiceEvents = NO_EVENTS
    ) -> None:
        self._events = events
        self.job = job
        self._jobs = jobs
        self._guard = guard

    async def __call__(self, done: int, total: int) -> None:
        self._events.training_epoch(self.job.job_id, done, total)
        await self.report(done / total if total else 1.0)

    async def report(self, fraction: float, note: str | None = None) -> None:
        self.job = self.job.with_progress(fraction)
        if note is not None:
            self.job = self.job.with_note(note)
        await self._jobs.save_job(self.job, fence=self.job.runner)
        self.check_cancelled()

    def check_cancelled(self) -> None:
        if self._guard.cancel_requested(self.job.job_id):
            raise self._guard.stop_error(self.job.job_id)

    def between(self, start: float, end: float) -> EpochCallback:
        """An epoch callback whose steps fill the share [start, end] of the job's progress."""

        async def step(done: int, total: int) -> None:
            self._events.training_epoch(self.job.job_id, done, total)
            await self.report(start + (end - start) * (done / total if total else 1.0))

        return step
