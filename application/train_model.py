"""Train a model version: read the source, fit and evaluate, store, register, maybe activate."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog

from application.activate_model import ActivateModel
from application.ports import (
    ArtifactStore,
    Clock,
    IdGenerator,
    InteractionSource,
    JobStore,
    ModelRegistry,
    RecommenderEngine,
    TrainingOutcome,
)
from application.refresh_catalogue import RefreshCatalogue
from application.training_guard import TrainingGuard
from domain.errors import JobCancelledError, RecommenderError
from domain.model_version import ModelVersion, TrainParams
from domain.training_job import JobTrigger, TrainingJob, TrainMode

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TrainCommand:
    params: TrainParams = field(default_factory=TrainParams)
    trigger: JobTrigger = JobTrigger.MANUAL
    mode: TrainMode = TrainMode.FULL
    activate: bool = True


@dataclass(frozen=True, slots=True)
class TrainingPorts:
    source: InteractionSource
    engine: RecommenderEngine
    artifacts: ArtifactStore
    registry: ModelRegistry
    jobs: JobStore
    clock: Clock
    ids: IdGenerator


class TrainModel:
    def __init__(
        self, ports: TrainingPorts, activator: ActivateModel, refresh: RefreshCatalogue, guard: TrainingGuard
    ) -> None:
        self._p = ports
        self._activator = activator
        self._refresh = refresh
        self._guard = guard
        self._tasks: set[asyncio.Task[TrainingJob]] = set()

    async def execute(self, command: TrainCommand) -> TrainingJob:
        """Train and wait for the finished job."""
        return await self._run(await self._start(command), command)

    async def drain(self, wait_seconds: float) -> None:
        """Wait (bounded) for background trainings, e.g. after a cancel at shutdown."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_seconds)

    async def submit(self, command: TrainCommand) -> TrainingJob:
        """Start a training in the background; return the running job at once."""
        job = await self._start(command)
        task = asyncio.create_task(self._run(job, command))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _start(self, command: TrainCommand) -> TrainingJob:
        now = self._p.clock.now()
        job = TrainingJob(
            job_id=self._p.ids.new_job_id(now),
            trigger=command.trigger,
            params=command.params,
            created_at=now,
            mode=command.mode,
            activate=command.activate,
        )
        self._guard.acquire(job.job_id)
        try:
            job = job.start(now)
            await self._p.jobs.save_job(job)
        except BaseException:
            self._guard.release(job.job_id)
            raise
        return job

    async def _run(self, job: TrainingJob, command: TrainCommand) -> TrainingJob:
        bound = log.bind(job_id=job.job_id, trigger=str(job.trigger))
        bound.info("training_started", params=command.params.to_dict(), mode=str(command.mode))
        try:
            job = await self._train(job, command)
        except JobCancelledError:
            job = job.cancel(self._p.clock.now())
            bound.info("training_cancelled")
        except RecommenderError as exc:
            job = job.fail(self._p.clock.now(), str(exc))
            bound.warning("training_failed", error=str(exc))
        except Exception as exc:
            job = job.fail(self._p.clock.now(), f"internal error: {type(exc).__name__}: {exc}")
            bound.exception("training_crashed")
        finally:
            self._guard.release(job.job_id)
        await self._p.jobs.save_job(job)
        return job

    async def _train(self, job: TrainingJob, command: TrainCommand) -> TrainingJob:
        data = await self._p.source.load_training_data()
        log.info("training_data_read", job_id=job.job_id, **data.stats.to_dict())
        progress = _ProgressReporter(job, self._p.jobs, self._guard)
        outcome = await self._p.engine.train(data, command.params, progress)
        version = await self._register(job, command, outcome)
        activation = "not activated: activate=false"
        if command.activate:
            await self._activator.execute(version.model_id)
            activation = "activated: requested by the caller"
        await self._refresh_catalogue(job.job_id)
        log.info(
            "training_succeeded",
            job_id=job.job_id,
            model_id=version.model_id,
            train_seconds=round(outcome.train_seconds, 3),
            metrics=dict(outcome.metrics),
            **outcome.stats.to_dict(),
        )
        return progress.job.succeed(self._p.clock.now(), version.model_id, outcome.metrics, activation)

    async def _register(
        self, job: TrainingJob, command: TrainCommand, outcome: TrainingOutcome
    ) -> ModelVersion:
        now = self._p.clock.now()
        model_id = self._p.ids.new_model_id(now)
        sha256 = await self._p.artifacts.save(model_id, outcome.bundle)
        version = ModelVersion(
            model_id=model_id,
            created_at=now,
            params=command.params,
            metrics=dict(outcome.metrics),
            dataset=outcome.stats,
            train_seconds=outcome.train_seconds,
            sha256=sha256,
            data_cutoff=outcome.cutoff,
            job_id=job.job_id,
            extra={"mode": str(command.mode), "trigger": str(job.trigger)},
        )
        await self._p.registry.add_version(version)
        return version

    async def _refresh_catalogue(self, job_id: str) -> None:
        try:
            await self._refresh.execute()
        except RecommenderError as exc:  # the model is trained; a stale popular list is not fatal
            log.warning("catalogue_refresh_failed", job_id=job_id, error=str(exc))


class _ProgressReporter:
    """Records progress in the job store after each epoch and stops a cancelled job."""

    def __init__(self, job: TrainingJob, jobs: JobStore, guard: TrainingGuard) -> None:
        self.job = job
        self._jobs = jobs
        self._guard = guard

    async def __call__(self, done: int, total: int) -> None:
        self.job = self.job.with_progress(done / total if total else 1.0)
        await self._jobs.save_job(self.job)
        if self._guard.cancel_requested(self.job.job_id):
            raise JobCancelledError(f"job {self.job.job_id} was cancelled")
