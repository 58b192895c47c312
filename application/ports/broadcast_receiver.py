"""What a replica does with the changes another replica announces (`ReplicaBroadcast`)."""

from __future__ import annotations

from typing import Protocol

from domain.interaction import Interaction


class BroadcastReceiver(Protocol):
    """Called on the event loop as messages arrive: implementations return at once (no I/O inline)."""

    def model_activated(self, model_id: str) -> None: ...

    def blacklist_changed(self) -> None: ...

    def hot_event(self, event: Interaction) -> None: ...

    def jobs_changed(self) -> None:
        """Another replica stored a job or asked for a cancel (only the trainer acts on it)."""
        ...

    def resubscribed(self) -> None:
        """The subscription was (re)confirmed: messages may have been missed before it, catch up."""
        ...
