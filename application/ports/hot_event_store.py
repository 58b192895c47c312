"""Hot interactions, stored durably before they are acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.interaction import Interaction
from domain.online import Attribution

AttributedCounts = dict[str, tuple[int, int]]
"""Context token -> (attributed events, distinct recommendation ids among them: clicked lists)."""


class HotEventStore(Protocol):
    """Hot interactions, committed durably before they are acknowledged."""

    async def add(self, event: Interaction, attribution: Attribution | None = None) -> None:
        """Return once the event (with the list it names, if any) is committed; raise
        RegistryUnavailableError otherwise."""
        ...

    async def attributed(self) -> AttributedCounts:
        """Events that named a list, per context token of that list (summed over replicas)."""
        ...

    async def unattributed(self) -> int:
        """Events that named a list no context is known for (unknown or malformed ids)."""
        ...

    async def titles_of_user(self, user_id: int) -> frozenset[int]: ...

    async def events_since(self, moment: datetime | None) -> list[Interaction]:
        """Events with `created_at >= moment` (all when None), oldest first."""
        ...

    async def ping(self) -> None: ...
