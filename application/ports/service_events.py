"""What the inner layers report to operators (metrics, traces) without knowing how it is recorded."""

from __future__ import annotations

from typing import Literal, Protocol

CacheLayer = Literal["near", "redis", "memory"]
CacheResult = Literal["hit", "miss", "error"]
BroadcastKind = Literal["activation", "blacklist", "hot_event", "job", "invalidation"]
BroadcastDirection = Literal["sent", "received", "failed"]


class ServiceEvents(Protocol):
    """Called on hot paths: implementations must be cheap and never raise."""

    def list_served(self, kind: str, source: str, cached: bool) -> None: ...

    def cache_lookup(self, layer: CacheLayer, result: CacheResult) -> None: ...

    def hot_event(self, accepted: bool) -> None: ...

    def training_started(self, job_id: str, trigger: str) -> None: ...

    def training_epoch(self, job_id: str, done: int, total: int) -> None: ...

    def training_finished(self, job_id: str, trigger: str, status: str, seconds: float) -> None: ...

    def broadcast(self, kind: BroadcastKind, direction: BroadcastDirection) -> None:
        """A message to or from the other replicas (`failed`: it could not be published)."""
        ...


class NoServiceEvents(ServiceEvents):
    """Records nothing: the default where no recorder is injected (and under REC_METRICS=off)."""

    def list_served(self, kind: str, source: str, cached: bool) -> None:
        return

    def cache_lookup(self, layer: CacheLayer, result: CacheResult) -> None:
        return

    def hot_event(self, accepted: bool) -> None:
        return

    def training_started(self, job_id: str, trigger: str) -> None:
        return

    def training_epoch(self, job_id: str, done: int, total: int) -> None:
        return

    def training_finished(self, job_id: str, trigger: str, status: str, seconds: float) -> None:
        return

    def broadcast(self, kind: BroadcastKind, direction: BroadcastDirection) -> None:
        return


NO_EVENTS = NoServiceEvents()
