"""Immediate trainings accepted by a replica that is not the trainer (contract section 10).

The job is written to the registry (`JobStore.submit_job`: 409 while a training runs or waits
anywhere, 503 without a live trainer, in one transaction) and announced (`ReplicaBroadcast`), the
trainer's dispatcher picks it up (`job_dispatcher.py`: at once on the announcement, else within its
polling interval), and this replica follows the job's row: until
it has started (`wait=false`) or ended (`wait=true`). A job nobody picked up within the lease time
and a few seconds is withdrawn (cancelled) and answered 503. The job outlives this replica: a
client that stops waiting leaves it running on the trainer.
"""

from __future__ import annotations

import asyncio
import logging

from application.ports import NO_BROADCAST, Clock, JobStore, ReplicaBroadcast
from application.trainer_election import TrainerElection
from domain.errors import NoTrainerError, RegistryUnavailableError, TrainingAlreadyRunningError
from domain.training_job import JobStatus, TrainingJob

log = logging.getLogger(__name__)

REFUSED = "not started: training job {running} was already running"
PICKUP_POLL_SECONDS = 0.1
FINISH_POLL_SECONDS = 0.5
PICKUP_MARGIN_SECONDS = 5.0


def refusal(running: str) -> str:
    """The error of an immediate job the trainer found busy (its submitter answers 409)."""
    return REFUSED.format(running=running)


def refused_by(job: TrainingJob) -> str | None:
    """The running job that made the trainer refuse `job`, or None."""
    head, _, tail = REFUSED.partition("{running}")
    error = job.error or ""
    if job.status is JobStatus.FAILED and error.startswith(head) and error.endswith(tail):
        return error[len(head) : len(error) - len(tail)]
    return None


class TrainingDesk:
    def __init__(
        self,
        jobs: JobStore,
        clock: Clock,
        election: TrainerElection,
        lease_seconds: float,
        broadcast: ReplicaBroadcast = NO_BROADCAST,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._election = election
        self._pickup_seconds = lease_seconds + PICKUP_MARGIN_SECONDS
        self._broadcast = broadcast  # tells the trainer at once, rather than let its poll find the job

    def runs_here(self) -> bool:
        """This process is the trainer: it runs its own trainings directly."""
        return self._election.is_trainer

    async def submit(self, job: TrainingJob, wait: bool) -> TrainingJob:
        await self._jobs.submit_job(job, self._clock.now())
        log.info("training_submitted", extra={"job_id": job.job_id, "trigger": str(job.trigger)})
        await self._broadcast.jobs_changed()
        started = await self._until_picked_up(job)
        if not wait or started.status.finished:
            return started
        return await self._until_finished(job.job_id)

    async def _until_picked_up(self, job: TrainingJob) -> TrainingJob:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._pickup_seconds
        while True:
            stored = await self._read(job.job_id)
            if stored.status is not JobStatus.SCHEDULED:
                running = refused_by(stored)
                if running is not None:
                    raise TrainingAlreadyRunningError(running)
                return stored
            if loop.time() >= deadline and await self._withdraw(stored):
                raise NoTrainerError(
                    f"no trainer picked up job {job.job_id} within {self._pickup_seconds:.0f} s; "
                    "it was withdrawn (is a process with REC_TRAIN_CRON on running?)"
                )
            await asyncio.sleep(PICKUP_POLL_SECONDS)

    async def _withdraw(self, stored: TrainingJob) -> bool:
        withdrawn = stored.cancel(self._clock.now()).with_note("withdrawn: no trainer picked it up")
        return await self._jobs.replace_job(withdrawn, JobStatus.SCHEDULED)

    async def _until_finished(self, job_id: str) -> TrainingJob:
        while True:
            stored = await self._read(job_id)
            if stored.status.finished:
                return stored
            await asyncio.sleep(FINISH_POLL_SECONDS)

    async def _read(self, job_id: str) -> TrainingJob:
        stored = await self._jobs.get_job(job_id)
        if stored is None:  # only a registry emptied by hand loses a submitted job
            raise RegistryUnavailableError(f"job {job_id} disappeared from the registry")
        return stored
