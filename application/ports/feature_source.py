"""Named features of one user or title, read from the source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class FeatureSource(Protocol):
    """Named features of one user or title, read from the source (cold start, fold-in of new users)."""

    async def user_features(self, user_id: int) -> Mapping[str, float]:
        """The user's named features and weights (repeated names add up); empty when none."""
        ...

    async def title_features(self, title_id: int) -> Mapping[str, float]:
        """The title's named features and weights (repeated names add up); empty when none."""
        ...
