"""The request path's counters and histograms without locks: plain numbers in dicts, read at scrape.

prometheus_client's children take a lock on every increment (they may be shared by threads). The
families here are only ever bumped from the event loop's thread (REST, gRPC and the use cases all
run on it), so a request costs a dict lookup and an addition per family; `collect` renders them in
the same text exposition as the library's own (`_total` counters, cumulative `le` buckets).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector


class Counts:
    """One counter family: label values -> count."""

    __slots__ = ("doc", "labels", "name", "values")

    def __init__(self, name: str, doc: str, labels: Sequence[str]) -> None:
        self.name, self.doc, self.labels = name, doc, tuple(labels)
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, key: tuple[str, ...], amount: float = 1.0) -> None:
        values = self.values
        values[key] = values.get(key, 0.0) + amount

    def metric(self) -> Metric:
        family = CounterMetricFamily(self.name, self.doc, labels=self.labels)
        for key, value in sorted(self.values.items()):
            family.add_metric(key, value)
        return family


class Durations:
    """One histogram family: label values -> per-bucket counts (not cumulative) and the sum."""

    __slots__ = ("bounds", "doc", "labels", "name", "series")

    def __init__(self, name: str, doc: str, labels: Sequence[str], bounds: Sequence[float]) -> None:
        self.name, self.doc, self.labels = name, doc, tuple(labels)
        self.bounds = tuple(bounds)
        self.series: dict[tuple[str, ...], list[float]] = {}  # counts per bucket (+Inf last), then the sum

    def observe(self, key: tuple[str, ...], seconds: float) -> None:
        found = self.series.get(key)
        if found is None:
            found = self.series[key] = [0.0] * (len(self.bounds) + 2)
        found[bisect_left(self.bounds, seconds)] += 1  # the first bucket with seconds <= le
        found[-1] += seconds

    def metric(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.doc, labels=self.labels)
        edges = [*(repr(float(b)) for b in self.bounds), "+Inf"]
        for key, found in sorted(self.series.items()):
            running, buckets = 0.0, []
            for edge, count in zip(edges, found[:-1], strict=True):
                running += count
                buckets.append((edge, running))
            family.add_metric(list(key), buckets, found[-1])
        return family


class RequestCounts(Collector):
    """The families registered as one collector."""

    def __init__(self, *families: Counts | Durations) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        for family in self._families:
            yield family.metric()
