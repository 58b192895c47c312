"""Trains versions and builds scorers from their artifacts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from application.ports.interaction_source import TrainingData
from application.ports.scorer import Scorer
from domain.model_version import DatasetStats, TrainParams


@dataclass(frozen=True, slots=True)
class ArtifactBundle:
    """A trained model as plain data: named numeric arrays plus JSON-able metadata."""

    arrays: Mapping[str, Any]
    meta: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ForwardCheck:
    """Compare forward in time: positives newer than the active model's cutoff decide."""

    cutoff: datetime
    baseline: ArtifactBundle


@dataclass(frozen=True, slots=True)
class ForwardResult:
    positives: int
    users: int
    candidate_precision_at_10: float
    active_precision_at_10: float


@dataclass(frozen=True, slots=True)
class TrainingOutcome:
    bundle: ArtifactBundle
    metrics: Mapping[str, float]
    stats: DatasetStats
    train_seconds: float
    cutoff: datetime | None = None
    snapshot: ArtifactBundle | None = None
    forward: ForwardResult | None = None


EpochCallback = Callable[[int, int], Awaitable[None]]
"""Called after each epoch with (epochs done, total epochs); raising stops the training."""


class RecommenderEngine(Protocol):
    async def train(
        self,
        data: TrainingData,
        params: TrainParams,
        on_epoch: EpochCallback,
        forward: ForwardCheck | None = None,
        base: ArtifactBundle | None = None,
    ) -> TrainingOutcome:
        """Fit a version. With `base`, continue from that model (partial retraining)."""
        ...

    async def build_scorer(self, bundle: ArtifactBundle) -> Scorer: ...
