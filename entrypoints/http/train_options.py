"""The parameters of /admin/train, from the query string and (POST) a JSON body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar.params import QueryParameter

from application.train_model import TrainCommand
from domain.training_job import JobTrigger
from entrypoints.http.schemas import TrainBody
from entrypoints.train_request import train_command

Loss = Literal["warp", "bpr", "logistic", "warp-kos"]


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
    no_components: Annotated[int | None, QueryParameter(ge=1, le=1024, description="default 100")] = None,
    loss: Annotated[Loss | None, QueryParameter(description="default warp")] = None,
    epochs: Annotated[int | None, QueryParameter(ge=1, le=1000, description="default 30")] = None,
    learning_rate: Annotated[float | None, QueryParameter(gt=0, le=1, description="default 0.05")] = None,
    item_alpha: Annotated[float | None, QueryParameter(ge=0, description="default 0.0")] = None,
    user_alpha: Annotated[float | None, QueryParameter(ge=0, description="default 0.0")] = None,
    normalize_features: Annotated[
        bool | None, QueryParameter(description="row-normalise features; default false")
    ] = None,
    mode: Annotated[Literal["full", "partial"] | None, QueryParameter(description="default full")] = None,
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
