"""Personal recommendations: the model's list when it knows the user, else the popular list."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.ports import CacheKey, InteractionSource, RecommendationCache
from application.serving_state import ActiveModel, ServingState
from domain.ids import DEFAULT_K
from domain.recommendation import ListSource, Recommendations

CACHED_LIST_SIZE = 300
"""Each cached list holds the model's best 300 unseen titles; filters apply when reading."""


@dataclass(frozen=True, slots=True)
class RecommendQuery:
    user_id: int
    k: int = DEFAULT_K
    exclude: frozenset[int] = field(default_factory=frozenset)


class RecommendForUser:
    def __init__(self, state: ServingState, source: InteractionSource, cache: RecommendationCache) -> None:
        self._state = state
        self._source = source
        self._cache = cache

    async def execute(self, query: RecommendQuery) -> Recommendations:
        model = self._state.model
        banned = self._state.ineligible | query.exclude
        if model is not None and model.scorer.knows_user(query.user_id):
            return await self._from_model(model, query, banned)
        seen = await self._source.seen_titles(query.user_id)
        items = self._state.catalogue.popular.filtered(banned | seen, query.k)
        return Recommendations(query.user_id, items, self._state.model_id, ListSource.POPULAR, cached=False)

    async def _from_model(
        self, model: ActiveModel, query: RecommendQuery, banned: frozenset[int]
    ) -> Recommendations:
        model_id = model.version.model_id
        key = CacheKey("user", model_id, query.user_id)
        ranked = await self._cache.get(key)
        cached = ranked is not None
        seen: frozenset[int] | None = None
        if ranked is None:
            seen = await self._source.seen_titles(query.user_id)
            ranked = model.scorer.top_for_user(query.user_id, CACHED_LIST_SIZE, seen)
            await self._cache.put(key, ranked)
        items = ranked.filtered(banned, query.k)
        if len(items) < query.k and len(ranked) >= CACHED_LIST_SIZE:
            # Filters ate into the cached top list: rank again with every exclusion applied.
            seen = seen if seen is not None else await self._source.seen_titles(query.user_id)
            items = model.scorer.top_for_user(query.user_id, query.k, seen | banned)
        return Recommendations(query.user_id, items, model_id, ListSource.MODEL, cached=cached)
