"""Personal recommendations: the model's list for users it knows, a list from the user's features for
users it does not know (cold start), else the popular list.

While an experiment runs, the user's arm (a stable hash) names the version that answers, through the
same cache keys (per version). Model and cold-start lists are cached per (model version, user) as the
best unseen titles (`application.cached_ranking`); the blacklist, inactive titles, `exclude`, the
feature filters and the titles the user saw lately (after the list may have been cached) are applied
when reading. Every answer gets its recommendation id (`application.list_tracker`).

"Seen" comes from the in-memory index when one is given and ready (REC_SEEN_FROM=memory: a miss
sends no statement), else from the source and the hot-event store on each miss.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field

from application.cached_ranking import CACHED_LIST_SIZE, Ranker, cached_top
from application.hot_seen import HotSeen
from application.list_tracker import ListTracker
from application.ports import (
    NO_EVENTS,
    CacheKey,
    FeatureSource,
    InteractionSource,
    RecommendationCache,
    SeenIndex,
    ServiceEvents,
)
from application.serving_state import ActiveModel, ServingState
from application.title_filters import restriction
from domain.ids import DEFAULT_K
from domain.recommendation import ListSource, RankedList, Recommendations
from domain.title_filter import NO_FILTER, TitleFilter

# CACHED_LIST_SIZE stays importable from here, where callers have always found it.
__all__ = ["CACHED_LIST_SIZE", "RecommendForUser", "RecommendQuery"]


@dataclass(frozen=True, slots=True)
class RecommendQuery:
    user_id: int
    k: int = DEFAULT_K
    exclude: frozenset[int] = field(default_factory=frozenset)
    filter: TitleFilter = NO_FILTER


Found = tuple[RankedList, ListSource, bool]
"""(the titles, where they came from, whether from the cache)."""


class RecommendForUser:
    def __init__(
        self,
        state: ServingState,
        source: InteractionSource,
        cache: RecommendationCache,
        hot_seen: HotSeen | None = None,
        features: FeatureSource | None = None,
        seen_index: SeenIndex | None = None,
        *,
        tracker: ListTracker,
        events: ServiceEvents = NO_EVENTS,
    ) -> None:
        self._events = events
        self._state = state
        self._source = source
        self._cache = cache
        self._tracker = tracker
        self._hot = hot_seen
        self._features = features  # without it, no cold start: unknown users get the popular list
        self._index = seen_index

    async def execute(self, query: RecommendQuery) -> Recommendations:
        running = self._state.experiment
        if running is None:  # the usual case, in attribute reads alone
            model = self._state.model
            items, kind, cached = await self._answer(query, model)
            model_id = model.version.model_id if model is not None else None
            recommendation_id = self._tracker.served(model_id or "")
            arm_name = None
        else:
            arm = running.arm_for(query.user_id)
            items, kind, cached = await self._answer(query, arm.model)
            model_id, arm_name = arm.model.version.model_id, arm.arm.name
            recommendation_id = self._tracker.served(model_id, running.experiment.experiment_id, arm_name)
        self._events.list_served("user", kind.value, cached)
        return Recommendations(query.user_id, items, model_id, kind, cached, recommendation_id, arm_name)

    async def _answer(self, query: RecommendQuery, model: ActiveModel | None) -> Found:
        recent = self._recent(query.user_id)
        banned = self._state.ineligible
        allowed: frozenset[int] | None = None
        if query.filter is not NO_FILTER:  # an identity test: cheaper than __bool__ on the hot path
            allowed, unwanted = restriction(query.filter, self._state.catalogue)
            banned = banned | unwanted
        if query.exclude or recent:  # a union copies the whole ineligible set: only when needed
            banned = banned | query.exclude | recent
        if model is not None:
            known = model.scorer.knows_user(query.user_id)
            kind = ListSource.MODEL if known else ListSource.COLD_START
            found = await self._ranked(model, query, banned, kind, allowed)
            if found is not None:
                return found
        seen = await self._seen(query.user_id)
        items = self._state.catalogue.popular.filtered(banned | seen, query.k, allowed)
        return items, ListSource.POPULAR, False

    async def _ranked(
        self,
        model: ActiveModel,
        query: RecommendQuery,
        banned: frozenset[int],
        kind: ListSource,
        allowed: Collection[int] | None,
    ) -> Found | None:
        """The model's (or the cold-start) list; None for an unknown user without a known feature."""
        model_id, user_id = model.version.model_id, query.user_id
        top = await cached_top(
            self._cache,
            CacheKey("user", model_id, user_id),
            query.k,
            banned,
            ranker=lambda: self._ranker(model, user_id, kind),
            left_out=lambda: self._seen(user_id),
            # An empty model list is an answer; an empty cold-start one means no feature is known.
            keep_empty=kind is ListSource.MODEL,
            allowed=allowed,
        )
        if top is None:
            return None
        items, cached = top
        return items, kind, cached

    async def _ranker(self, model: ActiveModel, user_id: int, kind: ListSource) -> Ranker | None:
        scorer = model.scorer
        if kind is ListSource.MODEL:
            return lambda n, out, only: scorer.top_for_user(user_id, n, out, only)
        features = await self._features.user_features(user_id) if self._features else {}
        if not features:
            return None
        return lambda n, out, only: scorer.top_for_features(features, n, out, only)

    def _recent(self, user_id: int) -> frozenset[int]:
        if self._index is not None:
            return self._index.recent(user_id)  # hot events included: they enter the index at once
        return self._hot.recent(user_id) if self._hot else frozenset()

    async def _seen(self, user_id: int) -> frozenset[int]:
        """Source interactions of any type, plus hot events: from the index, or (without one, or
        until its first full read) from the source and the hot-event store."""
        if self._index is not None and self._index.ready:
            return self._index.seen(user_id)
        if self._hot is None:
            return await self._source.seen_titles(user_id)
        # Two databases (source, registry): ask both at once, a miss waits for the slower only.
        seen, hot = await asyncio.gather(self._source.seen_titles(user_id), self._hot.titles_of(user_id))
        return seen | hot
