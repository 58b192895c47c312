"""The site's database, read-only: training data, the catalogue, a user's seen titles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.blacklist import BlacklistEntry
from domain.model_version import DatasetStats
from domain.recommendation import RankedList


class TrainingData(Protocol):
    """Everything read from the source for one training; its content is the engine's business."""

    @property
    def stats(self) -> DatasetStats: ...

    @property
    def cutoff(self) -> datetime | None:
        """Newest `created_at` among the interactions read."""
        ...


@dataclass(frozen=True, slots=True)
class Catalogue:
    """What serving needs to know about titles, refreshed at start and after trainings."""

    title_ids: frozenset[int]
    inactive: frozenset[int]
    source_blacklist: tuple[BlacklistEntry, ...]
    popular: RankedList
    feature_titles: Mapping[str, frozenset[int]] = field(default_factory=dict)
    """Each title feature's titles (the source's `title_features`), for request-time filters."""

    @classmethod
    def empty(cls) -> Catalogue:
        return cls(frozenset(), frozenset(), (), RankedList((), ()))


class InteractionSource(Protocol):
    """The site's database, read-only."""

    async def load_training_data(self) -> TrainingData: ...

    async def load_catalogue(self) -> Catalogue: ...

    async def seen_titles(self, user_id: int) -> frozenset[int]: ...

    async def ping(self) -> None: ...

    async def check_queries(self) -> bool:
        """Check at start that the source answers in the documented shape (raises a `RecommenderError`
        naming what is wrong); False when it cannot be reached now, so nothing was checked."""
        ...
