"""Titles a user touched through hot events, for the "seen" rule (README, "Hot interactions").

The store is the truth that every process reads on a cache miss; the in-process memory of this
process's recent events also filters cached lists, so a list computed by a request that raced the
event (it read "seen" before the commit and cached after the invalidation) still hides the title.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from application.ports import HotEventStore
from domain.errors import UnavailableError

log = logging.getLogger(__name__)

MAX_RECENT_USERS = 100_000


class HotSeen:
    def __init__(self, store: HotEventStore, max_users: int = MAX_RECENT_USERS) -> None:
        self._store = store
        self._max_users = max_users
        self._recent: OrderedDict[int, frozenset[int]] = OrderedDict()

    def remember(self, user_id: int, title_id: int) -> None:
        self._recent[user_id] = self._recent.get(user_id, frozenset()) | {title_id}
        self._recent.move_to_end(user_id)
        while len(self._recent) > self._max_users:
            self._recent.popitem(last=False)

    def recent(self, user_id: int) -> frozenset[int]:
        """This process's recent hot titles of the user (no I/O: cheap enough for every request)."""
        return self._recent.get(user_id, frozenset())

    async def titles_of(self, user_id: int) -> frozenset[int]:
        """Every hot title of the user in the store, plus the recent ones; the recent ones alone
        when the store cannot be read (a list without them beats no list)."""
        recent = self.recent(user_id)
        try:
            stored = await self._store.titles_of_user(user_id)
        except UnavailableError as exc:
            log.warning("hot_events_unreadable", extra={"user_id": user_id, "error": str(exc)})
            return recent
        return stored | recent
