"""Bodies of the experiment routes (contract section 12) and the error answers they document."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar.openapi import ResponseSpec

from application.experiment_views import ArmView, ExperimentView
from entrypoints.http.schemas import ErrorBody, iso

ERROR_MEANINGS = {
    400: "invalid_argument: the request cannot be accepted as sent",
    401: "unauthenticated: REC_ADMIN_TOKEN is set and the bearer token is missing or wrong",
    403: "forbidden: no REC_ADMIN_TOKEN is set and the client is not on loopback",
    404: "not_found",
    409: "conflict",
    503: "unavailable: the registry cannot be used",
}


def error_responses(**meanings: str) -> dict[int, ResponseSpec]:
    """The error answers of an admin route: the common ones, plus `e404=...`, `e409=...` meanings."""
    statuses = {400: "", 401: "", 403: "", 503: "", **{int(key[1:]): text for key, text in meanings.items()}}
    return {
        status: ResponseSpec(
            ErrorBody,
            description=f"{ERROR_MEANINGS[status]}{': ' + text if text else ''}",
            generate_examples=False,
        )
        for status, text in sorted(statuses.items())
    }


class ArmRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    model_id: str
    share: float


class StartExperimentBody(msgspec.Struct, forbid_unknown_fields=True):
    """2-4 arms, shares > 0 summing to 1, names unique."""

    name: str
    arms: list[ArmRequest]


class StopExperimentBody(msgspec.Struct, forbid_unknown_fields=True):
    promote: str | None = None


class ArmBody(msgspec.Struct):
    name: str
    model_id: str
    share: float
    lists: int
    clicked_lists: int
    events: int
    ctr: float
    ctr_low: float
    ctr_high: float

    @classmethod
    def of(cls, view: ArmView) -> ArmBody:
        arm, counts = view.arm, view.counts
        low, high = counts.wilson()
        return cls(
            arm.name,
            arm.model_id,
            arm.share,
            counts.lists,
            counts.clicked_lists,
            counts.events,
            round(counts.ctr, 6),
            round(low, 6),
            round(high, 6),
        )


class ExperimentBody(msgspec.Struct):
    experiment_id: str
    name: str
    status: Literal["running", "stopped"]
    started_at: str
    stopped_at: str | None
    arms: list[ArmBody]
    winner: str | None

    @classmethod
    def of(cls, view: ExperimentView) -> ExperimentBody:
        e = view.experiment
        return cls(
            e.experiment_id,
            e.name,
            e.status.value,
            iso(e.started_at) or "",
            iso(e.stopped_at),
            [ArmBody.of(arm) for arm in view.arms],
            e.winner,
        )


class ExperimentList(msgspec.Struct):
    experiments: list[ExperimentBody]
