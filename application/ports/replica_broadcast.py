"""Telling the other replicas of a change made here, so that they follow within about a second."""

from __future__ import annotations

from typing import Protocol

from application.ports.broadcast_receiver import BroadcastReceiver
from domain.interaction import Interaction


class ReplicaBroadcast(Protocol):
    """Best effort: publishing never raises, and the registry poll catches up on a lost message."""

    async def model_activated(self, model_id: str) -> None: ...

    async def blacklist_changed(self) -> None: ...

    async def hot_event(self, event: Interaction) -> None:
        """A hot event this process accepted (and applied): the others apply it too."""
        ...

    async def jobs_changed(self) -> None:
        """A job was submitted or a cancel asked here: the trainer looks at the job table now."""
        ...

    def listen(self, receiver: BroadcastReceiver) -> None:
        """Deliver the other replicas' messages (never this process's own) to `receiver` from now on."""
        ...

    async def close(self) -> None: ...


class NoBroadcast(ReplicaBroadcast):
    """One process, or no Redis: nothing is published and the registry poll is all there is."""

    async def model_activated(self, model_id: str) -> None:
        return

    async def blacklist_changed(self) -> None:
        return

    async def hot_event(self, event: Interaction) -> None:
        return

    async def jobs_changed(self) -> None:
        return

    def listen(self, receiver: BroadcastReceiver) -> None:
        return

    async def close(self) -> None:
        return


NO_BROADCAST = NoBroadcast()
