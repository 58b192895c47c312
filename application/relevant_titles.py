"""Titles similar to a title, by cosine over the active model's item representations.

A title in the catalogue but unknown to the model is represented by its features; without a feature
the model knows, it gets the popular list. The feature filters apply when reading, as for personal
lists; relevant titles always come from the active version, experiment or not.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from application.cached_ranking import CachedTop, Ranker, cached_top
from application.list_tracker import ListTracker
from application.ports import NO_EVENTS, CacheKey, FeatureSource, RecommendationCache, ServiceEvents
from application.serving_state import ActiveModel, ServingState
from application.title_filters import restriction
from domain.errors import NotFoundError, UnavailableError
from domain.ids import DEFAULT_K
from domain.recommendation import ListSource, RankedList, Recommendations
from domain.title_filter import NO_FILTER, TitleFilter


@dataclass(frozen=True, slots=True)
class RelevantQuery:
    title_id: int
    k: int = DEFAULT_K
    filter: TitleFilter = NO_FILTER


class RelevantTitles:
    def __init__(
        self,
        state: ServingState,
        cache: RecommendationCache,
        features: FeatureSource | None = None,
        *,
        tracker: ListTracker,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        self._events = events
        self._state = state
        self._cache = cache
        self._features = features
        self._tracker = tracker

    async def execute(self, query: RelevantQuery) -> Recommendations:
        model = self._state.model
        items, kind, cached = await self._answer(query, model)
        model_id = model.version.model_id if model is not None else None
        recommendation_id = self._tracker.served(model_id or "")
        self._events.list_served("relevant", kind.value, cached)
        return Recommendations(query.title_id, items, model_id, kind, cached, recommendation_id)

    async def _answer(
        self, query: RelevantQuery, model: ActiveModel | None
    ) -> tuple[RankedList, ListSource, bool]:
        state = self._state
        if not state.catalogue_loaded:
            raise UnavailableError("the title catalogue is not loaded yet; the source may be down")
        if query.title_id not in state.catalogue.title_ids:
            raise NotFoundError(f"title {query.title_id} is not in the catalogue")
        banned = state.ineligible | {query.title_id}
        allowed: frozenset[int] | None = None
        if query.filter is not NO_FILTER:  # an identity test: cheaper than __bool__ on the hot path
            allowed, unwanted = restriction(query.filter, state.catalogue)
            banned = banned | unwanted
        if model is not None:
            found = await self._similar(model, query, banned, allowed)
            if found is not None:
                items, cached = found
                return items, ListSource.MODEL, cached
        return state.catalogue.popular.filtered(banned, query.k, allowed), ListSource.POPULAR, False

    async def _similar(
        self,
        model: ActiveModel,
        query: RelevantQuery,
        banned: frozenset[int],
        allowed: Collection[int] | None,
    ) -> CachedTop | None:
        """The model's list; None for a title it neither knows nor has a known feature of."""
        model_id, title_id = model.version.model_id, query.title_id
        return await cached_top(
            self._cache,
            CacheKey("title", model_id, title_id),
            query.k,
            banned,
            ranker=lambda: self._ranker(model, title_id),
            allowed=allowed,
        )

    async def _ranker(self, model: ActiveModel, title_id: int) -> Ranker | None:
        scorer = model.scorer
        if scorer.knows_title(title_id):
            return lambda n, out, only: scorer.similar_titles(title_id, n, out, only)
        features = await self._features.title_features(title_id) if self._features else {}
        if not features:
            return None
        return lambda n, out, only: scorer.similar_to_features(features, n, out | {title_id}, only)
