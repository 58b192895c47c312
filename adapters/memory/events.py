"""In-memory hot event store, admin blacklist and training-data merger."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from adapters.memory.source import InMemoryTrainingData
from adapters.memory.stores import in_utc
from application.ports import (
    AdminBlacklistStore,
    AttributedCounts,
    HotEventStore,
    TrainingData,
    TrainingDataMerger,
)
from domain.blacklist import BlacklistEntry
from domain.errors import RegistryUnavailableError
from domain.interaction import Interaction
from domain.online import Attribution


class InMemoryHotEventStore(HotEventStore):
    def __init__(self) -> None:
        self.events: list[Interaction] = []
        self.attributions: list[Attribution | None] = []
        self.available = True

    def _check(self) -> None:
        if not self.available:
            raise RegistryUnavailableError("in-memory hot event store switched off")

    async def create_schema(self) -> None:
        self._check()

    async def add(self, event: Interaction, attribution: Attribution | None = None) -> None:
        self._check()
        self.events.append(dataclasses.replace(event, created_at=in_utc(event.created_at)))
        self.attributions.append(attribution)

    async def attributed(self) -> AttributedCounts:
        self._check()
        ids: dict[str, list[str]] = {}
        for found in self.attributions:
            if found is not None and found.token is not None:
                ids.setdefault(found.token, []).append(found.recommendation_id)
        return {token: (len(given), len(set(given))) for token, given in ids.items()}

    async def unattributed(self) -> int:
        self._check()
        return sum(1 for found in self.attributions if found is not None and found.token is None)

    async def titles_of_user(self, user_id: int) -> frozenset[int]:
        self._check()
        return frozenset(e.title_id for e in self.events if e.user_id == user_id)

    async def events_since(self, moment: datetime | None) -> list[Interaction]:
        self._check()
        since = None if moment is None else in_utc(moment)  # naive: UTC, as the SQL store reads it
        kept = [e for e in self.events if since is None or e.created_at >= since]
        return sorted(kept, key=lambda e: e.created_at)

    async def ping(self) -> None:
        self._check()

    async def close(self) -> None:
        return None


class InMemoryAdminBlacklist(AdminBlacklistStore):
    def __init__(self) -> None:
        self.entries: dict[int, BlacklistEntry] = {}
        self.available = True

    def _check(self) -> None:
        if not self.available:
            raise RegistryUnavailableError("in-memory admin blacklist switched off")

    async def create_schema(self) -> None:
        self._check()

    async def list_entries(self) -> tuple[BlacklistEntry, ...]:
        self._check()
        return tuple(self.entries[t] for t in sorted(self.entries))

    async def put(self, entry: BlacklistEntry) -> None:
        self._check()
        self.entries[entry.title_id] = entry

    async def remove(self, title_id: int) -> bool:
        self._check()
        return self.entries.pop(title_id, None) is not None

    async def close(self) -> None:
        return None


class InMemoryEventMerger(TrainingDataMerger):
    def with_events(self, data: TrainingData, events: Sequence[Interaction]) -> TrainingData:
        """Events on titles the source does not list are left out (they wait for the title)."""
        assert isinstance(data, InMemoryTrainingData)
        titles = set(data.titles)
        kept = tuple(e for e in events if e.title_id in titles)
        return dataclasses.replace(data, interactions=(*data.interactions, *kept))
