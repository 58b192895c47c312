"""Training parameters and a trained model version (the design card's "Model")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from domain.errors import InvalidArgumentError

LOSSES = ("warp", "bpr", "logistic", "warp-kos")


@dataclass(frozen=True, slots=True)
class Bound:
    """A parameter's allowed range: [low, high], or (low, high] when `low_open`; no `high`: unbounded."""

    low: float
    high: float | None = None
    low_open: bool = False

    # `gt`/`ge`/`le`: the names schema validators use (OpenAPI, msgspec, pydantic).
    @property
    def gt(self) -> float | None:
        return self.low if self.low_open else None

    @property
    def ge(self) -> float | None:
        return None if self.low_open else self.low

    @property
    def le(self) -> float | None:
        return self.high

    def holds(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and (self.high is None or value <= self.high)

    def text(self) -> str:
        if self.high is None:
            return f">= {self.low:g}" if not self.low_open else f"> {self.low:g}"
        return f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"


TRAIN_BOUNDS: Mapping[str, Bound] = {
    "no_components": Bound(1, 1024),
    "epochs": Bound(1, 1000),
    "learning_rate": Bound(0, 1, low_open=True),
    "item_alpha": Bound(0),
    "user_alpha": Bound(0),
}
"""The numeric /admin/train parameters' ranges (contract section 4.3): the one definition both the
domain's validation and the transports' schemas are made from."""


def _bounded_int(name: str, value: object) -> int:
    bound = TRAIN_BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an integer {bound.text()}, got {value!r}")
    if not bound.holds(value):
        raise InvalidArgumentError(f"{name} must be {bound.text()}, got {value}")
    return value


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class TrainParams:
    """LightFM hyperparameters as accepted by /admin/train."""

    no_components: int = 100
    loss: str = "warp"
    epochs: int = 30
    learning_rate: float = 0.05
    item_alpha: float = 0.0
    user_alpha: float = 0.0
    normalize_features: bool = False

    def __post_init__(self) -> None:
        _bounded_int("no_components", self.no_components)
        _bounded_int("epochs", self.epochs)
        if self.loss not in LOSSES:
            raise InvalidArgumentError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}")
        for name in ("learning_rate", "item_alpha", "user_alpha"):
            value, bound = _finite(name, getattr(self, name)), TRAIN_BOUNDS[name]
            if not bound.holds(value):
                raise InvalidArgumentError(f"{name} must be {bound.text()}, got {value}")
        if not isinstance(self.normalize_features, bool):
            raise InvalidArgumentError("normalize_features must be true or false")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainParams:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class DatasetStats:
    n_users: int
    n_items: int
    n_interactions: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One trained model registered with its metrics and artifact checksum."""

    model_id: str
    created_at: datetime
    params: TrainParams
    metrics: Mapping[str, float]
    dataset: DatasetStats
    train_seconds: float
    sha256: str
    status: str = "ready"
    data_cutoff: datetime | None = None
    job_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
