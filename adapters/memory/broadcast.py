"""`ReplicaBroadcast` that keeps what it was asked to announce, for the use-case tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.ports import BroadcastReceiver, ReplicaBroadcast
from domain.interaction import Interaction


@dataclass
class RecordingBroadcast(ReplicaBroadcast):
    announced: list[tuple[str, object]] = field(default_factory=list)
    receiver: BroadcastReceiver | None = None

    async def model_activated(self, model_id: str) -> None:
        self.announced.append(("activation", model_id))

    async def blacklist_changed(self) -> None:
        self.announced.append(("blacklist", None))

    async def hot_event(self, event: Interaction) -> None:
        self.announced.append(("hot_event", event))

    def listen(self, receiver: BroadcastReceiver) -> None:
        self.receiver = receiver

    async def close(self) -> None:
        return
