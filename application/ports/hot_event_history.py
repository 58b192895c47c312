"""One user's hot events as the operator reads them."""

from __future__ import annotations

from typing import Protocol

from domain.interaction import Interaction


class HotEventHistory(Protocol):
    """The hot events of one user, read from where they are stored durably."""

    async def events_of_user(self, user_id: int, limit: int) -> list[Interaction]:
        """The user's newest `limit` hot events, newest first."""
        ...
