"""Titles similar to a title, by cosine over the active model's item representations."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import CacheKey, RecommendationCache
from application.recommend_for_user import CACHED_LIST_SIZE
from application.serving_state import ServingState
from domain.errors import NotFoundError, UnavailableError
from domain.ids import DEFAULT_K
from domain.recommendation import ListSource, Recommendations


@dataclass(frozen=True, slots=True)
class RelevantQuery:
    title_id: int
    k: int = DEFAULT_K


class RelevantTitles:
    def __init__(self, state: ServingState, cache: RecommendationCache) -> None:
        self._state = state
        self._cache = cache

    async def execute(self, query: RelevantQuery) -> Recommendations:
        state = self._state
        if not state.catalogue_loaded:
            raise UnavailableError("the title catalogue is not loaded yet; the source may be down")
        if query.title_id not in state.catalogue.title_ids:
            raise NotFoundError(f"title {query.title_id} is not in the catalogue")
        banned = state.ineligible | {query.title_id}
        model = state.model
        if model is None or not model.scorer.knows_title(query.title_id):
            items = state.catalogue.popular.filtered(banned, query.k)
            return Recommendations(query.title_id, items, state.model_id, ListSource.POPULAR, cached=False)
        key = CacheKey("title", model.version.model_id, query.title_id)
        ranked = await self._cache.get(key)
        cached = ranked is not None
        if ranked is None:
            ranked = model.scorer.similar_titles(query.title_id, CACHED_LIST_SIZE, ())
            await self._cache.put(key, ranked)
        items = ranked.filtered(banned, query.k)
        if len(items) < query.k and len(ranked) >= CACHED_LIST_SIZE:
            items = model.scorer.similar_titles(query.title_id, query.k, banned)
        return Recommendations(query.title_id, items, model.version.model_id, ListSource.MODEL, cached)
