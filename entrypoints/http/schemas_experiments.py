"""Bodies of the experiment routes (contract section 12)."""

from __future__ import annotations

from typing import Literal

import msgspec

from application.experiment_views import ArmView, ExperimentView
from entrypoints.http.schemas import iso


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
