"""Hot interactions: stored durably (with the list they came from, if named), seen at once, folded
into the user's representation (their experiment arm's version while an experiment runs), announced."""

from __future__ import annotations

from dataclasses import dataclass

from application.hot_effects import HotEventEffects
from application.list_tracker import ListTracker
from application.ports import (
    NO_BROADCAST,
    NO_EVENTS,
    Clock,
    HotEventStore,
    RecommendationCache,
    ReplicaBroadcast,
    ServiceEvents,
)
from domain.errors import InvalidArgumentError
from domain.interaction import Interaction, PositiveRule


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
        effects: HotEventEffects,
        cache: RecommendationCache,
        clock: Clock,
        service_events: ServiceEvents = NO_EVENTS,
        broadcast: ReplicaBroadcast = NO_BROADCAST,
        *,
        tracker: ListTracker,
    ) -> None:
        self._tracker = tracker
        self._report = service_events
        self._rule = rule
        self._events = events
        self._effects = effects
        self._cache = cache
        self._clock = clock
        self._broadcast = broadcast

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
        # durable first: nothing below may lose an acknowledged event (nor the list it names)
        await self._events.add(event, attribution)
        self._report.hot_event(accepted=True)
        self._effects.mark_seen(user_id, title_id)
        await self._effects.fold_in(event)
        # The other replicas apply it before the invalidation below reaches them (one publisher, in
        # order), so a list they compute after dropping their copy already has the event.
        await self._broadcast.hot_event(event)
        # Last, so that a list computed before the fold-in is not left in the cache.
        await self._cache.invalidate_user(user_id)
