"""The parameters of /admin/train, from the query string and (POST) a JSON body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar.params import ParameterKwarg, QueryParameter

from application.train_model import TrainCommand
from domain.model_version import TRAIN_BOUNDS, TrainParams
from domain.training_job import JobTrigger
from entrypoints.http.train_body import Loss, Mode, TrainBody, documented_bounds
from entrypoints.train_request import train_command

DEFAULTS = TrainParams()


def _bounded(name: str) -> ParameterKwarg:
    """The domain's range for `name` in the schema too (one definition: `TRAIN_BOUNDS`)."""
    bound = TRAIN_BOUNDS[name]
    return QueryParameter(
        gt=bound.gt,
        ge=bound.ge,
        le=bound.le,
        description=f"default {getattr(DEFAULTS, name)}",
        schema_extra=dict(documented_bounds(name)),
    )


@dataclass(frozen=True, slots=True)
class TrainOptions:
    values: dict[str, Any]

    def merged_with(self, body: TrainBody | None) -> TrainOptions:
        if body is None:
            return self
        from_body = {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not None}
        return TrainOptions({**from_body, **self.values})

    def command(self, trigger: JobTrigger = JobTrigger.MANUAL) -> tuple[TrainCommand, bool]:
        return train_command(self.values, trigger)


async def train_options(
    no_components: Annotated[int | None, _bounded("no_components")] = None,
    loss: Annotated[Loss | None, QueryParameter(description=f"default {DEFAULTS.loss}")] = None,
    epochs: Annotated[int | None, _bounded("epochs")] = None,
    learning_rate: Annotated[float | None, _bounded("learning_rate")] = None,
    item_alpha: Annotated[float | None, _bounded("item_alpha")] = None,
    user_alpha: Annotated[float | None, _bounded("user_alpha")] = None,
    normalize_features: Annotated[
        bool | None, QueryParameter(description="row-normalise features; default false")
    ] = None,
    mode: Annotated[Mode | None, QueryParameter(description="default full")] = None,
    activate: Annotated[
        bool | None, QueryParameter(description="activate the new version; default true")
    ] = None,
    wait: Annotated[bool | None, QueryParameter(description="block until the job ends; default true")] = None,
) -> TrainOptions:
    given = {
        "no_components": no_components,
        "loss": loss,
        "epochs": epochs,
        "learning_rate": learning_rate,
        "item_alpha": item_alpha,
        "user_alpha": user_alpha,
        "normalize_features": normalize_features,
        "mode": mode,
        "activate": activate,
        "wait": wait,
    }
    return TrainOptions({k: v for k, v in given.items() if v is not None})


__all__ = ["TrainOptions", "train_options"]
