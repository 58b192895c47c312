"""Training jobs: manual (blocking or not), scheduled, daily; one at a time; cancellable."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from application.job_progress import JobProgress
from application.ports import NO_EVENTS, EpochCallback, JobScheduler, ServiceEvents
from application.refresh_catalogue import RefreshCatalogue
from application.training_guard import TrainingGuard
from application.training_pipeline import PipelineResult, TrainCommand, TrainingPipeline, TrainingPorts
from domain.errors import (
    ConflictError,
    InvalidArgumentError,
    JobCancelledError,
    NotFoundError,
    RecommenderError,
)
from domain.training_job import JobStatus, JobTrigger, TrainingJob

log = logging.getLogger(__name__)

CANCEL_WAIT_SECONDS = 30.0

JobWork = Callable[[TrainingJob, JobProgress], Awaitable[PipelineResult]]
"""What a job does once it runs (a training, or a search then a training); ends in one version."""
TrainingWork = Callable[[TrainingJob, EpochCallback], Awaitable[PipelineResult]]

__all__ = ["JobProgress", "JobWork", "TrainCommand", "TrainModel", "TrainingPorts", "TrainingWork"]


class TrainModel:
    def __init__(
        self,
        ports: TrainingPorts,
        pipeline: TrainingPipeline,
        refresh: RefreshCatalogue,
        guard: TrainingGuard,
        scheduler: JobScheduler | None = None,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        self._events = events
        self._p = ports
        self._pipeline = pipeline
        self._refresh = refresh
        self._guard = guard
        self._scheduler = scheduler
        self._tasks: set[asyncio.Task[TrainingJob]] = set()

    def attach_scheduler(self, scheduler: JobScheduler) -> None:
        self._scheduler = scheduler

    # --- manual and startup jobs ---------------------------------------------------------
    async def execute(self, command: TrainCommand) -> TrainingJob:
        """Train and wait for the finished job (409 while another runs)."""
        return await self.execute_work(command, self.training(command))

    async def submit(self, command: TrainCommand) -> TrainingJob:
        """Start a training in the background; return the running job at once."""
        return await self.submit_work(command, self.training(command))

    # --- other work under the same job machinery (e.g. tuning) ----------------------------
    async def execute_work(self, command: TrainCommand, work: JobWork) -> TrainingJob:
        """Run `work` as a job described by `command` and wait for it (409 while another runs)."""
        job = self._new_job(command, JobStatus.SCHEDULED)
        self._guard.acquire(job.job_id)
        return await self._run(await self._start(job), command, work)

    async def submit_work(self, command: TrainCommand, work: JobWork) -> TrainingJob:
        """Start `work` as a job in the background; return the running job at once."""
        job = self._new_job(command, JobStatus.SCHEDULED)
        self._guard.acquire(job.job_id)
        running = await self._start(job)
        self._spawn(self._run(running, command, work))
        return running

    # --- scheduled and daily jobs -------------------------------------------------------
    async def schedule(self, command: TrainCommand, run_at: datetime) -> TrainingJob:
        if run_at <= self._p.clock.now():
            raise InvalidArgumentError(f"scheduled_at {run_at.isoformat()} is in the past")
        job = self._new_job(command, JobStatus.SCHEDULED, scheduled_at=run_at)
        await self._p.jobs.save_job(job)
        if self._scheduler is not None:
            self._scheduler.schedule(job.job_id, run_at)
        return job

    async def run_scheduled(self, job_id: str) -> TrainingJob | None:
        """Called by the scheduler at the job's time (or at start for a missed one)."""
        job = await self._p.jobs.get_job(job_id)
        if job is None or job.status is not JobStatus.SCHEDULED:
            return job
        if self._guard.running_job_id is not None:
            waiting = f"waiting: job {self._guard.running_job_id} is running"
            await self._p.jobs.save_job(job.with_note(waiting))
            log.info("scheduled_job_waiting", extra={"job_id": job_id, "running": self._guard.running_job_id})
        await self._guard.acquire_when_free(job_id)
        job = await self._p.jobs.get_job(job_id)
        if job is None or job.status is not JobStatus.SCHEDULED:  # cancelled while waiting
            self._guard.release(job_id)
            return job
        command = TrainCommand(job.params, job.trigger, job.mode, job.activate)
        return await self._run(await self._start(job), command, self.training(command))

    async def run_daily(self) -> TrainingJob | None:
        now = self._p.clock.now()
        job = self._new_job(TrainCommand(trigger=JobTrigger.DAILY, activate=None), JobStatus.SCHEDULED, now)
        await self._p.jobs.save_job(job)
        return await self.run_scheduled(job.job_id)

    # --- cancellation -------------------------------------------------------------------
    async def cancel(self, job_id: str) -> TrainingJob:
        job = await self._p.jobs.get_job(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id!r} does not exist")
        if job.status.finished:
            raise ConflictError(f"job {job_id} has already finished ({job.status}); nothing to cancel")
        if job.status is JobStatus.SCHEDULED or self._guard.running_job_id != job_id:
            cancelled = job.cancel(self._p.clock.now())
            await self._p.jobs.save_job(cancelled)
            if self._scheduler is not None:
                self._scheduler.unschedule(job_id)
            return cancelled
        self._guard.request_cancel(job_id)
        await self._guard.wait_released(CANCEL_WAIT_SECONDS)
        latest = await self._p.jobs.get_job(job_id)
        return latest or job

    async def drain(self, wait_seconds: float) -> None:
        """Wait (bounded) for background trainings, e.g. after a cancel at shutdown."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_seconds)

    # --- internals ----------------------------------------------------------------------
    def _new_job(
        self, command: TrainCommand, status: JobStatus, scheduled_at: datetime | None = None
    ) -> TrainingJob:
        now = self._p.clock.now()
        return TrainingJob(
            job_id=self._p.ids.new_job_id(now),
            trigger=command.trigger,
            params=command.params,
            created_at=now,
            status=status,
            mode=command.mode,
            activate=command.activate,
            scheduled_at=scheduled_at,
        )

    def _spawn(self, run: Coroutine[Any, Any, TrainingJob]) -> None:
        task = asyncio.create_task(run)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start(self, job: TrainingJob) -> TrainingJob:
        try:
            started = job.start(self._p.clock.now())
            await self._p.jobs.save_job(started)
        except BaseException:
            self._guard.release(job.job_id)
            raise
        return started

    def training(self, command: TrainCommand) -> TrainingWork:
        """The work of one training under `command`; a job's work may end with one (tuning does)."""

        async def train(job: TrainingJob, on_epoch: EpochCallback) -> PipelineResult:
            return await self._pipeline.run(job, command, on_epoch)

        return train

    async def _run(self, job: TrainingJob, command: TrainCommand, work: JobWork) -> TrainingJob:
        who = {"job_id": job.job_id, "trigger": str(job.trigger)}
        log.info(
            "training_started", extra={**who, "params": command.params.to_dict(), "mode": str(command.mode)}
        )
        progress = JobProgress(job, self._p.jobs, self._guard, self._events)
        self._events.training_started(job.job_id, str(job.trigger))
        started = time.monotonic()
        try:
            result = await work(job, progress)
            await self._refresh_catalogue(job.job_id)
            finished = progress.job.succeed(
                self._p.clock.now(), result.version.model_id, result.version.metrics, result.activation
            )
            log.info(
                "training_succeeded",
                extra={
                    **who,
                    "model_id": result.version.model_id,
                    "train_seconds": round(result.outcome.train_seconds, 3),
                    "metrics": dict(result.version.metrics),
                    "activation": result.activation,
                    **result.outcome.stats.to_dict(),
                },
            )
        except JobCancelledError:
            finished = progress.job.cancel(self._p.clock.now())
            log.info("training_cancelled", extra=who)
        except RecommenderError as exc:
            finished = progress.job.fail(self._p.clock.now(), str(exc))
            log.warning("training_failed", extra={**who, "error": str(exc)})
        except Exception as exc:
            finished = progress.job.fail(self._p.clock.now(), f"internal error: {type(exc).__name__}: {exc}")
            log.exception("training_crashed", extra=who)
        finally:
            self._guard.release(job.job_id)
        seconds = time.monotonic() - started
        self._events.training_finished(job.job_id, str(job.trigger), str(finished.status), seconds)
        await self._p.jobs.save_job(finished)
        return finished

    async def _refresh_catalogue(self, job_id: str) -> None:
        try:
            await self._refresh.execute()
        except RecommenderError as exc:  # the model is trained; a stale popular list is not fatal
            log.warning("catalogue_refresh_failed", extra={"job_id": job_id, "error": str(exc)})
