"""The admin blacklist: persisted in the registry, applied by ServingState, the one rule owner.

ServingState combines the source's `blacklist` table, inactive titles and this list into the set of
ineligible titles that every list is filtered with when it is read, so a change here reaches the very
next answer of every path (cached or not) without retraining or flushing.
"""

from __future__ import annotations

from application.ports import NO_BROADCAST, AdminBlacklistStore, ReplicaBroadcast
from application.serving_state import ServingState
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import InvalidArgumentError, NotFoundError
from domain.ids import parse_id

MAX_REASON_LENGTH = 255


class BlacklistAdmin:
    def __init__(
        self, store: AdminBlacklistStore, state: ServingState, broadcast: ReplicaBroadcast = NO_BROADCAST
    ) -> None:
        self._broadcast = broadcast
        self._store = store
        self._state = state
        self._writes = 0  # local changes; a reload that raced one must not undo it

    async def load(self) -> None:
        """Read the stored list into the serving state (at start, on another replica's change, and polled)."""
        writes = self._writes
        entries = await self._store.list_entries()
        if writes == self._writes:
            self._state.set_admin_blacklist(entries)

    def entries(self) -> list[BlacklistEntry]:
        """Every entry, admin and source; a title blacklisted both ways is listed once per origin."""
        both = [*self._state.admin_blacklist, *self._state.catalogue.source_blacklist]
        return sorted(both, key=lambda e: (e.title_id, e.source.value))

    async def put(self, title_id: int, reason: str | None = None) -> BlacklistEntry:
        title_id = parse_id(title_id, "title_id")
        if reason is not None and len(reason) > MAX_REASON_LENGTH:
            raise InvalidArgumentError(f"reason must be at most {MAX_REASON_LENGTH} characters")
        entry = BlacklistEntry(title_id, reason, BlacklistOrigin.ADMIN)
        await self._store.put(entry)
        kept = [e for e in self._state.admin_blacklist if e.title_id != title_id]
        self._apply((*kept, entry))
        await self._broadcast.blacklist_changed()
        return entry

    async def remove(self, title_id: int) -> None:
        title_id = parse_id(title_id, "title_id")
        if not await self._store.remove(title_id):
            raise NotFoundError(self._not_held(title_id))
        self._apply(tuple(e for e in self._state.admin_blacklist if e.title_id != title_id))
        await self._broadcast.blacklist_changed()

    def _apply(self, entries: tuple[BlacklistEntry, ...]) -> None:
        self._writes += 1
        self._state.set_admin_blacklist(tuple(sorted(entries, key=lambda e: e.title_id)))

    def _not_held(self, title_id: int) -> str:
        if any(e.title_id == title_id for e in self._state.catalogue.source_blacklist):
            return (
                f"title {title_id} is blacklisted by the source's blacklist table, not by the admin list; "
                "remove it from the source to show it again"
            )
        return f"title {title_id} is not in the admin blacklist"
