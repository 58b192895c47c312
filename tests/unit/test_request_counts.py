"""The lock-free request-path families render as prometheus_client's own would."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from entrypoints.observability.request_counts import Counts, Durations, RequestCounts


def scraped(*families: Counts | Durations) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(RequestCounts(*families))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_counters_add_up_per_label_values_and_end_in_total() -> None:
    counts = Counts("rec_things", "Things", ["kind"])
    counts.inc(("a",))
    counts.inc(("a",))
    counts.inc(("b",), 0.0)  # a series that exists before its first event
    found = scraped(counts)
    assert found[("rec_things_total", (("kind", "a"),))] == 2
    assert found[("rec_things_total", (("kind", "b"),))] == 0


def test_histogram_buckets_are_cumulative_and_a_bound_is_inclusive() -> None:
    durations = Durations("rec_wait_seconds", "Waits", ["route"], (0.01, 0.1))
    for seconds in (0.005, 0.01, 0.05, 2.0):
        durations.observe(("/x",), seconds)
    found = scraped(durations)
    bucket = "rec_wait_seconds_bucket"
    assert found[(bucket, (("le", "0.01"), ("route", "/x")))] == 2  # 0.005 and exactly 0.01
    assert found[(bucket, (("le", "0.1"), ("route", "/x")))] == 3
    assert found[(bucket, (("le", "+Inf"), ("route", "/x")))] == 4
    assert found[("rec_wait_seconds_count", (("route", "/x"),))] == 4
    assert abs(found[("rec_wait_seconds_sum", (("route", "/x"),))] - 2.065) < 1e-9
