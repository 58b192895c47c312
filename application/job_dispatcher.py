"""The trainer's side of the job table (contract section 10): run what any replica asked for.

While this process holds the lease the runtime calls `run_forever`, which every `poll_seconds`
(or at once after `wake()`) looks at the registry: immediate jobs accepted elsewhere (train, tune)
start now, or are refused when a job runs here (their submitter answers 409); scheduled jobs whose
time has come queue behind a running one; a cancel asked on another replica stops the running job.
The registry is the queue, so a schedule stored on any replica runs on whichever replica holds the
lease at its time, once (the start is a compare-and-set).

`wake()` is called when another replica announces a submitted job or a cancel (the Redis broadcast,
`FollowReplicas.jobs_changed`), so pickup takes about a round trip; the poll (the registry's, every
REC_REGISTRY_POLL_SECONDS in the service) stays as the fallback. As the `JobScheduler` port,
`schedule` only wakes the loop (the time is in the row).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from application.job_runner import JobRunner, JobWork
from application.ports import Clock, JobScheduler, JobStore
from application.trainer_election import TrainerElection
from application.training_desk import refusal
from application.training_pipeline import TrainCommand, TrainingPipeline
from application.tune_model import TuneModel
from domain.errors import RecommenderError, TrainingAlreadyRunningError
from domain.training_job import JobStatus, JobTrigger, TrainingJob

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


class JobDispatcher(JobScheduler):
    def __init__(
        self,
        jobs: JobStore,
        clock: Clock,
        runner: JobRunner,
        pipeline: TrainingPipeline,
        tune: TuneModel,
        election: TrainerElection,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._runner = runner
        self._pipeline = pipeline
        self._tune = tune
        self._election = election
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    # --- JobScheduler: the row is the truth; a schedule only needs the loop to look -----------
    def schedule(self, job_id: str, run_at: datetime) -> None:
        self.wake()

    def unschedule(self, job_id: str) -> None:
        return None  # a cancelled row is no longer due

    def wake(self) -> None:
        """Look at the registry now (a job was submitted or a cancel asked)."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except RecommenderError as exc:
                log.warning("job_dispatch_failed", extra={"error": str(exc)})
            try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel at its timeout
                async with asyncio.timeout(self._poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    async def tick(self) -> None:
        await self._forward_cancel()
        for job in await self._jobs.due_jobs(self._clock.now()):
            if job.immediate:
                await self._start_now(job)
            else:
                self._runner.queue(job.job_id, self.work_for)

    def work_for(self, job: TrainingJob) -> JobWork:
        """What a stored job does: a tuning from its budget, any other training from its params."""
        if job.trigger is JobTrigger.TUNE:
            return self._tune.work_for(job)
        return self._pipeline.work(TrainCommand.of(job))

    async def _start_now(self, job: TrainingJob) -> None:
        try:
            started = await self._runner.start_stored(job, self.work_for(job))
        except TrainingAlreadyRunningError as busy:
            refused = job.fail(self._clock.now(), refusal(busy.job_id))
            await self._jobs.replace_job(refused, JobStatus.SCHEDULED, fence=self._election.job_fence())
            log.info("submitted_job_refused", extra={"job_id": job.job_id, "running": busy.job_id})
            return
        if started is not None:
            log.info("submitted_job_started", extra={"job_id": job.job_id, "trigger": str(job.trigger)})

    async def _forward_cancel(self) -> None:
        running = self._runner.running_job_id
        if running is not None and await self._jobs.cancel_requested(running):
            await self._runner.stop_running(running, 0.0)
