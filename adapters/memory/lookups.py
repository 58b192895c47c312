"""In-memory `SourceLookup` and `HotEventHistory` over the in-memory source and hot-event store."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.memory.events import InMemoryHotEventStore
from adapters.memory.source import InMemoryInteractionSource
from application.ports import HotEventHistory, SourceLookup, TitleRecord
from domain.errors import RegistryUnavailableError
from domain.interaction import Interaction


def _newest_first(events: list[Interaction], limit: int) -> list[Interaction]:
    # among equal moments the later-added event first, as the SQL adapter orders by id
    ordered = sorted(enumerate(events), key=lambda pair: (pair[1].created_at, pair[0]), reverse=True)
    return [event for _, event in ordered[:limit]]


@dataclass
class InMemorySourceLookup(SourceLookup):
    """Titles of the fake source; names from `names` ("Title N" when absent). Zero and non-finite
    feature weights are left out, as the SQL adapter and training do."""

    source: InMemoryInteractionSource
    names: dict[int, str] = field(default_factory=dict)

    async def titles(self, title_ids: Sequence[int]) -> list[TitleRecord]:
        await self.source.ping()  # raises while the fake source is switched off
        found = sorted(set(title_ids) & set(self.source.titles))
        return [
            TitleRecord(
                t,
                self.names.get(t, f"Title {t}"),
                self.source.titles[t],
                {n: w for n, w in self.source.title_feature_map.get(t, {}).items() if math.isfinite(w) and w},
            )
            for t in found
        ]

    async def user_interactions(self, user_id: int, limit: int) -> list[Interaction]:
        await self.source.ping()
        mine = [i for i in self.source.interactions if i.user_id == user_id]
        newest = sorted(mine, key=lambda i: (i.created_at, i.title_id), reverse=True)
        return newest[:limit]


@dataclass
class InMemoryHotEventHistory(HotEventHistory):
    store: InMemoryHotEventStore

    async def events_of_user(self, user_id: int, limit: int) -> list[Interaction]:
        if not self.store.available:
            raise RegistryUnavailableError("in-memory hot event store switched off")
        return _newest_first([e for e in self.store.events if e.user_id == user_id], limit)
