"""Ranked lists of titles as served to clients."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ListSource(StrEnum):
    MODEL = "model"
    COLD_START = "cold_start"
    POPULAR = "popular"


@dataclass(frozen=True, slots=True)
class RankedList:
    """Title ids best first with their scores (two parallel tuples: cheap to cache)."""

    title_ids: tuple[int, ...]
    scores: tuple[float, ...]

    @classmethod
    def of(cls, title_ids: Sequence[int], scores: Sequence[float]) -> RankedList:
        return cls(tuple(int(t) for t in title_ids), tuple(float(s) for s in scores))

    def __len__(self) -> int:
        return len(self.title_ids)

    def filtered(self, banned: Collection[int], k: int, allowed: Collection[int] | None = None) -> RankedList:
        """Keep the first `k` titles that are not in `banned` (and are in `allowed`, unless it is
        None), order preserved."""
        head = self.title_ids[:k]
        if allowed is None and isinstance(banned, (set, frozenset)) and banned.isdisjoint(head):
            return RankedList(head, self.scores[:k])  # the usual case, without a Python loop
        ids: list[int] = []
        scores: list[float] = []
        for title_id, score in zip(self.title_ids, self.scores, strict=True):
            if title_id in banned or (allowed is not None and title_id not in allowed):
                continue
            ids.append(title_id)
            scores.append(score)
            if len(ids) == k:
                break
        return RankedList(tuple(ids), tuple(scores))


@dataclass(frozen=True, slots=True)
class Recommendations:
    subject_id: int
    items: RankedList
    model_id: str | None
    source: ListSource
    cached: bool
    recommendation_id: str = ""
    """Opaque, unique per answer: a hot event naming it is attributed to this list (contract 12)."""
    experiment_arm: str | None = None
    """The experiment arm that answered a personal list; None outside experiments."""
