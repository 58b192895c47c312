"""`ReplicaBroadcast` fakes for the use-case tests: one that keeps what it was asked to announce, and a
bus of replicas in one process (`InMemoryBroadcastBus`)."""

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

    async def jobs_changed(self) -> None:
        self.announced.append(("jobs", None))

    def listen(self, receiver: BroadcastReceiver) -> None:
        self.receiver = receiver

    async def close(self) -> None:
        return


@dataclass
class InMemoryBroadcastBus:
    """Replicas in one process: what one member announces reaches every other member's receiver
    (never its own), in order, as the Redis channel delivers it."""

    members: list[BusBroadcast] = field(default_factory=list)

    def join(self) -> BusBroadcast:
        member = BusBroadcast(self)
        self.members.append(member)
        return member

    def deliver(self, sender: BusBroadcast, kind: str, value: object) -> None:
        for member in self.members:
            if member is not sender and member.receiver is not None:
                member.hear(kind, value)


@dataclass(eq=False)
class BusBroadcast(ReplicaBroadcast):
    bus: InMemoryBroadcastBus
    receiver: BroadcastReceiver | None = None

    async def model_activated(self, model_id: str) -> None:
        self.bus.deliver(self, "activation", model_id)

    async def blacklist_changed(self) -> None:
        self.bus.deliver(self, "blacklist", None)

    async def hot_event(self, event: Interaction) -> None:
        self.bus.deliver(self, "hot_event", event)

    async def jobs_changed(self) -> None:
        self.bus.deliver(self, "jobs", None)

    def listen(self, receiver: BroadcastReceiver) -> None:
        self.receiver = receiver
        receiver.resubscribed()  # subscribed at once: catch up on what was missed

    def hear(self, kind: str, value: object) -> None:
        assert self.receiver is not None
        if kind == "activation":
            self.receiver.model_activated(str(value))
        elif kind == "blacklist":
            self.receiver.blacklist_changed()
        elif kind == "jobs":
            self.receiver.jobs_changed()
        elif isinstance(value, Interaction):
            self.receiver.hot_event(value)

    async def close(self) -> None:
        self.receiver = None
        if self in self.bus.members:
            self.bus.members.remove(self)
