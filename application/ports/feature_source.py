"""Named features of one user or title, read from the source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

FeatureOwner = Literal["user", "title"]


@dataclass(frozen=True, slots=True)
class FeatureRows:
    """Every row of the user (or title) feature query, as read: not yet summed by name, weights
    possibly None, zero or non-finite (those rows count for nothing, as in training)."""

    owners: Sequence[int]
    features: Sequence[str | None]
    weights: Sequence[float | None]


class FeatureSource(Protocol):
    """Named features of one user or title, read from the source (cold start, fold-in of new users)."""

    async def user_features(self, user_id: int) -> Mapping[str, float]:
        """The user's named features and weights (repeated names add up); empty when none."""
        ...

    async def title_features(self, title_id: int) -> Mapping[str, float]:
        """The title's named features and weights (repeated names add up); empty when none."""
        ...

    async def all_features(self, owner: FeatureOwner) -> FeatureRows:
        """Every row of the user or title feature query, in one statement: what an in-memory copy
        is built from, so that a cache miss reads no database (REC_SEEN_FROM=memory)."""
        ...
