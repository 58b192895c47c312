"""The steps of one training: read, fit, register, decide activation, retain."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from application.activate_model import ActivateModel
from application.ports import (
    ArtifactBundle,
    ArtifactStore,
    Clock,
    EpochCallback,
    ExperimentStore,
    ForwardCheck,
    IdGenerator,
    InteractionSource,
    JobStore,
    ModelRegistry,
    RecommenderEngine,
    TrainingOutcome,
)
from application.retention import ApplyRetention
from application.serving_state import ActiveModel, ServingState
from domain.activation_policy import AutoActivate, ForwardScores, decide_activation
from domain.errors import LeaseLostError, RecommenderError, TrainingFailedError
from domain.model_version import ModelVersion, TrainParams
from domain.training_job import JobTrigger, TrainingJob, TrainMode
from domain.tuning import TuneBudget, TuneValidation

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainCommand:
    params: TrainParams = field(default_factory=TrainParams)
    trigger: JobTrigger = JobTrigger.MANUAL
    mode: TrainMode = TrainMode.FULL
    activate: bool | None = True
    """None: REC_AUTO_ACTIVATE decides (scheduled and daily jobs)."""
    extra_metrics: Mapping[str, float] = field(default_factory=dict)
    """Figures the job adds to the engine's in the version's metrics (e.g. a search's, `tune_*`)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """JSON-able notes kept in the version's `extra` (e.g. the search history under `tune`)."""
    tune_budget: TuneBudget | None = None
    """A tuning job's budget, stored with the job (the trainer may be another replica)."""
    tune_validation: TuneValidation | None = None
    """A tuning job's validation split, stored with the job likewise."""

    def new_job(self, job_id: str, now: datetime, scheduled_at: datetime | None = None) -> TrainingJob:
        """The job this command describes, not started yet."""
        return TrainingJob(
            job_id=job_id,
            trigger=self.trigger,
            params=self.params,
            created_at=now,
            mode=self.mode,
            activate=self.activate,
            scheduled_at=scheduled_at,
            tune_budget=self.tune_budget,
            tune_validation=self.tune_validation,
        )

    @classmethod
    def of(cls, job: TrainingJob) -> TrainCommand:
        """The command a stored job was created with (a scheduled job runs what was asked)."""
        return cls(
            job.params,
            job.trigger,
            job.mode,
            job.activate,
            tune_budget=job.tune_budget,
            tune_validation=job.tune_validation,
        )


@dataclass(frozen=True, slots=True)
class TrainingPorts:
    source: InteractionSource
    engine: RecommenderEngine
    artifacts: ArtifactStore
    registry: ModelRegistry
    jobs: JobStore
    clock: Clock
    ids: IdGenerator
    experiments: ExperimentStore | None = None
    """Retention keeps the versions of a running experiment's arms."""


@dataclass(frozen=True, slots=True)
class TrainingPolicy:
    auto_activate: AutoActivate = AutoActivate.IF_BETTER
    keep_models: int = 10


@dataclass(frozen=True, slots=True)
class PipelineResult:
    version: ModelVersion
    outcome: TrainingOutcome
    activation: str


TrainingWork = Callable[[TrainingJob, EpochCallback], Awaitable[PipelineResult]]
"""One training as a job's work (a `JobWork`: a job's progress is an epoch callback)."""


class TrainingPipeline:
    def __init__(
        self,
        ports: TrainingPorts,
        state: ServingState,
        activator: ActivateModel,
        policy: TrainingPolicy,
    ) -> None:
        self._p = ports
        self._state = state
        self._activator = activator
        self._policy = policy
        self._retention = ApplyRetention(
            ports.registry, ports.artifacts, policy.keep_models, ports.experiments
        )

    def work(self, command: TrainCommand) -> TrainingWork:
        """The training `command` asks for, as the work of a job (or the end of one: tuning)."""

        async def train(job: TrainingJob, on_epoch: EpochCallback) -> PipelineResult:
            return await self.run(job, command, on_epoch)

        return train

    async def run(self, job: TrainingJob, command: TrainCommand, on_epoch: EpochCallback) -> PipelineResult:
        data = await self._p.source.load_training_data()
        log.info("training_data_read", extra={"job_id": job.job_id, **data.stats.to_dict()})
        active = self._state.model
        base = await self._base_for(command, active)
        forward = await self._forward_check(command, active, base)
        outcome = await self._p.engine.train(data, command.params, on_epoch, forward, base)
        version = await self._register(job, command, outcome, active)
        decision = decide_activation(
            self._policy.auto_activate,
            explicit=command.activate,
            active_size=active.version.dataset.n_interactions if active else None,
            candidate_size=outcome.stats.n_interactions,
            forward=_scores(outcome),
        )
        if decision.activate:  # fenced like every write of the job: a stale trainer activates nothing
            await self._activator.execute(version.model_id, fence=job.runner)
        await self._retention.execute(fence=job.runner)
        return PipelineResult(version, outcome, decision.reason)

    async def _base_for(self, command: TrainCommand, active: ActiveModel | None) -> ArtifactBundle | None:
        if command.mode is not TrainMode.PARTIAL:
            return None
        if active is None:
            raise TrainingFailedError("partial retraining continues the active model, and none is active")
        return await self._p.artifacts.load(active.version.model_id, active.version.sha256)

    async def _forward_check(
        self, command: TrainCommand, active: ActiveModel | None, base: ArtifactBundle | None
    ) -> ForwardCheck | None:
        if active is None or active.version.data_cutoff is None:
            return None
        if base is not None:  # partial: the forward positives are its only clean evaluation
            return ForwardCheck(active.version.data_cutoff, base)
        if command.activate is not None or self._policy.auto_activate is not AutoActivate.IF_BETTER:
            return None
        baseline = await self._p.artifacts.load(active.version.model_id, active.version.sha256)
        return ForwardCheck(active.version.data_cutoff, baseline)

    async def _register(
        self, job: TrainingJob, command: TrainCommand, outcome: TrainingOutcome, active: ActiveModel | None
    ) -> ModelVersion:
        now = self._p.clock.now()
        model_id = self._p.ids.new_model_id(now)
        sha256 = await self._p.artifacts.save(model_id, outcome.bundle)
        extra: dict[str, object] = {**command.extra, "mode": command.mode.value, "trigger": job.trigger.value}
        if command.mode is TrainMode.PARTIAL and active is not None:
            extra["base_model_id"] = active.version.model_id
        if outcome.snapshot is not None:
            extra["snapshot_sha256"] = await self._p.artifacts.save_snapshot(model_id, outcome.snapshot)
        version = ModelVersion(
            model_id=model_id,
            created_at=now,
            params=_effective_params(command, outcome),
            metrics={**outcome.metrics, **command.extra_metrics},
            dataset=outcome.stats,
            train_seconds=outcome.train_seconds,
            sha256=sha256,
            data_cutoff=outcome.cutoff,
            job_id=job.job_id,
            extra=extra,
        )
        try:
            await self._p.registry.add_version(version, fence=job.runner)
        except LeaseLostError:
            # refused for certain (a stale term): the files would belong to no version, ever
            await self._discard(model_id)
            raise
        return version

    async def _discard(self, model_id: str) -> None:
        try:
            await self._p.artifacts.delete(model_id)
        except RecommenderError as exc:
            log.warning("refused_artifact_not_deleted", extra={"model_id": model_id, "error": str(exc)})


def _effective_params(command: TrainCommand, outcome: TrainingOutcome) -> TrainParams:
    """Partial retraining keeps the base's width, loss and normalisation: register what was used."""
    recorded = outcome.bundle.meta.get("params")
    if command.mode is TrainMode.PARTIAL and isinstance(recorded, dict):
        return TrainParams.from_dict(recorded)
    return command.params


def _scores(outcome: TrainingOutcome) -> ForwardScores | None:
    forward = outcome.forward
    if forward is None:
        return None
    return ForwardScores(forward.positives, forward.candidate_precision_at_10, forward.active_precision_at_10)
