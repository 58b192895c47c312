"""Ranks titles with one activated model."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from domain.recommendation import RankedList


class Scorer(Protocol):
    """Ranks titles with one activated model; pure CPU work over precomputed vectors.

    Every ranking leaves out `exclude` and, when `only` is given, ranks among those titles alone
    (a request-time filter held by few titles still fills its list).
    """

    def knows_user(self, user_id: int) -> bool: ...

    def knows_title(self, title_id: int) -> bool: ...

    def top_for_user(
        self, user_id: int, n: int, exclude: Collection[int], only: Collection[int] | None = None
    ) -> RankedList: ...

    def similar_titles(
        self, title_id: int, n: int, exclude: Collection[int], only: Collection[int] | None = None
    ) -> RankedList: ...

    def top_for_features(
        self,
        features: Mapping[str, float],
        n: int,
        exclude: Collection[int],
        only: Collection[int] | None = None,
    ) -> RankedList:
        """Cold start: rank for a user known only by named features; empty when none is known."""
        ...

    def similar_to_features(
        self,
        features: Mapping[str, float],
        n: int,
        exclude: Collection[int],
        only: Collection[int] | None = None,
    ) -> RankedList:
        """Titles similar to a title known only by named features; empty when none is known."""
        ...

    def fold_in_user(
        self, user_id: int, title_id: int, weight: float, features: Mapping[str, float] | None = None
    ) -> bool:
        """Move the user's in-memory representation toward `title_id` (a hot event of `weight`).

        A user unknown to the model starts from `features` (or zero) and is known from then on.
        Return False when the title is unknown to the model (nothing changes).
        """
        ...

    def add_titles(self, features: Mapping[int, Mapping[str, float]]) -> int:
        """Rank titles unknown to the model from now on, represented by their named features;
        return how many were added (known titles and titles without a known feature are skipped)."""
        ...
