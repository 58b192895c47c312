"""The trainer's duties in a process, taken and dropped with the lease (contract section 10).

A candidate (REC_TRAIN_CRON other than off) runs the election loop. On taking the lease it ends the
jobs the previous trainer left running, starts the daily cron and the dispatcher (jobs any replica
stored), and trains a first model when none is active. On losing it, it stops them, and the running
training stops after its epoch ("lost the trainer lease"). At shutdown the running job is drained
first, then the lease is released so another candidate takes over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog

from application.job_dispatcher import JobDispatcher
from application.job_runner import JobRunner
from application.ports import ModelRegistry
from application.recover_jobs import RecoverJobs
from application.serving_state import ServingState
from application.train_model import TrainCommand, TrainModel
from application.trainer_election import Change, TrainerElection
from domain.errors import RecommenderError
from domain.training_job import JobTrigger
from entrypoints.scheduler import DailyCron

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TrainerParts:
    election: TrainerElection
    runner: JobRunner
    recover_jobs: RecoverJobs
    cron: DailyCron
    dispatcher: JobDispatcher
    train_model: TrainModel
    registry: ModelRegistry
    state: ServingState


class TrainerRole:
    def __init__(self, parts: TrainerParts) -> None:
        self._p = parts
        self._loop: asyncio.Task[None] | None = None
        self._dispatch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self._p.election.candidate:
            log.info("training_process_off", detail="REC_TRAIN_CRON=off: not a trainer candidate")
            return
        await self._step()  # a lone candidate is the trainer before it serves
        self._loop = asyncio.create_task(self._elect())

    async def stop(self) -> None:
        """Stop the election and the duties; the caller drains the running job, then `release`."""
        await _cancel(self._loop)
        self._loop = None
        await self._drop_duties()

    async def release(self) -> None:
        await self._p.election.release()

    async def _elect(self) -> None:
        while True:
            await asyncio.sleep(self._p.election.interval())
            try:
                await self._step()
            except RecommenderError as exc:
                log.warning("trainer_step_failed", error=str(exc))

    async def _step(self) -> None:
        change = await self._p.election.step()
        if change is Change.GAINED:
            await self._take_duties()
        elif change is Change.LOST:
            await self._drop_duties()
            self._p.runner.lose_lease()

    async def _take_duties(self) -> None:
        try:
            fence = self._p.election.job_fence()
            await self._p.recover_jobs.execute(fence)
        except RecommenderError as exc:
            log.warning("trainer_recovery_failed", error=str(exc))
        self._p.cron.start()
        self._dispatch = asyncio.create_task(self._p.dispatcher.run_forever())
        await self._train_first_model()

    async def _drop_duties(self) -> None:
        self._p.cron.shutdown()
        await _cancel(self._dispatch)
        self._dispatch = None

    async def _train_first_model(self) -> None:
        try:
            if self._p.state.model is not None or await self._p.registry.active_model_id() is not None:
                return
            job = await self._p.train_model.submit(TrainCommand(trigger=JobTrigger.STARTUP))
        except RecommenderError as exc:
            log.warning("startup_training_not_started", error=str(exc))
            return
        log.info("startup_training_submitted", job_id=job.job_id)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
