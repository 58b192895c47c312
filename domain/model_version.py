"""Training parameters and a trained model version (the design card's "Model")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from domain.errors import InvalidArgumentError

LOSSES = ("warp", "bpr", "logistic", "warp-kos")


def _bounded_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an integer between {low} and {high}, got {value!r}")
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be between {low} and {high}, got {value}")
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
        _bounded_int("no_components", self.no_components, 1, 1024)
        _bounded_int("epochs", self.epochs, 1, 1000)
        if self.loss not in LOSSES:
            raise InvalidArgumentError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}")
        rate = _finite("learning_rate", self.learning_rate)
        if not 0 < rate <= 1:
            raise InvalidArgumentError(f"learning_rate must be in (0, 1], got {rate}")
        for name in ("item_alpha", "user_alpha"):
            if _finite(name, getattr(self, name)) < 0:
                raise InvalidArgumentError(f"{name} must be >= 0, got {getattr(self, name)}")
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
