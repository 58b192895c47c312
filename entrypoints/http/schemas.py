"""Response bodies of the REST API (msgspec structs: fast to encode, documented in OpenAPI)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

import msgspec

from application.model_views import ModelVersionView
from application.ports import HealthReport
from domain.model_version import TRAIN_BOUNDS
from domain.online import OnlineCounts
from domain.recommendation import Recommendations
from domain.training_job import TrainingJob


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


class ErrorBody(msgspec.Struct, omit_defaults=True):
    error: str
    detail: str
    job_id: str | None = None
    request_id: str | None = None


class UserRecommendations(msgspec.Struct):
    user_id: int
    item_ids: list[int]
    scores: list[float]
    model_id: str | None
    source: Literal["model", "cold_start", "popular"]
    cached: bool
    recommendation_id: str
    experiment_arm: str | None

    @classmethod
    def of(cls, recs: Recommendations) -> UserRecommendations:
        items = recs.items
        return cls(
            recs.subject_id,
            list(items.title_ids),
            list(items.scores),
            recs.model_id,
            recs.source.value,
            recs.cached,
            recs.recommendation_id,
            recs.experiment_arm,
        )


class RelevantTitlesBody(msgspec.Struct):
    title_id: int
    item_ids: list[int]
    scores: list[float]
    model_id: str | None
    cached: bool
    recommendation_id: str

    @classmethod
    def of(cls, recs: Recommendations) -> RelevantTitlesBody:
        items = recs.items
        return cls(
            recs.subject_id,
            list(items.title_ids),
            list(items.scores),
            recs.model_id,
            recs.cached,
            recs.recommendation_id,
        )


class Component(msgspec.Struct):
    status: Literal["ok", "down"]
    detail: str


class HealthBody(msgspec.Struct):
    status: Literal["ok", "degraded"]
    model_id: str | None
    components: dict[str, Component]

    @classmethod
    def of(cls, report: HealthReport) -> HealthBody:
        components = {n: Component(c.status, c.detail) for n, c in report.components.items()}
        return cls(report.status, report.model_id, components)


class LiveBody(msgspec.Struct):
    status: Literal["ok"] = "ok"


class ReadyBody(msgspec.Struct):
    ready: bool


class DatasetBody(msgspec.Struct):
    n_users: int
    n_items: int
    n_interactions: int


VersionStatus = Literal["ready", "failed"]


class OnlineBody(msgspec.Struct):
    lists: int
    clicked_lists: int
    events: int
    ctr: float

    @classmethod
    def of(cls, counts: OnlineCounts) -> OnlineBody:
        return cls(counts.lists, counts.clicked_lists, counts.events, round(counts.ctr, 6))


class ModelVersionBody(msgspec.Struct):
    model_id: str
    created_at: str
    status: VersionStatus
    is_active: bool
    params: dict[str, Any]
    metrics: dict[str, float]
    dataset: DatasetBody
    train_seconds: float
    data_cutoff: str | None
    job_id: str | None
    online: OnlineBody | None
    """Every list the version answered (GET /admin/models/{model_id}; null in the list)."""

    @classmethod
    def of(cls, view: ModelVersionView) -> ModelVersionBody:
        v = view.version
        return cls(
            v.model_id,
            iso(v.created_at) or "",
            cast(VersionStatus, v.status),
            view.is_active,
            {**v.params.to_dict(), **dict(v.extra)},
            dict(v.metrics),
            DatasetBody(**v.dataset.to_dict()),
            round(v.train_seconds, 3),
            iso(v.data_cutoff),
            v.job_id,
            None if view.online is None else OnlineBody.of(view.online),
        )


class ModelList(msgspec.Struct):
    models: list[ModelVersionBody]


class JobBody(msgspec.Struct):
    job_id: str
    status: Literal["scheduled", "running", "succeeded", "failed", "cancelled"]
    trigger: Literal["manual", "scheduled", "daily", "tune", "startup"]
    created_at: str
    scheduled_at: str | None
    started_at: str | None
    finished_at: str | None
    params: dict[str, Any]
    model_id: str | None
    metrics: dict[str, float]
    error: str | None
    progress: float
    activation: str | None
    note: str | None

    @classmethod
    def of(cls, job: TrainingJob) -> JobBody:
        params = {**job.params.to_dict(), "mode": job.mode.value, "activate": job.activate}
        return cls(
            job.job_id,
            job.status.value,
            job.trigger.value,
            iso(job.created_at) or "",
            iso(job.scheduled_at),
            iso(job.started_at),
            iso(job.finished_at),
            params,
            job.model_id,
            dict(job.metrics),
            job.error,
            round(job.progress, 4),
            job.activation,
            job.note,
        )


class JobList(msgspec.Struct):
    jobs: list[JobBody]


class JobAccepted(msgspec.Struct):
    job_id: str
    status: str


class ScheduledBody(msgspec.Struct):
    job_id: str
    scheduled_at: str
    status: str


class Invalidated(msgspec.Struct):
    invalidated: Any


Loss = Literal["warp", "bpr", "logistic", "warp-kos"]  # domain.model_version.LOSSES (a test keeps them equal)
Mode = Literal["full", "partial"]  # domain.training_job.TrainMode


def documented_bounds(name: str) -> dict[str, float]:
    """A training parameter's range as OpenAPI schema attributes. Litestar leaves a bound of 0 out of
    the schema it derives (it tests the value's truth), so the routes say them all again."""
    bound = TRAIN_BOUNDS[name]
    documented = {"minimum": bound.ge, "exclusive_minimum": bound.gt, "maximum": bound.le}
    return {key: value for key, value in documented.items() if value is not None}


def _bounded(name: str) -> msgspec.Meta:
    """The domain's range of a training parameter (`TRAIN_BOUNDS`), checked and documented."""
    bound = TRAIN_BOUNDS[name]
    extra: dict[str, Any] = {"extra": documented_bounds(name)}
    if bound.low_open:
        return msgspec.Meta(gt=bound.low, le=bound.high, extra_json_schema=extra)
    return msgspec.Meta(ge=bound.low, le=bound.high, extra_json_schema=extra)


class TrainBody(msgspec.Struct, forbid_unknown_fields=True):
    """Optional JSON body of POST /admin/train; query-string values take precedence."""

    no_components: Annotated[int, _bounded("no_components")] | None = None
    loss: Loss | None = None
    epochs: Annotated[int, _bounded("epochs")] | None = None
    learning_rate: Annotated[float, _bounded("learning_rate")] | None = None
    item_alpha: Annotated[float, _bounded("item_alpha")] | None = None
    user_alpha: Annotated[float, _bounded("user_alpha")] | None = None
    normalize_features: bool | None = None
    mode: Mode | None = None
    activate: bool | None = None
    wait: bool | None = None
