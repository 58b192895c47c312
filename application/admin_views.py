"""What the operator reads about titles and users (`/admin/titles`, `/admin/users/{id}`).

Read models only: each joins the source's details with what serving knows now (the blacklist, the
active model), so the dashboard shows why a list looks the way it does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from application.ports import FeatureSource, HotEventHistory, SourceLookup, TitleRecord
from application.serving_state import ServingState
from domain.errors import InvalidArgumentError
from domain.interaction import Interaction

MAX_TITLE_IDS = 500
MAX_HISTORY = 200


@dataclass(frozen=True, slots=True)
class TitleView:
    record: TitleRecord
    blacklisted: bool
    known_to_model: bool


class EventOrigin(StrEnum):
    SOURCE = "source"
    HOT = "hot"


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    event: Interaction
    origin: EventOrigin


@dataclass(frozen=True, slots=True)
class UserView:
    user_id: int
    known_to_model: bool
    features: Mapping[str, float]
    interactions: tuple[HistoryEvent, ...]


class AdminViews:
    def __init__(
        self,
        state: ServingState,
        lookup: SourceLookup,
        hot_history: HotEventHistory,
        features: FeatureSource,
    ) -> None:
        self._state = state
        self._lookup = lookup
        self._hot = hot_history
        self._features = features

    async def titles(self, title_ids: Sequence[int]) -> list[TitleView]:
        """The catalogue's titles among `title_ids`, in the order asked (repeats once)."""
        wanted = list(dict.fromkeys(title_ids))
        if not wanted:
            raise InvalidArgumentError("ids must name at least one title id, e.g. ids=1,2,3")
        if len(wanted) > MAX_TITLE_IDS:
            raise InvalidArgumentError(f"ids names {len(wanted)} titles; at most {MAX_TITLE_IDS} at a time")
        found = {record.title_id: record for record in await self._lookup.titles(wanted)}
        banned = self._state.blacklist().title_ids()
        model = self._state.model
        return [
            TitleView(found[t], t in banned, model is not None and model.scorer.knows_title(t))
            for t in wanted
            if t in found
        ]

    async def user(self, user_id: int) -> UserView:
        """The user's newest interactions, source and hot together (at most MAX_HISTORY), newest
        first, and their source features; empty for a user nobody knows."""
        source, hot, features = await asyncio.gather(
            self._lookup.user_interactions(user_id, MAX_HISTORY),
            self._hot.events_of_user(user_id, MAX_HISTORY),
            self._features.user_features(user_id),
        )
        merged = [HistoryEvent(e, EventOrigin.SOURCE) for e in source]
        merged += [HistoryEvent(e, EventOrigin.HOT) for e in hot]
        merged.sort(key=lambda h: h.event.created_at, reverse=True)  # stable: source first on a tie
        model = self._state.model
        known = model is not None and model.scorer.knows_user(user_id)
        return UserView(user_id, known, dict(features), tuple(merged[:MAX_HISTORY]))
