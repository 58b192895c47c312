"""The ports: what the use cases need from the outside world, as `typing.Protocol`s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from domain.blacklist import BlacklistEntry
from domain.model_version import DatasetStats, ModelVersion, TrainParams
from domain.recommendation import RankedList
from domain.training_job import TrainingJob


# --- source --------------------------------------------------------------------------
class TrainingData(Protocol):
    """Everything read from the source for one training; its content is the engine's business."""

    @property
    def stats(self) -> DatasetStats: ...

    @property
    def cutoff(self) -> datetime | None:
        """Newest `created_at` among the interactions read."""
        ...


@dataclass(frozen=True, slots=True)
class Catalogue:
    """What serving needs to know about titles, refreshed at start and after trainings."""

    title_ids: frozenset[int]
    inactive: frozenset[int]
    source_blacklist: tuple[BlacklistEntry, ...]
    popular: RankedList

    @classmethod
    def empty(cls) -> Catalogue:
        return cls(frozenset(), frozenset(), (), RankedList((), ()))


class InteractionSource(Protocol):
    """The site's database, read-only."""

    async def load_training_data(self) -> TrainingData: ...

    async def load_catalogue(self) -> Catalogue: ...

    async def seen_titles(self, user_id: int) -> frozenset[int]: ...

    async def ping(self) -> None: ...


# --- engine ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ArtifactBundle:
    """A trained model as plain data: named numeric arrays plus JSON-able metadata."""

    arrays: Mapping[str, Any]
    meta: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TrainingOutcome:
    bundle: ArtifactBundle
    metrics: Mapping[str, float]
    stats: DatasetStats
    train_seconds: float
    cutoff: datetime | None = None


EpochCallback = Callable[[int, int], Awaitable[None]]
"""Called after each epoch with (epochs done, total epochs); raising stops the training."""


class Scorer(Protocol):
    """Ranks titles with one activated model; pure CPU work over precomputed vectors."""

    def knows_user(self, user_id: int) -> bool: ...

    def knows_title(self, title_id: int) -> bool: ...

    def top_for_user(self, user_id: int, n: int, exclude: Collection[int]) -> RankedList: ...

    def similar_titles(self, title_id: int, n: int, exclude: Collection[int]) -> RankedList: ...


class RecommenderEngine(Protocol):
    async def train(
        self, data: TrainingData, params: TrainParams, on_epoch: EpochCallback
    ) -> TrainingOutcome: ...

    async def build_scorer(self, bundle: ArtifactBundle) -> Scorer: ...


# --- storage ---------------------------------------------------------------------------
class ArtifactStore(Protocol):
    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        """Write atomically; return the sha256 of the stored arrays."""
        ...

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        """Raise ArtifactError when missing or when the checksum differs."""
        ...

    async def delete(self, model_id: str) -> None: ...

    async def ping(self) -> None: ...


class ModelRegistry(Protocol):
    async def add_version(self, version: ModelVersion) -> None: ...

    async def get_version(self, model_id: str) -> ModelVersion | None: ...

    async def list_versions(self) -> list[ModelVersion]: ...

    async def active_model_id(self) -> str | None: ...

    async def set_active(self, model_id: str) -> None: ...

    async def ping(self) -> None: ...


class JobStore(Protocol):
    async def save_job(self, job: TrainingJob) -> None: ...

    async def get_job(self, job_id: str) -> TrainingJob | None: ...

    async def list_jobs(self) -> list[TrainingJob]: ...


# --- cache -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CacheKey:
    kind: Literal["user", "title"]
    model_id: str
    subject_id: int


class RecommendationCache(Protocol):
    """Ranked lists per (model version, subject). Implementations never raise to callers."""

    async def get(self, key: CacheKey) -> RankedList | None: ...

    async def put(self, key: CacheKey, value: RankedList) -> None: ...

    async def invalidate_all(self) -> None: ...

    async def invalidate_user(self, user_id: int) -> None: ...

    async def ping(self) -> None: ...


# --- time and ids ----------------------------------------------------------------------
class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def new_model_id(self, now: datetime) -> str: ...

    def new_job_id(self, now: datetime) -> str: ...


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    status: Literal["ok", "down"]
    detail: str = ""


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: Literal["ok", "degraded"]
    model_id: str | None
    components: Mapping[str, ComponentHealth] = field(default_factory=dict)
