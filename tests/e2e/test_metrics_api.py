"""`/metrics`, `REC_METRICS_PORT`, `REC_METRICS=off` and `/health/live` on the real app (fake adapters)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.cache.in_process_cache import InProcessRecommendationCache
from application.ports import NO_EVENTS
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import free_port
from tests.e2e.conftest import FakeStack, client_for, fake_container

FAMILIES = (
    "rec_http_requests",
    "rec_http_request_duration_seconds",
    "rec_grpc_requests",
    "rec_grpc_request_duration_seconds",
    "rec_lists_served",
    "rec_cache_requests",
    "rec_dependency_up",
    "rec_model_info",
    "rec_model_created_timestamp_seconds",
    "rec_model_quality",
    "rec_training_jobs",
    "rec_training_duration_seconds",
    "rec_training_running",
    "rec_training_last_success_timestamp_seconds",
    "rec_hot_events",
    "rec_catalogue_titles",
    "rec_trainer_leader",
    "rec_build_info",
    "process_cpu_seconds",
    "python_info",
)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def started(settings: Settings) -> AsyncIterator[FakeStack]:
    built = fake_container(settings)
    # the stack's own cache, but reporting to this container's metrics
    built.container.cache.override(InProcessRecommendationCache(60, events=built.container.events()))
    runtime = create_app(built.container, manage_runtime=False).state.runtime
    await runtime.start()
    yield built
    await runtime.stop()


@pytest.fixture
async def observed(tmp_path) -> AsyncIterator[FakeStack]:  # type: ignore[no-untyped-def]
    async for built in started(Settings(data_dir=tmp_path, train_cron="off")):
        yield built


async def test_every_family_is_exposed(observed: FakeStack) -> None:
    async with client_for(observed.container) as client:
        text = (await client.get("/metrics")).text
    exposed = {family.name for family in text_string_to_metric_families(text)}
    assert set(FAMILIES) <= exposed, set(FAMILIES) - exposed


async def test_lists_cache_and_hot_events_are_counted(observed: FakeStack) -> None:
    async with client_for(observed.container) as client:
        before = await scrape(client)
        assert (await client.get("/titles/recommendations", params={"user_id": 3})).status_code == 200
        assert (
            await client.get("/rec/hot/interact", params={"user_id": 3, "title_id": 30, "int_type": "view"})
        ).status_code == 202
        bad = await client.get("/rec/hot/interact", params={"user_id": 3, "title_id": 30, "int_type": "nope"})
        assert bad.status_code == 400
        after = await scrape(client)
    popular = {"kind": "user", "source": "popular", "cached": "false"}
    assert (
        value(after, "rec_lists_served_total", **popular)
        == value(before, "rec_lists_served_total", **popular) + 1
    )
    assert value(after, "rec_hot_events_total", result="accepted") == 1
    assert value(after, "rec_hot_events_total", result="rejected") == 1


async def test_training_model_and_state_gauges(observed: FakeStack) -> None:
    async with client_for(observed.container) as client:
        before = await scrape(client)
        assert not any(name == "rec_model_info" for name, _ in before)
        job = (await client.post("/admin/train", params={"epochs": 2})).json()
        assert job["status"] == "succeeded", job
        for _ in range(2):  # the second list comes from the cache
            assert (await client.get("/titles/recommendations", params={"user_id": 1})).json()[
                "source"
            ] == "model"
        after = await scrape(client)
    assert value(after, "rec_model_info", model_id=job["model_id"]) == 1
    assert value(after, "rec_training_jobs_total", trigger="manual", status="succeeded") == 1
    assert value(after, "rec_training_duration_seconds_count", trigger="manual") == 1
    assert value(after, "rec_training_running") == 0
    assert value(after, "rec_training_last_success_timestamp_seconds") > 0
    assert value(after, "rec_model_created_timestamp_seconds") > 0
    for metric in ("precision_at_10", "recall_at_10", "auc"):
        assert ("rec_model_quality", frozenset({("metric", metric)})) in after
    assert value(after, "rec_cache_requests_total", layer="memory", result="miss") >= 1
    assert value(after, "rec_cache_requests_total", layer="memory", result="hit") >= 1
    assert value(after, "rec_lists_served_total", kind="user", source="model", cached="true") == 1
    # the demo fake: 40 titles, title 40 inactive, title 39 blacklisted in the source
    assert value(after, "rec_catalogue_titles", state="eligible") == 38
    assert value(after, "rec_catalogue_titles", state="inactive") == 1
    assert value(after, "rec_catalogue_titles", state="blacklisted") == 1
    for component in ("source", "registry", "cache", "artifacts"):
        assert value(after, "rec_dependency_up", component=component) == 1
    assert value(after, "rec_trainer_leader") == 0  # REC_TRAIN_CRON=off: a follower


async def test_a_dependency_down_is_zero(observed: FakeStack) -> None:
    observed.container.check_health()._probes["source"] = _failing  # type: ignore[attr-defined]
    async with client_for(observed.container) as client:
        found = await scrape(client)
    assert value(found, "rec_dependency_up", component="source") == 0
    assert value(found, "rec_dependency_up", component="registry") == 1


async def _failing() -> None:
    raise ConnectionError("source gone")


async def test_observe_http_records_both_families(observed: FakeStack) -> None:
    metrics = observed.container.observability().metrics
    assert metrics is not None
    for seconds in (0.002, 0.2):
        metrics.observe_http("GET", "/titles/recommendations", 200, seconds)
    metrics.observe_http("GET", "other", 404, 0.001)
    async with client_for(observed.container) as client:
        found = await scrape(client)
    route = {"method": "GET", "route": "/titles/recommendations"}
    assert value(found, "rec_http_requests_total", **route, status="200") == 2
    assert value(found, "rec_http_requests_total", method="GET", route="other", status="404") == 1
    assert value(found, "rec_http_request_duration_seconds_count", **route) == 2
    assert value(found, "rec_http_request_duration_seconds_bucket", **route, le="0.005") == 1


async def test_liveness_and_schema(observed: FakeStack) -> None:
    async with client_for(observed.container) as client:
        live = await client.get("/health/live")
        schema = (await client.get("/schema/openapi.json")).json()
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert "/health/live" in schema["paths"] and "/metrics" in schema["paths"]


async def test_metrics_off_removes_the_route_and_records_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async for built in started(Settings(data_dir=tmp_path, train_cron="off", metrics=False)):
        assert built.container.events() is NO_EVENTS
        async with client_for(built.container) as client:
            assert (await client.get("/metrics")).status_code == 404
            assert (await client.get("/health/live")).status_code == 200


async def test_metrics_port_serves_only_metrics(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    settings = Settings(data_dir=tmp_path, train_cron="off", http_host="127.0.0.1", metrics_port=port)
    async for _ in started(settings):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            metrics = await client.get("/metrics")
            other = await client.get("/health")
        assert metrics.status_code == 200
        assert value(samples(metrics.text), "rec_dependency_up", component="registry") == 1
        assert other.status_code == 404
    with pytest.raises(httpx.ConnectError):  # stopped with the runtime
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await client.get("/metrics")


async def test_a_failed_training_is_counted_as_failed(observed: FakeStack) -> None:
    observed.source.interactions.clear()  # nothing to train on
    async with client_for(observed.container) as client:
        job = (await client.post("/admin/train", params={"epochs": 2})).json()
        found = await scrape(client)
    assert job["status"] == "failed", job
    assert value(found, "rec_training_jobs_total", trigger="manual", status="failed") == 1
    assert value(found, "rec_training_jobs_total", trigger="manual", status="succeeded") == 0
    assert value(found, "rec_training_last_success_timestamp_seconds") == 0
    assert value(found, "rec_training_running") == 0


async def test_rest_requests_are_counted_by_route_template_on_both_paths(observed: FakeStack) -> None:
    """The fast path and Litestar's routes are measured alike; an id never becomes a label."""
    async with client_for(observed.container) as client:
        assert (await client.get("/titles/recommendations", params={"user_id": 1})).status_code == 200
        assert (await client.get("/titles/recommendations?user_id=0")).status_code == 400
        assert (await client.get("/admin/models/no-such-model")).status_code == 404
        assert (await client.get("/no/such/path/123")).status_code == 404
        found = await scrape(client)
        text = (await client.get("/metrics")).text
    route = "/titles/recommendations"
    assert value(found, "rec_http_requests_total", method="GET", route=route, status="200") == 1
    assert value(found, "rec_http_requests_total", method="GET", route=route, status="400") == 1
    models = "/admin/models/{model_id}"
    assert value(found, "rec_http_requests_total", method="GET", route=models, status="404") == 1
    assert value(found, "rec_http_requests_total", method="GET", route="other", status="404") == 1
    assert value(found, "rec_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert "no-such-model" not in text and "/no/such/path" not in text
