"""The list any registered version would give a user now (`/admin/models/{id}/recommendations`).

The same rules as the public route (model list for users the version knows, cold start from user
features, else the popular list; seen, inactive, blacklisted and excluded titles left out), but never
cached: the version asked for may not be the one serving. The active version is answered with the
serving scorer (hot events folded in), another one with a scorer built from its artifact, the last
few kept for the next look.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from application.hot_seen import HotSeen
from application.ports import (
    ArtifactStore,
    FeatureSource,
    InteractionSource,
    ModelRegistry,
    RecommenderEngine,
    Scorer,
    SeenIndex,
)
from application.recommend_for_user import RecommendQuery
from application.serving_state import ServingState
from application.title_filters import restriction
from domain.errors import ConflictError, NotFoundError
from domain.recommendation import ListSource, Recommendations
from domain.title_filter import NO_FILTER

KEPT_SCORERS = 2


class VersionRecommendations:
    def __init__(
        self,
        state: ServingState,
        registry: ModelRegistry,
        artifacts: ArtifactStore,
        engine: RecommenderEngine,
        source: InteractionSource,
        hot_seen: HotSeen,
        features: FeatureSource,
        seen_index: SeenIndex | None = None,
    ) -> None:
        self._state = state
        self._registry = registry
        self._artifacts = artifacts
        self._engine = engine
        self._source = source
        self._hot = hot_seen
        self._features = features
        self._index = seen_index
        self._scorers: OrderedDict[str, Scorer] = OrderedDict()
        self._lock = asyncio.Lock()

    async def execute(self, model_id: str, query: RecommendQuery) -> Recommendations:
        """404 for an unknown version, 409 for one that is not ready or whose artifact is missing or
        fails its checksum."""
        scorer = await self._scorer(model_id)
        user_id = query.user_id
        banned = self._state.ineligible | query.exclude | await self._seen(user_id)
        allowed: frozenset[int] | None = None
        if query.filter is not NO_FILTER:  # the feature filters, as the public route applies them
            allowed, unwanted = restriction(query.filter, self._state.catalogue)
            banned |= unwanted
        if scorer.knows_user(user_id):
            items = scorer.top_for_user(user_id, query.k, banned, allowed)
            return Recommendations(user_id, items, model_id, ListSource.MODEL, cached=False)
        features = await self._features.user_features(user_id)
        if features:
            items = scorer.top_for_features(features, query.k, banned, allowed)
            if items:
                return Recommendations(user_id, items, model_id, ListSource.COLD_START, cached=False)
        items = self._state.catalogue.popular.filtered(banned, query.k, allowed)
        return Recommendations(user_id, items, model_id, ListSource.POPULAR, cached=False)

    async def _scorer(self, model_id: str) -> Scorer:
        active = self._state.model
        if active is not None and active.version.model_id == model_id:
            return active.scorer
        version = await self._registry.get_version(model_id)
        if version is None:
            raise NotFoundError(f"model {model_id!r} does not exist")
        if version.status != "ready":
            raise ConflictError(f"model {model_id} is {version.status}: it has no list to give")
        async with self._lock:  # one build at a time: a scorer can be large
            kept = self._scorers.get(model_id)
            if kept is None:
                bundle = await self._artifacts.load(model_id, version.sha256)  # ArtifactError: 409
                kept = await self._engine.build_scorer(bundle)
                self._scorers[model_id] = kept
                while len(self._scorers) > KEPT_SCORERS:
                    self._scorers.popitem(last=False)
            self._scorers.move_to_end(model_id)
            return kept

    async def _seen(self, user_id: int) -> frozenset[int]:
        if self._index is not None and self._index.ready:
            return self._index.seen(user_id)
        seen, hot = await asyncio.gather(self._source.seen_titles(user_id), self._hot.titles_of(user_id))
        return seen | hot
