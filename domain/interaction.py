"""Interactions and the rule that makes one a positive."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from domain.errors import InvalidArgumentError
from domain.ids import parse_id

RATING = "rating"


@dataclass(frozen=True, slots=True)
class Interaction:
    """One event of a user on a title."""

    user_id: int
    title_id: int
    int_type: str
    raw_score: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PositiveRule:
    """Which interactions are positives and how much each one weighs."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({"rating": 1.0, "view": 0.5, "bookmark": 2.0})
    )
    rating_min_positive: float = 4.0

    def __post_init__(self) -> None:
        if not self.weights:
            raise InvalidArgumentError("at least one interaction type needs a weight")
        for name, weight in self.weights.items():
            if not name or not math.isfinite(weight) or weight <= 0:
                raise InvalidArgumentError(f"interaction type {name!r} needs a positive finite weight")
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))

    def is_positive(self, int_type: str, raw_score: float | None) -> bool:
        if int_type not in self.weights:
            return False
        if int_type == RATING:
            return raw_score is not None and raw_score >= self.rating_min_positive
        return True

    def weight(self, int_type: str, raw_score: float | None, max_rating: float) -> float:
        """Weight of one positive event; 0.0 for an event that is not a positive."""
        if not self.is_positive(int_type, raw_score):
            return 0.0
        base = self.weights[int_type]
        if int_type == RATING and raw_score is not None and max_rating > 0:
            return base * raw_score / max_rating
        return base

    def validate_event(
        self, user_id: object, title_id: object, int_type: str, raw_score: float | None
    ) -> tuple[int, int]:
        """Check a hot event as /titles/interactions accepts it; return the parsed ids."""
        uid = parse_id(user_id, "user_id")
        tid = parse_id(title_id, "title_id")
        if int_type not in self.weights:
            allowed = ", ".join(sorted(self.weights))
            raise InvalidArgumentError(f"int_type must be one of: {allowed}; got {int_type!r}")
        if int_type == RATING and (raw_score is None or not math.isfinite(raw_score)):
            raise InvalidArgumentError("a rating needs a finite raw_score")
        if raw_score is not None and not math.isfinite(raw_score):
            raise InvalidArgumentError("raw_score must be a finite number")
        return uid, tid
