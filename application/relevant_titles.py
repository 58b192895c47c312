"""Titles similar to a title, by cosine over the active model's item representations.

A title in the catalogue but unknown to the model is represented by its features; without a feature
the model knows, it gets the popular list.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.cached_ranking import Ranker, cached_top
from application.ports import NO_EVENTS, CacheKey, FeatureSource, RecommendationCache, ServiceEvents
from application.serving_state import ActiveModel, ServingState
from domain.errors import NotFoundError, UnavailableError
from domain.ids import DEFAULT_K
from domain.recommendation import ListSource, Recommendations


@dataclass(frozen=True, slots=True)
class RelevantQuery:
    title_id: int
    k: int = DEFAULT_K


class RelevantTitles:
    def __init__(
        self,
        state: ServingState,
        cache: RecommendationCache,
        features: FeatureSource | None = None,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        self._events = events
        self._state = state
        self._cache = cache
        self._features = features

    async def execute(self, query: RelevantQuery) -> Recommendations:
        found = await self._answer(query)
        self._events.list_served("relevant", found.source.value, found.cached)
        return found

    async def _answer(self, query: RelevantQuery) -> Recommendations:
        state = self._state
        if not state.catalogue_loaded:
            raise UnavailableError("the title catalogue is not loaded yet; the source may be down")
        if query.title_id not in state.catalogue.title_ids:
            raise NotFoundError(f"title {query.title_id} is not in the catalogue")
        banned = state.ineligible | {query.title_id}
        model = state.model
        if model is not None:
            found = await self._similar(model, query, banned)
            if found is not None:
                return found
        items = state.catalogue.popular.filtered(banned, query.k)
        return Recommendations(query.title_id, items, state.model_id, ListSource.POPULAR, cached=False)

    async def _similar(
        self, model: ActiveModel, query: RelevantQuery, banned: frozenset[int]
    ) -> Recommendations | None:
        """The model's list; None for a title it neither knows nor has a known feature of."""
        model_id, title_id = model.version.model_id, query.title_id
        top = await cached_top(
            self._cache,
            CacheKey("title", model_id, title_id),
            query.k,
            banned,
            ranker=lambda: self._ranker(model, title_id),
        )
        if top is None:
            return None
        items, cached = top
        return Recommendations(title_id, items, model_id, ListSource.MODEL, cached)

    async def _ranker(self, model: ActiveModel, title_id: int) -> Ranker | None:
        scorer = model.scorer
        if scorer.knows_title(title_id):
            return lambda n, out: scorer.similar_titles(title_id, n, out)
        features = await self._features.title_features(title_id) if self._features else {}
        if not features:
            return None
        return lambda n, out: scorer.similar_to_features(features, n, out | {title_id})
