"""The ports: what the use cases need from the outside world, as `typing.Protocol`s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

from domain.blacklist import BlacklistEntry
from domain.interaction import Interaction
from domain.model_version import DatasetStats, ModelVersion, TrainParams
from domain.recommendation import RankedList
from domain.training_job import TrainingJob
from domain.tuning import TuneBudget, TuneOutcome, TuneProgress


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


class FeatureSource(Protocol):
    """Named features of one user or title, read from the source (cold start, fold-in of new users)."""

    async def user_features(self, user_id: int) -> Mapping[str, float]:
        """The user's named features and weights (repeated names add up); empty when none."""
        ...

    async def title_features(self, title_id: int) -> Mapping[str, float]:
        """The title's named features and weights (repeated names add up); empty when none."""
        ...


class TrainingDataMerger(Protocol):
    """Adds hot events to one read of the source, in the engine's own format."""

    def with_events(self, data: TrainingData, events: Sequence[Interaction]) -> TrainingData: ...


# --- engine ----------------------------------------------------------------------------
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


class Scorer(Protocol):
    """Ranks titles with one activated model; pure CPU work over precomputed vectors."""

    def knows_user(self, user_id: int) -> bool: ...

    def knows_title(self, title_id: int) -> bool: ...

    def top_for_user(self, user_id: int, n: int, exclude: Collection[int]) -> RankedList: ...

    def similar_titles(self, title_id: int, n: int, exclude: Collection[int]) -> RankedList: ...

    def top_for_features(self, features: Mapping[str, float], n: int, exclude: Collection[int]) -> RankedList:
        """Cold start: rank for a user known only by named features; empty when none is known."""
        ...

    def similar_to_features(
        self, features: Mapping[str, float], n: int, exclude: Collection[int]
    ) -> RankedList:
        """Titles similar to a title known only by named features; empty when none is known."""
        ...

    def fold_in_user(
        self, user_id: int, title_id: int, weight: float, features: Mapping[str, float] | None = None
    ) -> bool:
        """Move the user's in-memory representation toward `title_id` (a hot event of `weight`).

        A user unknown to the model starts from `features` (or zero) and is known from then on.
        Return False when the title is unknown to the model (nothing changes).
        """
        ...

    def add_titles(self, features: Mapping[int, Mapping[str, float]]) -> int:
        """Rank titles unknown to the model from now on, represented by their named features;
        return how many were added (known titles and titles without a known feature are skipped)."""
        ...


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


TuneCallback = Callable[[TuneProgress], Awaitable[None]]
"""Called after each epoch of each trial; raising (e.g. JobCancelledError) stops the search."""


class Tuner(Protocol):
    """Searches /admin/train parameters on a validation split of the training data (contract 6)."""

    async def tune(self, data: TrainingData, budget: TuneBudget, on_progress: TuneCallback) -> TuneOutcome:
        """Run trials within `budget`; TrainingFailedError when no trial could be validated."""
        ...


# --- storage ---------------------------------------------------------------------------
class ArtifactStore(Protocol):
    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        """Write atomically; return the sha256 of the stored arrays."""
        ...

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        """Raise ArtifactError when missing or when the checksum differs."""
        ...

    async def save_snapshot(self, model_id: str, bundle: ArtifactBundle) -> str:
        """Store the dataset a version was trained on; return its sha256."""
        ...

    async def load_snapshot(self, model_id: str, sha256: str) -> ArtifactBundle: ...

    async def delete(self, model_id: str) -> None:
        """Remove the model and its dataset snapshot."""
        ...

    async def ping(self) -> None: ...


class ModelRegistry(Protocol):
    async def add_version(self, version: ModelVersion) -> None: ...

    async def get_version(self, model_id: str) -> ModelVersion | None: ...

    async def list_versions(self) -> list[ModelVersion]: ...

    async def delete_version(self, model_id: str) -> None: ...

    async def active_model_id(self) -> str | None: ...

    async def set_active(self, model_id: str) -> None: ...

    async def ping(self) -> None: ...


class JobStore(Protocol):
    async def save_job(self, job: TrainingJob) -> None: ...

    async def get_job(self, job_id: str) -> TrainingJob | None: ...

    async def list_jobs(self) -> list[TrainingJob]: ...


class JobScheduler(Protocol):
    """Runs scheduled jobs at their time; the job store stays the truth."""

    def schedule(self, job_id: str, run_at: datetime) -> None: ...

    def unschedule(self, job_id: str) -> None: ...


class HotEventStore(Protocol):
    """Hot interactions, committed durably before they are acknowledged (contract section 6)."""

    async def add(self, event: Interaction) -> None:
        """Return once the event is committed; raise RegistryUnavailableError otherwise."""
        ...

    async def titles_of_user(self, user_id: int) -> frozenset[int]: ...

    async def events_since(self, moment: datetime | None) -> list[Interaction]:
        """Events with `created_at >= moment` (all when None), oldest first."""
        ...

    async def ping(self) -> None: ...


class AdminBlacklistStore(Protocol):
    """The admin list of blacklisted titles (the source table is read through the catalogue)."""

    async def list_entries(self) -> tuple[BlacklistEntry, ...]: ...

    async def put(self, entry: BlacklistEntry) -> None:
        """Insert or replace the entry of `entry.title_id`."""
        ...

    async def remove(self, title_id: int) -> bool:
        """Delete the entry; return whether there was one."""
        ...


# --- cache -----------------------------------------------------------------------------
class CacheKey(NamedTuple):
    """A tuple: hashed and compared in C (it is looked up several times per request)."""

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
