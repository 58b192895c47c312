"""Every metric family the contract names, in a registry owned by one container (never the global one).

Hot-path recording looks each label combination up once and keeps the child, so a request costs a
dict lookup and an increment, no string formatting.
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
        self.http_requests = Counter(
            "rec_http_requests", "REST requests answered", ["method", "route", "status"], registry=r
        )
        self.http_duration = Histogram(
            "rec_http_request_duration_seconds", "REST request duration", ["method", "route"],
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.grpc_requests = Counter(
            "rec_grpc_requests", "gRPC calls answered", ["method", "code"], registry=r
        )
        self.grpc_duration = Histogram(
            "rec_grpc_request_duration_seconds", "gRPC call duration", ["method"],
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.lists_served = Counter(
            "rec_lists_served", "Lists answered", ["kind", "source", "cached"], registry=r
        )
        self.cache_requests = Counter(
            "rec_cache_requests", "Cache lookups by layer and result", ["layer", "result"], registry=r
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
        self.hot_events = Counter("rec_hot_events", "Hot events by result", ["result"], registry=r)
        self.broadcast_messages = Counter(
            "rec_broadcast_messages", "Messages to and from the other replicas (Redis)",
            ["kind", "direction"], registry=r,
        )  # fmt: skip
        Gauge("rec_build_info", "The running build", ["version"], registry=r).labels(build_version()).set(1)
        self._children: dict[tuple[object, ...], tuple[Counter, Histogram]] = {}
        self._grpc_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self._simple: dict[tuple[object, ...], Counter] = {}
        self._start_at_zero()

    def _start_at_zero(self) -> None:
        """Series that alerts use `increase()` on exist from the start, so their first event counts."""
        for trigger in JobTrigger:
            for status in FINISHED:
                self.child(self.training_jobs, trigger.value, status.value)
        for result in ("accepted", "rejected"):
            self.child(self.hot_events, result)

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        """One REST request; `route` is the route template (`other` for unknown paths)."""
        key = (method, route, status)
        pair = self._children.get(key)
        if pair is None:
            pair = (
                self.http_requests.labels(method, route, str(status)),
                self.http_duration.labels(method, route),
            )
            self._children[key] = pair
        pair[0].inc()
        pair[1].observe(seconds)

    def observe_grpc(self, method: str, code: str, seconds: float) -> None:
        key = (method, code)
        pair = self._grpc_children.get(key)
        if pair is None:
            pair = (self.grpc_requests.labels(method, code), self.grpc_duration.labels(method))
            self._grpc_children[key] = pair
        pair[0].inc()
        pair[1].observe(seconds)

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
        self._m.child(self._m.lists_served, kind, source, cached).inc()

    def cache_lookup(self, layer: CacheLayer, result: CacheResult) -> None:
        self._m.child(self._m.cache_requests, layer, result).inc()

    def hot_event(self, accepted: bool) -> None:
        self._m.child(self._m.hot_events, "accepted" if accepted else "rejected").inc()

    def broadcast(self, kind: BroadcastKind, direction: BroadcastDirection) -> None:
        self._m.child(self._m.broadcast_messages, kind, direction).inc()

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
