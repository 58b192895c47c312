"""The job machinery every training goes through: one at a time, progress, cancellation, background
runs and their drain at shutdown. The use cases that start trainings (train now, a scheduled or
daily job, a tuning) say *what* a job does; this says how any job runs.

Under the trainer lease (contract section 10) a job starts stamped with the term's epoch (`runner`)
and every write it makes is fenced by it; `fence` raises LeaseLostError when this process is not
the trainer, so nothing starts outside a term. A stored job is claimed (scheduled -> running) by a
compare-and-set, so that a job runs once however many processes see it due."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from application.job_progress import JobProgress
from application.ports import NO_EVENTS, Clock, IdGenerator, JobStore, ServiceEvents
from application.refresh_catalogue import RefreshCatalogue
from application.training_guard import TrainingGuard
from application.training_pipeline import PipelineResult, TrainCommand
from domain.errors import JobCancelledError, LeaseLostError, RecommenderError
from domain.trainer_lease import LOST_LEASE
from domain.training_job import JobStatus, TrainingJob

log = logging.getLogger(__name__)

JobWork = Callable[[TrainingJob, JobProgress], Awaitable[PipelineResult]]
"""What a job does once it runs (a training, or a search then a training); ends in one version."""
WorkFor = Callable[[TrainingJob], JobWork]


def _no_lease() -> int | None:
    return None


class JobRunner:
    def __init__(
        self,
        jobs: JobStore,
        clock: Clock,
        ids: IdGenerator,
        guard: TrainingGuard,
        refresh: RefreshCatalogue,
        events: ServiceEvents = NO_EVENTS,
        fence: Callable[[], int | None] = _no_lease,
    ) -> None:
        self._events = events
        self._jobs = jobs
        self._clock = clock
        self._ids = ids
        self._guard = guard
        self._refresh = refresh
        self._fence = fence
        self._tasks: set[asyncio.Task[Any]] = set()
        self._queued: set[str] = set()

    @property
    def running_job_id(self) -> str | None:
        return self._guard.running_job_id

    def new_job(self, command: TrainCommand) -> TrainingJob:
        now = self._clock.now()
        return command.new_job(self._ids.new_job_id(now), now)

    async def run(self, command: TrainCommand, work: JobWork) -> TrainingJob:
        """Run `work` as a new job and wait for its end (409 while another job runs)."""
        job = self.new_job(command)
        self._guard.acquire(job.job_id)
        return await self._run(await self._start(job), work)

    async def spawn(self, command: TrainCommand, work: JobWork) -> TrainingJob:
        """Start `work` as a new job in the background; return the running job at once (409 as `run`)."""
        job = self.new_job(command)
        self._guard.acquire(job.job_id)
        running = await self._start(job)
        self._keep(self._run(running, work))
        return running

    async def start_stored(self, job: TrainingJob, work: JobWork) -> TrainingJob | None:
        """Claim the stored immediate job and run it in the background (409 while another runs);
        None when it is no longer scheduled (withdrawn, cancelled)."""
        self._guard.acquire(job.job_id)
        running = await self._claim(job)
        if running is not None:
            self._keep(self._run(running, work))
        return running

    def queue(self, job_id: str, work_for: WorkFor) -> None:
        """Run the stored scheduled job in the background once no other job runs (`run_queued`)."""
        if job_id not in self._queued:
            self._keep(self.run_queued(job_id, work_for))

    async def run_queued(self, job_id: str, work_for: WorkFor) -> TrainingJob | None:
        """Run the stored scheduled job `job_id` once no other job runs (scheduled jobs queue, never 409).

        Returns the finished job, or the job as stored when it is no longer scheduled (None if unknown).
        A job already waiting here is not queued twice."""
        if job_id in self._queued:
            return await self._jobs.get_job(job_id)
        self._queued.add(job_id)
        try:
            return await self._queued_run(job_id, work_for)
        finally:
            self._queued.discard(job_id)

    async def _queued_run(self, job_id: str, work_for: WorkFor) -> TrainingJob | None:
        job = await self._jobs.get_job(job_id)
        if job is None or job.status is not JobStatus.SCHEDULED:
            return job
        running = self._guard.running_job_id
        if running is not None:
            waiting = job.with_note(f"waiting: job {running} is running")
            if await self._jobs.replace_job(waiting, JobStatus.SCHEDULED, fence=self._fence()):
                log.info("scheduled_job_waiting", extra={"job_id": job_id, "running": running})
        await self._guard.acquire_when_free(job_id)
        job = await self._jobs.get_job(job_id)
        if job is None or job.status is not JobStatus.SCHEDULED:  # cancelled while waiting
            self._guard.release(job_id)
            return job
        running_job = await self._claim(job.with_note(None))
        if running_job is None:
            return await self._jobs.get_job(job_id)
        return await self._run(running_job, work_for(job))

    async def stop_running(self, job_id: str, wait_seconds: float) -> bool:
        """Ask the running job `job_id` to stop after its current step; True once it has ended."""
        if not self._guard.request_cancel(job_id):
            return False
        return await self._guard.wait_released(wait_seconds)

    def lose_lease(self) -> None:
        """The trainer lost its lease: the running job stops after its epoch and fails."""
        running = self._guard.running_job_id
        if running is not None:
            self._guard.request_cancel(running, LeaseLostError())

    async def drain(self, wait_seconds: float) -> None:
        """At shutdown: stop the running job, wait (bounded) for background jobs to record their end."""
        running = self._guard.running_job_id
        if running is not None:
            self._guard.request_cancel(running)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_seconds)

    def _keep(self, run: Coroutine[Any, Any, TrainingJob | None]) -> None:
        task = asyncio.create_task(run)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start(self, job: TrainingJob) -> TrainingJob:
        try:
            started = job.start(self._clock.now(), runner=self._fence())
            await self._jobs.save_job(started, fence=started.runner)
        except BaseException:
            self._guard.release(job.job_id)
            raise
        return started

    async def _claim(self, job: TrainingJob) -> TrainingJob | None:
        """scheduled -> running in one compare-and-set (the guard is held); None if it was not scheduled
        or this process is no longer the trainer."""
        try:
            started = job.start(self._clock.now(), runner=self._fence())
        except LeaseLostError:
            self._guard.release(job.job_id)
            return None
        try:
            claimed = await self._jobs.replace_job(started, JobStatus.SCHEDULED, fence=started.runner)
        except LeaseLostError:  # the term has ended: the job stays scheduled for the next trainer
            claimed = False
        except BaseException:
            self._guard.release(job.job_id)
            raise
        if not claimed:
            self._guard.release(job.job_id)
            return None
        return started

    async def _run(self, job: TrainingJob, work: JobWork) -> TrainingJob:
        who = {"job_id": job.job_id, "trigger": str(job.trigger)}
        log.info("training_started", extra={**who, "params": job.params.to_dict(), "mode": str(job.mode)})
        progress = JobProgress(job, self._jobs, self._guard, self._events)
        self._events.training_started(job.job_id, str(job.trigger))
        started = time.monotonic()
        try:
            result = await work(job, progress)
            await self._refresh_catalogue(job.job_id)
            finished = progress.job.succeed(
                self._clock.now(), result.version.model_id, result.version.metrics, result.activation
            )
            log.info("training_succeeded", extra={**who, **_summary(result)})
        except JobCancelledError:
            finished = progress.job.cancel(self._clock.now())
            log.info("training_cancelled", extra=who)
        except LeaseLostError:
            finished = progress.job.fail(self._clock.now(), LOST_LEASE)
            log.warning("training_lost_the_lease", extra=who)
        except RecommenderError as exc:
            finished = progress.job.fail(self._clock.now(), str(exc))
            log.warning("training_failed", extra={**who, "error": str(exc)})
        except Exception as exc:
            finished = progress.job.fail(self._clock.now(), f"internal error: {type(exc).__name__}: {exc}")
            log.exception("training_crashed", extra=who)
        finally:
            self._guard.release(job.job_id)
        seconds = time.monotonic() - started
        self._events.training_finished(job.job_id, str(job.trigger), str(finished.status), seconds)
        return await self._record_end(progress.job, finished)

    async def _record_end(self, running: TrainingJob, finished: TrainingJob) -> TrainingJob:
        """The end, fenced; once the lease has passed on, only "failed: lost the trainer lease", and only
        while the row still says running (the next trainer may have marked it interrupted first)."""
        try:
            await self._jobs.save_job(finished, fence=finished.runner)
        except LeaseLostError:
            finished = running.fail(self._clock.now(), LOST_LEASE)
            await self._jobs.replace_job(finished, JobStatus.RUNNING)
            log.warning("training_end_fenced", extra={"job_id": finished.job_id})
        return finished

    async def _refresh_catalogue(self, job_id: str) -> None:
        try:
            await self._refresh.execute()
        except RecommenderError as exc:  # the model is trained; a stale popular list is not fatal
            log.warning("catalogue_refresh_failed", extra={"job_id": job_id, "error": str(exc)})


def _summary(result: PipelineResult) -> dict[str, Any]:
    return {
        "model_id": result.version.model_id,
        "train_seconds": round(result.outcome.train_seconds, 3),
        "metrics": dict(result.version.metrics),
        "activation": result.activation,
        **result.outcome.stats.to_dict(),
    }
