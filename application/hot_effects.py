"""What a hot event changes in a process's memory: the user's seen titles and their representation.

The same for an event this process accepted and for one another replica announced, so that every
replica's copy of the user moves the same way (fold-in is deterministic for a given start).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from application.hot_seen import HotSeen
from application.ports import FeatureSource, SeenIndex
from application.serving_state import ServingState
from domain.errors import RecommenderError
from domain.interaction import Interaction, PositiveRule

log = logging.getLogger(__name__)

RATING_SCALE_MAX = 5.0
"""A rating's weight is its type weight times raw_score / max rating; serving assumes a 1-5 scale
(or the score itself when larger) since the source's maximum is only known at training."""


class HotEventEffects:
    def __init__(
        self,
        rule: PositiveRule,
        seen: HotSeen,
        state: ServingState,
        features: FeatureSource,
        seen_index: SeenIndex | None = None,
    ) -> None:
        self._rule = rule
        self._seen = seen
        self._state = state
        self._features = features
        self._index = seen_index

    def mark_seen(self, user_id: int, title_id: int) -> None:
        """The title leaves the user's lists in this process from now on (no I/O)."""
        self._seen.remember(user_id, title_id)
        if self._index is not None:
            self._index.add(user_id, title_id)

    async def fold_in(self, event: Interaction) -> None:
        """Move the user's representation toward the title; a failure is logged, never raised (the
        event is stored, so it still reaches the next training)."""
        try:
            await self._fold_in(event)
        except Exception:
            log.exception("fold_in_failed", extra={"user_id": event.user_id, "title_id": event.title_id})

    async def _fold_in(self, event: Interaction) -> None:
        model, _, _ = self._state.model_for(event.user_id)  # the user's arm while an experiment runs
        if model is None:
            return
        max_rating = max(RATING_SCALE_MAX, event.raw_score or 0.0)
        weight = self._rule.weight(event.int_type, event.raw_score, max_rating)
        if weight <= 0:  # e.g. a low rating: seen, but no pull toward the title
            return
        features = None
        if not model.scorer.knows_user(event.user_id):
            features = await self._user_features(event.user_id)
        model.scorer.fold_in_user(event.user_id, event.title_id, weight, features)

    async def _user_features(self, user_id: int) -> Mapping[str, float]:
        try:
            return await self._features.user_features(user_id)
        except RecommenderError as exc:  # a new user then starts from zero
            log.warning("user_features_unreadable", extra={"user_id": user_id, "error": str(exc)})
            return {}
