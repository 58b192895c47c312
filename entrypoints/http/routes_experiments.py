"""`/admin/experiments`: A/B experiments between model versions (contract section 12)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.experiment_views import ArmView, ExperimentQueries, ExperimentView
from application.experiments import Experiments
from domain.experiment import Arm
from domain.online import OnlineCounts
from entrypoints.http.auth import admin_guard
from entrypoints.http.schemas_experiments import (
    ExperimentBody,
    ExperimentList,
    StartExperimentBody,
    StopExperimentBody,
    error_responses,
)

START_DOC = (
    "201 with the running experiment. While it runs each user is assigned to an arm by a stable hash "
    "of (experiment_id, user_id) against the cumulative shares; their personal lists come from the "
    "arm's version and name the arm in experiment_arm. Every arm's version is loaded and verified first."
)
STOP_DOC = (
    "200 with the stopped experiment. With promote, that arm's version is activated first (as "
    "/admin/models/{model_id}/activate would) and becomes the winner; a version that cannot be "
    "activated leaves the experiment running (409)."
)


class ExperimentController(Controller):
    path = "/admin/experiments"
    tags = ["experiments"]
    guards = [admin_guard]

    @post(
        "/",
        status_code=201,
        summary="Start an experiment between model versions",
        description=START_DOC,
        responses=error_responses(
            e404="an arm names an unknown model version",
            e409="an experiment is running, or an arm's version is not ready or fails its checksum",
        ),
    )
    async def start(
        self, experiments: NamedDependency[Experiments], data: JSONBody[StartExperimentBody]
    ) -> ExperimentBody:
        arms = [Arm(arm.name, arm.model_id, arm.share) for arm in data.arms]
        started = await experiments.start(data.name, arms)
        return ExperimentBody.of(
            ExperimentView(started, tuple(ArmView(a, OnlineCounts()) for a in started.arms))
        )

    @get(
        "/", summary="Experiments, newest first, with each arm's online figures", responses=error_responses()
    )
    async def list_experiments(
        self, experiment_queries: NamedDependency[ExperimentQueries]
    ) -> ExperimentList:
        return ExperimentList([ExperimentBody.of(view) for view in await experiment_queries.list()])

    @get(
        "/{experiment_id:str}",
        summary="One experiment with each arm's lists, clicked lists, events and CTR (95 % Wilson interval)",
        responses=error_responses(e404="no experiment has this id"),
    )
    async def experiment(
        self, experiment_queries: NamedDependency[ExperimentQueries], experiment_id: FromPath[str]
    ) -> ExperimentBody:
        return ExperimentBody.of(await experiment_queries.get(experiment_id))

    @post(
        "/{experiment_id:str}/stop",
        status_code=200,
        summary="Stop an experiment, optionally promoting an arm",
        description=STOP_DOC,
        responses=error_responses(
            e404="no experiment has this id, or the promoted arm's version no longer exists",
            e409="the experiment is stopped already, or the promoted version cannot be activated",
        ),
    )
    async def stop(
        self,
        experiments: NamedDependency[Experiments],
        experiment_queries: NamedDependency[ExperimentQueries],
        experiment_id: FromPath[str],
        data: JSONBody[StopExperimentBody | None] = None,
    ) -> ExperimentBody:
        await experiments.stop(experiment_id, data.promote if data is not None else None)
        return ExperimentBody.of(await experiment_queries.get(experiment_id))
