"""Hot interactions: stored durably (with the list they came from, if named), seen at once, folded
into the user's representation (in their experiment arm's version while an experiment runs)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from application.hot_seen import HotSeen
from application.list_tracker import ListTracker
from application.ports import (
    NO_EVENTS,
    Clock,
    FeatureSource,
    HotEventStore,
    RecommendationCache,
    SeenIndex,
    ServiceEvents,
)
from application.serving_state import ServingState
from domain.errors import InvalidArgumentError, RecommenderError
from domain.interaction import Interaction, PositiveRule

log = logging.getLogger(__name__)

RATING_SCALE_MAX = 5.0
"""A rating's weight is its type weight times raw_score / max rating; serving assumes a 1-5 scale
(or the score itself when larger) since the source's maximum is only known at training."""


@dataclass(frozen=True, slots=True)
class InteractionCommand:
    user_id: int
    title_id: int
    int_type: str
    raw_score: float | None = None
    recommendation_id: str | None = None
    """The list the event came from; an unknown or malformed id is accepted, unattributed."""


class RecordInteraction:
    def __init__(
        self,
        rule: PositiveRule,
        events: HotEventStore,
        seen: HotSeen,
        state: ServingState,
        features: FeatureSource,
        cache: RecommendationCache,
        clock: Clock,
        seen_index: SeenIndex | None = None,
        service_events: ServiceEvents = NO_EVENTS,
        *,
        tracker: ListTracker,
    ) -> None:
        self._tracker = tracker
        self._report = service_events
        self._rule = rule
        self._events = events
        self._seen = seen
        self._state = state
        self._features = features
        self._cache = cache
        self._clock = clock
        self._index = seen_index

    async def execute(self, command: InteractionCommand) -> None:
        """Return once the event is committed; raise InvalidArgumentError or UnavailableError."""
        try:
            user_id, title_id = self._rule.validate_event(
                command.user_id, command.title_id, command.int_type, command.raw_score
            )
        except InvalidArgumentError:
            self._report.hot_event(accepted=False)
            raise
        event = Interaction(user_id, title_id, command.int_type, command.raw_score, self._clock.now())
        given = command.recommendation_id
        attribution = None if given is None else self._tracker.attribution(given)
        # durable first: nothing below may lose an acknowledged event (nor its attribution)
        await self._events.add(event, attribution)
        self._report.hot_event(accepted=True)
        self._seen.remember(user_id, title_id)
        if self._index is not None:
            self._index.add(user_id, title_id)
        try:
            await self._fold_in(event)
        except Exception:  # the event is stored; a failed fold-in only delays its effect to training
            log.exception("fold_in_failed", extra={"user_id": user_id, "title_id": title_id})
        # Last, so that a list computed before the fold-in is not left in the cache.
        await self._cache.invalidate_user(user_id)

    async def _fold_in(self, event: Interaction) -> None:
        model, _, _ = self._state.model_for(event.user_id)
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
