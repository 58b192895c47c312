"""Every metric family the contract names, in a registry owned by one container (never the global one).

The request path's families (`request_counts`) are plain numbers without locks: a request costs a
dict lookup and an addition per family, no string formatting; the rest are prometheus_client's own.
"""

from __future__ import annotations

import time
from importlib import metadata
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from application.ports import ServiceEvents
from application.ports.service_events import BroadcastDirection, BroadcastKind, CacheLayer, CacheResult
from domain.training_job import JobStatus, JobTrigger
from entrypoints.observability.request_counts import Counts, Durations, RequestCounts

if TYPE_CHECKING:
    from entrypoints.observability.tracing import TrainingSpans

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
TRAINING_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)


def build_version() -> str:
    try:
        return metadata.version("lightfm-recommender")
    except metadata.PackageNotFoundError:
        return "unknown"


class ServiceMetrics:
    """The recording side: counters and histograms updated as things happen."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        r = self.registry
        # The request path's families: lock-free, bumped on the event loop's thread only.
        self.http_requests = Counts(
            "rec_http_requests", "REST requests answered", ["method", "route", "status"]
        )
        self.http_duration = Durations(
            "rec_http_request_duration_seconds", "REST request duration", ["method", "route"], LATENCY_BUCKETS
        )
        self.grpc_requests = Counts("rec_grpc_requests", "gRPC calls answered", ["method", "code"])
        self.grpc_duration = Durations(
            "rec_grpc_request_duration_seconds", "gRPC call duration", ["method"], LATENCY_BUCKETS
        )
        self.lists_served = Counts("rec_lists_served", "Lists answered", ["kind", "source", "cached"])
        self.cache_requests = Counts(
            "rec_cache_requests", "Cache lookups by layer and result", ["layer", "result"]
        )
        self.hot_events = Counts("rec_hot_events", "Hot events by result", ["result"])
        self.broadcast_messages = Counts(
            "rec_broadcast_messages", "Messages to and from the other replicas (Redis)", ["kind", "direction"]
        )
        r.register(
            RequestCounts(
                self.http_requests,
                self.http_duration,
                self.grpc_requests,
                self.grpc_duration,
                self.lists_served,
                self.cache_requests,
                self.hot_events,
                self.broadcast_messages,
            )
        )
        self.training_jobs = Counter(
            "rec_training_jobs", "Finished training jobs", ["trigger", "status"], registry=r
        )
        self.training_duration = Histogram(
            "rec_training_duration_seconds", "Training job duration", ["trigger"],
            buckets=TRAINING_BUCKETS, registry=r,
        )  # fmt: skip
        self.training_running = Gauge("rec_training_running", "1 while a training job runs", registry=r)
        self.training_last_success = Gauge(
            "rec_training_last_success_timestamp_seconds", "When a training last succeeded", registry=r
        )
        Gauge("rec_build_info", "The running build", ["version"], registry=r).labels(build_version()).set(1)
        self._simple: dict[tuple[object, ...], Counter] = {}
        self._statuses = {code: str(code) for code in range(100, 600)}
        self._start_at_zero()

    def _start_at_zero(self) -> None:
        """Series that alerts use `increase()` on exist from the start, so their first event counts."""
        for trigger in JobTrigger:
            for status in FINISHED:
                self.child(self.training_jobs, trigger.value, status.value)
        for result in ("accepted", "rejected"):
            self.hot_events.inc((result,), 0.0)

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        """One REST request; `route` is the route template (`other` for unknown paths)."""
        self.http_requests.inc((method, route, self._statuses.get(status) or str(status)))
        self.http_duration.observe((method, route), seconds)

    def observe_grpc(self, method: str, code: str, seconds: float) -> None:
        self.grpc_requests.inc((method, code))
        self.grpc_duration.observe((method,), seconds)

    def child(self, family: Counter, *labels: object) -> Counter:
        key = (family, *labels)
        child = self._simple.get(key)
        if child is None:
            child = family.labels(*(str(v).lower() if isinstance(v, bool) else str(v) for v in labels))
            self._simple[key] = child
        return child


class MetricsEvents(ServiceEvents):
    """`ServiceEvents` recorded as metrics (and as spans through `tracing`, when tracing is on)."""

    def __init__(self, metrics: ServiceMetrics, spans: TrainingSpans | None = None) -> None:
        self._m = metrics
        self._spans = spans
        self._started: dict[str, float] = {}

    def list_served(self, kind: str, source: str, cached: bool) -> None:
        self._m.lists_served.inc((kind, source, "true" if cached else "false"))

    def cache_lookup(self, layer: CacheLayer, result: CacheResult) -> None:
        self._m.cache_requests.inc((layer, result))

    def hot_event(self, accepted: bool) -> None:
        self._m.hot_events.inc(("accepted" if accepted else "rejected",))

    def broadcast(self, kind: BroadcastKind, direction: BroadcastDirection) -> None:
        self._m.broadcast_messages.inc((kind, direction))

    def training_started(self, job_id: str, trigger: str) -> None:
        self._started[job_id] = time.monotonic()
        self._m.training_running.set(1)
        if self._spans is not None:
            self._spans.start(job_id, trigger)

    def training_epoch(self, job_id: str, done: int, total: int) -> None:
        if self._spans is not None:
            self._spans.epoch(job_id, done, total)

    def training_finished(self, job_id: str, trigger: str, status: str, seconds: float) -> None:
        self._started.pop(job_id, None)
        self._m.training_running.set(1 if self._started else 0)
        self._m.child(self._m.training_jobs, trigger, status).inc()
        self._m.training_duration.labels(trigger).observe(seconds)
        if status == "succeeded":
            self._m.training_last_success.set(time.time())
        if self._spans is not None:
            self._spans.finish(job_id, status)
