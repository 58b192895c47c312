"""The JSON body of POST /admin/train and the training parameters' documented ranges (one definition:
the domain's `TRAIN_BOUNDS`), shared with the query-string parameters of `train_options`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from domain.model_version import TRAIN_BOUNDS

Loss = Literal["warp", "bpr", "logistic", "warp-kos"]  # domain.model_version.LOSSES (a test keeps them equal)
Mode = Literal["full", "partial"]  # domain.training_job.TrainMode
ValidationName = Literal["random", "time"]  # domain.tuning.TuneValidation, /admin/tune's `validation`


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
