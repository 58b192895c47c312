"""Hot interactions, stored durably before they are acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.interaction import Interaction


class HotEventStore(Protocol):
    """Hot interactions, committed durably before they are acknowledged."""

    async def add(self, event: Interaction) -> None:
        """Return once the event is committed; raise RegistryUnavailableError otherwise."""
        ...

    async def titles_of_user(self, user_id: int) -> frozenset[int]: ...

    async def events_since(self, moment: datetime | None) -> list[Interaction]:
        """Events with `created_at >= moment` (all when None), oldest first."""
        ...

    async def ping(self) -> None: ...
