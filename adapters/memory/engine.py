"""A deterministic stand-in for LightFM: popularity plus a small per-user term."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping

from adapters.memory.source import InMemoryTrainingData
from application.ports import (
    ArtifactBundle,
    EpochCallback,
    ForwardCheck,
    ForwardResult,
    RecommenderEngine,
    Scorer,
    TrainingData,
    TrainingOutcome,
)
from domain.errors import TrainingFailedError
from domain.interaction import PositiveRule
from domain.model_version import DatasetStats, TrainParams
from domain.recommendation import RankedList

FEATURE_PREFIX = "known:"
"""Feature names the fake model has embeddings for; any other name is unknown to it."""


class DictScorer(Scorer):
    def __init__(self, users: Collection[int], title_scores: dict[int, float]) -> None:
        self._users = set(users)
        self._titles = title_scores
        self._boost: defaultdict[int, dict[int, float]] = defaultdict(dict)
        self.folded: list[tuple[int, int, float, dict[str, float] | None]] = []

    def knows_user(self, user_id: int) -> bool:
        return user_id in self._users

    def knows_title(self, title_id: int) -> bool:
        return title_id in self._titles

    def _rank(
        self, scores: dict[int, float], n: int, exclude: Collection[int], only: Collection[int] | None = None
    ) -> RankedList:
        kept = (t for t in scores if t not in exclude and (only is None or t in only))
        best = sorted(kept, key=lambda t: (-scores[t], t))[:n]
        return RankedList.of(best, [scores[t] for t in best])

    def top_for_user(
        self, user_id: int, n: int, exclude: Collection[int], only: Collection[int] | None = None
    ) -> RankedList:
        boost = self._boost[user_id]
        scores = {
            t: s + ((user_id * 31 + t * 17) % 10) / 100 + boost.get(t, 0.0) for t, s in self._titles.items()
        }
        return self._rank(scores, n, exclude, only)

    def similar_titles(
        self, title_id: int, n: int, exclude: Collection[int], only: Collection[int] | None = None
    ) -> RankedList:
        scores = {t: -abs(s - self._titles[title_id]) for t, s in self._titles.items() if t != title_id}
        return self._rank(scores, n, exclude, only)

    # Cold start: titles by descending id, a ranking unlike the popular one, when a feature is known.
    def top_for_features(
        self,
        features: Mapping[str, float],
        n: int,
        exclude: Collection[int],
        only: Collection[int] | None = None,
    ) -> RankedList:
        if not any(name.startswith(FEATURE_PREFIX) for name in features):
            return RankedList((), ())
        return self._rank({t: float(t) for t in self._titles}, n, exclude, only)

    def similar_to_features(
        self,
        features: Mapping[str, float],
        n: int,
        exclude: Collection[int],
        only: Collection[int] | None = None,
    ) -> RankedList:
        return self.top_for_features(features, n, exclude, only)

    def fold_in_user(
        self, user_id: int, title_id: int, weight: float, features: Mapping[str, float] | None = None
    ) -> bool:
        """Titles with ids near the event's rise by up to `weight` (the fake's "similar titles")."""
        if title_id not in self._titles:
            return False
        self.folded.append((user_id, title_id, weight, None if features is None else dict(features)))
        self._users.add(user_id)
        boost = self._boost[user_id]
        for t in self._titles:
            boost[t] = boost.get(t, 0.0) + weight / (1 + abs(t - title_id))
        return True

    def add_titles(self, features: Mapping[int, Mapping[str, float]]) -> int:
        """Titles with a known feature join with score 0.5 (below every title with a positive)."""
        added = [
            t
            for t, named in features.items()
            if t not in self._titles and any(n.startswith(FEATURE_PREFIX) for n in named)
        ]
        for t in added:
            self._titles[t] = 0.5
        return len(added)


class FakeEngine(RecommenderEngine):
    def __init__(self, rule: PositiveRule | None = None) -> None:
        self._rule = rule or PositiveRule()
        self.trained_with: list[TrainParams] = []
        self.calls: list[dict[str, object]] = []
        self.forward_scores = (0.2, 0.1)  # (candidate, active) precision@10 a forward check reports

    async def train(
        self,
        data: TrainingData,
        params: TrainParams,
        on_epoch: EpochCallback,
        forward: ForwardCheck | None = None,
        base: ArtifactBundle | None = None,
    ) -> TrainingOutcome:
        assert isinstance(data, InMemoryTrainingData)
        positives = [i for i in data.interactions if self._rule.is_positive(i.int_type, i.raw_score)]
        if not positives:
            raise TrainingFailedError("the source holds no positive interactions to train on")
        for epoch in range(params.epochs):
            await on_epoch(epoch + 1, params.epochs)
        self.trained_with.append(params)
        self.calls.append({"forward": forward, "base": base})
        counts = Counter(i.title_id for i in positives)
        users = sorted({i.user_id for i in positives})
        titles = {t: float(counts[t]) for t in data.titles}
        bundle = ArtifactBundle({"users": users, "titles": titles}, {"params": params.to_dict()})
        stats = DatasetStats(len(users), len(titles), len(positives))
        metrics = {"precision_at_10": 0.1, "recall_at_10": 0.2, "auc": 0.8}
        result = None
        if forward is not None:
            newer = [i for i in positives if i.created_at > forward.cutoff]
            result = ForwardResult(len(newer), len({i.user_id for i in newer}), *self.forward_scores)
        snapshot = ArtifactBundle({"positives": len(positives)}, {})
        return TrainingOutcome(bundle, metrics, stats, 0.01, data.cutoff, snapshot, result)

    async def build_scorer(self, bundle: ArtifactBundle) -> DictScorer:
        return DictScorer(bundle.arrays["users"], dict(bundle.arrays["titles"]))
