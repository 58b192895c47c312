"""An in-memory source with the contract's positive/eligible/popular rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from application.ports import (
    Catalogue,
    FeatureOwner,
    FeatureRows,
    FeatureSource,
    InteractionSource,
    InteractionTail,
)
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import SourceUnavailableError
from domain.interaction import Interaction, PositiveRule
from domain.model_version import DatasetStats
from domain.recommendation import RankedList

MIN_WINDOW_TITLES = 200


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class InMemoryTrainingData:
    interactions: tuple[Interaction, ...]
    titles: tuple[int, ...]

    @property
    def stats(self) -> DatasetStats:
        users = {i.user_id for i in self.interactions}
        return DatasetStats(len(users), len(self.titles), len(self.interactions))

    @property
    def cutoff(self) -> datetime | None:
        return max((i.created_at for i in self.interactions), default=None)


@dataclass(frozen=True, slots=True)
class InMemoryPairs:
    user_ids: tuple[int, ...]
    title_ids: tuple[int, ...]
    created_us: tuple[int, ...]
    newest: datetime | None


@dataclass
class InMemoryInteractionSource(InteractionSource, InteractionTail, FeatureSource):
    rule: PositiveRule = field(default_factory=PositiveRule)
    titles: dict[int, bool] = field(default_factory=dict)  # id -> is_active
    interactions: list[Interaction] = field(default_factory=list)
    blacklist: dict[int, str | None] = field(default_factory=dict)
    available: bool = True
    user_feature_map: dict[int, dict[str, float]] = field(default_factory=dict)
    title_feature_map: dict[int, dict[str, float]] = field(default_factory=dict)
    popular_window_days: int = 30
    now: Callable[[], datetime] = field(default_factory=lambda: _utc_now)

    def add(
        self,
        user_id: int,
        title_id: int,
        int_type: str = "view",
        raw_score: float | None = None,
        created_at: datetime | None = None,
    ) -> None:
        self.titles.setdefault(title_id, True)
        stamp = created_at or datetime(2026, 1, 1, tzinfo=UTC)
        self.interactions.append(Interaction(user_id, title_id, int_type, raw_score, stamp))

    def _check(self) -> None:
        if not self.available:
            raise SourceUnavailableError("in-memory source switched off")

    async def load_training_data(self) -> InMemoryTrainingData:
        self._check()
        return InMemoryTrainingData(tuple(self.interactions), tuple(sorted(self.titles)))

    async def load_catalogue(self) -> Catalogue:
        self._check()
        inactive = frozenset(t for t, active in self.titles.items() if not active)
        eligible = [t for t in self.titles if t not in inactive and t not in self.blacklist]
        counts = self._positive_counts(eligible)
        ranked = sorted(eligible, key=lambda t: (-counts[t], t))
        entries = tuple(
            BlacklistEntry(t, r, BlacklistOrigin.SOURCE) for t, r in sorted(self.blacklist.items())
        )
        popular = RankedList.of(ranked, [float(counts[t]) for t in ranked])
        by_feature: dict[str, set[int]] = {}
        for title_id, named in self.title_feature_map.items():
            for name in named:
                by_feature.setdefault(name, set()).add(title_id)
        features = {name: frozenset(titles) for name, titles in by_feature.items()}
        return Catalogue(frozenset(self.titles), inactive, entries, popular, features)

    def _positive_counts(self, eligible: list[int]) -> Counter[int]:
        """Positives per title over the window, or over all time when the window holds fewer than
        MIN_WINDOW_TITLES eligible titles (as the SQL source counts them)."""
        positives = [i for i in self.interactions if self.rule.is_positive(i.int_type, i.raw_score)]
        since = self.now() - timedelta(days=self.popular_window_days)
        windowed = Counter(i.title_id for i in positives if i.created_at >= since)
        if sum(1 for t in eligible if t in windowed) >= MIN_WINDOW_TITLES:
            return windowed
        return Counter(i.title_id for i in positives)

    async def seen_titles(self, user_id: int) -> frozenset[int]:
        self._check()
        return frozenset(i.title_id for i in self.interactions if i.user_id == user_id)

    async def seen_pairs(self, since: datetime | None) -> InMemoryPairs:
        self._check()
        rows = [i for i in self.interactions if since is None or i.created_at >= since]
        newest = max((i.created_at for i in rows), default=None)
        stamps = tuple(int(i.created_at.timestamp() * 1_000_000) for i in rows)
        return InMemoryPairs(tuple(i.user_id for i in rows), tuple(i.title_id for i in rows), stamps, newest)

    async def ping(self) -> None:
        self._check()

    async def check_queries(self) -> bool:
        """No SQL to check: reachable means checked."""
        return self.available

    async def user_features(self, user_id: int) -> dict[str, float]:
        self._check()
        return dict(self.user_feature_map.get(user_id, {}))

    async def title_features(self, title_id: int) -> dict[str, float]:
        self._check()
        return dict(self.title_feature_map.get(title_id, {}))

    async def all_features(self, owner: FeatureOwner) -> FeatureRows:
        self._check()
        held = self.user_feature_map if owner == "user" else self.title_feature_map
        rows = [(o, name, w) for o, named in held.items() for name, w in named.items()]
        return FeatureRows([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    async def close(self) -> None:
        return None
