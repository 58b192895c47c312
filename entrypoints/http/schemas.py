"""Response bodies of the REST API (msgspec structs: fast to encode, documented in OpenAPI)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, cast

import msgspec

from application.model_views import ModelVersionView
from application.ports import HealthReport
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


ErrorCode = Literal[
    "invalid_argument", "unauthenticated", "forbidden", "not_found", "conflict", "unavailable", "internal"
]


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every error answer (CONTRACT.md 4.1): `job_id` names the running training of a 409,
    `request_id` the log lines of a 500."""

    error: ErrorCode
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


def exact_bounds(ge: int | None, le: int | None) -> dict[str, int]:
    """Integer bounds as OpenAPI attributes, written exactly: Litestar's own are floats, and
    float(2**63 - 1) is 2**63, one past the largest id."""
    return {k: v for k, v in {"minimum": ge, "maximum": le}.items() if v is not None}
