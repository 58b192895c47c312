"""A deterministic stand-in for LightFM: popularity plus a small per-user term."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from adapters.memory.source import InMemoryTrainingData
from application.ports import (
    ArtifactBundle,
    EpochCallback,
    RecommenderEngine,
    Scorer,
    TrainingData,
    TrainingOutcome,
)
from domain.errors import TrainingFailedError
from domain.interaction import PositiveRule
from domain.model_version import DatasetStats, TrainParams
from domain.recommendation import RankedList


class DictScorer(Scorer):
    def __init__(self, users: Collection[int], title_scores: dict[int, float]) -> None:
        self._users = frozenset(users)
        self._titles = title_scores

    def knows_user(self, user_id: int) -> bool:
        return user_id in self._users

    def knows_title(self, title_id: int) -> bool:
        return title_id in self._titles

    def _rank(self, scores: dict[int, float], n: int, exclude: Collection[int]) -> RankedList:
        best = sorted((t for t in scores if t not in exclude), key=lambda t: (-scores[t], t))[:n]
        return RankedList.of(best, [scores[t] for t in best])

    def top_for_user(self, user_id: int, n: int, exclude: Collection[int]) -> RankedList:
        scores = {t: s + ((user_id * 31 + t * 17) % 10) / 100 for t, s in self._titles.items()}
        return self._rank(scores, n, exclude)

    def similar_titles(self, title_id: int, n: int, exclude: Collection[int]) -> RankedList:
        scores = {t: -abs(s - self._titles[title_id]) for t, s in self._titles.items() if t != title_id}
        return self._rank(scores, n, exclude)


class FakeEngine(RecommenderEngine):
    def __init__(self, rule: PositiveRule | None = None) -> None:
        self._rule = rule or PositiveRule()
        self.trained_with: list[TrainParams] = []

    async def train(
        self, data: TrainingData, params: TrainParams, on_epoch: EpochCallback
    ) -> TrainingOutcome:
        assert isinstance(data, InMemoryTrainingData)
        positives = [i for i in data.interactions if self._rule.is_positive(i.int_type, i.raw_score)]
        if not positives:
            raise TrainingFailedError("the source holds no positive interactions to train on")
        for epoch in range(params.epochs):
            await on_epoch(epoch + 1, params.epochs)
        self.trained_with.append(params)
        counts = Counter(i.title_id for i in positives)
        users = sorted({i.user_id for i in positives})
        titles = {t: float(counts[t]) for t in data.titles}
        bundle = ArtifactBundle({"users": users, "titles": titles}, {"params": params.to_dict()})
        stats = DatasetStats(len(users), len(titles), len(positives))
        metrics = {"precision_at_10": 0.1, "recall_at_10": 0.2, "auc": 0.8}
        return TrainingOutcome(bundle, metrics, stats, train_seconds=0.01, cutoff=data.cutoff)

    async def build_scorer(self, bundle: ArtifactBundle) -> DictScorer:
        return DictScorer(bundle.arrays["users"], dict(bundle.arrays["titles"]))
