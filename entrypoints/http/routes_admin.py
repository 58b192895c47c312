"""Administration: training, model versions, jobs, cache."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from application.activate_model import ActivateModel
from application.cancel_job import CancelJob
from application.invalidate_cache import InvalidateCache
from application.model_views import JobQueries, ModelQueries
from application.schedule_training import ScheduleTraining
from application.train_model import TrainModel
from application.tune_model import TuneCommand, TuneModel
from domain.ids import MAX_ID
from domain.tuning import (
    DEFAULT_TIMEOUT_SECONDS,
    DEFAULT_TRIALS,
    DEFAULT_VALIDATION,
    MAX_TIMEOUT_SECONDS,
    MAX_TRIALS,
    TuneBudget,
    parse_validation,
)
from entrypoints.http.auth import admin_guard
from entrypoints.http.documented_errors import ADMIN, JSON_BODY, errors
from entrypoints.http.scheduling import SCHEDULE_DOC, When, schedule
from entrypoints.http.schemas import (
    Invalidated,
    JobAccepted,
    JobBody,
    JobList,
    ModelList,
    ModelVersionBody,
    ScheduledBody,
    exact_bounds,
)
from entrypoints.http.train_body import TrainBody, ValidationName
from entrypoints.http.train_options import TrainOptions, train_options

TRAIN_RESPONSES = (
    "200 with the finished job when wait=true; 202 with the running job when wait=false. Run by the "
    "trainer (the replica holding the trainer lease) whichever replica is asked; 409 naming the running "
    "job (job_id) when a training is running anywhere; 503 when no live trainer holds the lease"
)
TRAINED = {
    200: ResponseSpec(JobBody, description="wait=true: the finished job", generate_examples=False),
    202: ResponseSpec(JobAccepted, description="wait=false: the job, running", generate_examples=False),
}


async def _train(train: TrainModel, options: TrainOptions) -> Response[JobBody | JobAccepted]:
    command, wait = options.command()
    if wait:
        return Response(JobBody.of(await train.execute(command)), status_code=200)
    job = await train.submit(command)
    return Response(JobAccepted(job.job_id, job.status.value), status_code=202)


TUNE_DOC = (
    "202 with the running job (trigger tune): an Optuna search over the /admin/train parameters on a "
    "validation split of the training data, bounded by n_trials and timeout_seconds, then the best "
    "trial trained on all data and registered with the search history in its metrics (tune_*). "
    "validation: random (a seeded random share of each user's positives, the default) or time (each "
    "user's newest positives). "
    "Activates like a manual training (activate, default true). Another training running anywhere: "
    "409; no live trainer holding the lease: 503."
)
Trials = Annotated[
    int,
    QueryParameter(
        ge=1, le=MAX_TRIALS, description=f"default {DEFAULT_TRIALS}", schema_extra=exact_bounds(1, MAX_TRIALS)
    ),
]
Timeout = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=MAX_TIMEOUT_SECONDS,
        description=f"search time limit; default {DEFAULT_TIMEOUT_SECONDS}",
        schema_extra=exact_bounds(1, MAX_TIMEOUT_SECONDS),
    ),
]
Validation = Annotated[
    ValidationName,
    QueryParameter(
        description=f"validation split: random share, or users' newest (time); default {DEFAULT_VALIDATION}",
    ),
]


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]
    guards = [admin_guard]
    dependencies = {"options": Provide(train_options)}

    @get(
        "/train",
        summary="Train a model version",
        description=TRAIN_RESPONSES,
        responses=errors(*ADMIN, 409, 503, success=TRAINED),
    )
    async def train_get(
        self, train_model: NamedDependency[TrainModel], options: NamedDependency[TrainOptions]
    ) -> Response[JobBody | JobAccepted]:
        return await _train(train_model, options)

    @post(
        "/train",
        status_code=200,
        summary="Train a model version",
        description=TRAIN_RESPONSES,
        responses=errors(*ADMIN, *JSON_BODY, 409, 503, success=TRAINED),
    )
    async def train_post(
        self,
        train_model: NamedDependency[TrainModel],
        options: NamedDependency[TrainOptions],
        data: JSONBody[TrainBody | None] = None,
    ) -> Response[JobBody | JobAccepted]:
        return await _train(train_model, options.merged_with(data))

    @get(
        "/schedule-training",
        status_code=201,
        summary="Schedule a training",
        description=SCHEDULE_DOC,
        responses=errors(*ADMIN, 503),
    )
    async def schedule_get(
        self,
        schedule_training: NamedDependency[ScheduleTraining],
        options: NamedDependency[TrainOptions],
        zone: NamedDependency[tzinfo],
        scheduled_at: When,
    ) -> ScheduledBody:
        return await schedule(schedule_training, options, scheduled_at, zone)

    @post(
        "/schedule-training",
        status_code=201,
        summary="Schedule a training",
        description=SCHEDULE_DOC,
        responses=errors(*ADMIN, *JSON_BODY, 503),
    )
    async def schedule_post(
        self,
        schedule_training: NamedDependency[ScheduleTraining],
        options: NamedDependency[TrainOptions],
        zone: NamedDependency[tzinfo],
        scheduled_at: When,
        data: JSONBody[TrainBody | None] = None,
    ) -> ScheduledBody:
        return await schedule(schedule_training, options.merged_with(data), scheduled_at, zone)

    @post(
        "/tune",
        status_code=202,
        summary="Tune the hyperparameters, then train the best",
        description=TUNE_DOC,
        responses=errors(*ADMIN, 409, 503),
    )
    async def tune(
        self,
        tune_model: NamedDependency[TuneModel],
        n_trials: Trials = DEFAULT_TRIALS,
        timeout_seconds: Timeout = DEFAULT_TIMEOUT_SECONDS,
        activate: Annotated[bool, QueryParameter(description="activate the best model; default true")] = True,
        validation: Validation = DEFAULT_VALIDATION.value,
    ) -> JobAccepted:
        command = TuneCommand(TuneBudget(n_trials, timeout_seconds), activate, parse_validation(validation))
        job = await tune_model.submit(command)
        return JobAccepted(job.job_id, job.status.value)

    @delete(
        "/jobs/{job_id:str}",
        status_code=200,
        summary="Cancel a scheduled or running job",
        description="404 unknown job; 409 when it has already finished",
        responses=errors(*ADMIN, 404, 409, 503),
    )
    async def cancel_job(self, cancel_job: NamedDependency[CancelJob], job_id: FromPath[str]) -> JobBody:
        return JobBody.of(await cancel_job.execute(job_id))

    @get("/models", summary="Model versions, newest first", responses=errors(*ADMIN, 503))
    async def models(self, model_queries: NamedDependency[ModelQueries]) -> ModelList:
        return ModelList([ModelVersionBody.of(view) for view in await model_queries.list()])

    @get("/models/{model_id:str}", summary="One model version", responses=errors(*ADMIN, 404, 503))
    async def model(
        self, model_queries: NamedDependency[ModelQueries], model_id: FromPath[str]
    ) -> ModelVersionBody:
        return ModelVersionBody.of(await model_queries.get(model_id))

    @post(
        "/models/{model_id:str}/activate",
        status_code=200,
        summary="Serve this version from now on",
        description="404 unknown version; 409 when it failed or its artifact is missing or corrupt",
        responses=errors(*ADMIN, 404, 409, 503),
    )
    async def activate(
        self, activate_model: NamedDependency[ActivateModel], model_id: FromPath[str]
    ) -> ModelVersionBody:
        return ModelVersionBody.of(await activate_model.execute(model_id))

    @get("/jobs", summary="Training jobs, newest first", responses=errors(*ADMIN, 503))
    async def jobs(self, job_queries: NamedDependency[JobQueries]) -> JobList:
        return JobList([JobBody.of(job) for job in await job_queries.list()])

    @get("/jobs/{job_id:str}", summary="One training job", responses=errors(*ADMIN, 404, 503))
    async def job(self, job_queries: NamedDependency[JobQueries], job_id: FromPath[str]) -> JobBody:
        return JobBody.of(await job_queries.get(job_id))

    @post(
        "/cache/invalidate",
        status_code=200,
        summary="Drop cached lists: all, or one user's",
        description="503 when Redis is configured and does not answer (nothing was dropped)",
        responses=errors(*ADMIN, 503),
    )
    async def invalidate(
        self,
        invalidate_cache: NamedDependency[InvalidateCache],
        user_id: Annotated[
            int | None,
            QueryParameter(
                ge=1, le=MAX_ID, description="one user's lists", schema_extra=exact_bounds(1, MAX_ID)
            ),
        ] = None,
    ) -> Invalidated:
        await invalidate_cache.execute(user_id)
        return Invalidated("all" if user_id is None else {"user_id": user_id})
