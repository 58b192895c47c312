"""A real Prometheus server scrapes a real `serve` process (REST port and REC_METRICS_PORT) and its
HTTP API sees the served version, traffic and a finished training."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc
from tests.conftest import free_port, unavailable
from tools.demo_data import generate_demo_source

pytestmark = [pytest.mark.slow, pytest.mark.integration]
HOST = "127.0.0.1"
START_TIMEOUT = 120.0


def spawn(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:  # a file, not a pipe: a full pipe would block the process
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=log.parent)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(check: Callable[[], bool], what: str, log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s:\n{log.read_text(errors='replace')[-4000:]}")


def cancel_startup_training(rest: str) -> None:
    """The lone trainer starts a first (long) training; the test trains its own small one instead."""
    for job in httpx.get(f"{rest}/admin/jobs", timeout=10).json()["jobs"]:
        if job["trigger"] == "startup" and job["status"] == "running":
            url = f"{rest}/admin/jobs/{job['job_id']}"
            httpx.delete(url, timeout=60)  # it stops after its epoch

            def cancelled(url: str = url) -> bool:
                return bool(httpx.get(url, timeout=5).json()["status"] == "cancelled")

            wait_for(cancelled, "the startup training cancelled", Path(os.devnull))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    data_dir = tmp_path_factory.mktemp("scraped")
    generate_demo_source(data_dir / "demo_source.db")
    ports = {"http": free_port(), "grpc": free_port(), "metrics": free_port()}
    env = {name: value for name, value in os.environ.items() if not name.startswith(("REC_", "OTEL_"))}
    env.update(
        REC_DATA_DIR=str(data_dir),
        REC_TRAIN_CRON="0 3 * * *",  # the trainer: it runs the test's training (section 10)
        REC_HTTP_HOST=HOST,
        REC_HTTP_PORT=str(ports["http"]),
        REC_GRPC_PORT=str(ports["grpc"]),
        REC_METRICS_PORT=str(ports["metrics"]),
        REC_LOG_FORMAT="json",
    )
    log = data_dir / "serve.log"
    process = spawn([sys.executable, "-m", "entrypoints.cli", "serve"], log, env)
    try:
        ready = f"http://{HOST}:{ports['http']}/health/ready"
        wait_for(lambda: httpx.get(ready, timeout=2).status_code == 200, "the service becoming ready", log)
        cancel_startup_training(f"http://{HOST}:{ports['http']}")
        yield ports
    finally:
        stop(process)


@pytest.fixture(scope="module")
def prometheus(service: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        unavailable("the prometheus server is not installed (Debian package `prometheus`)")
    directory = tmp_path_factory.mktemp("prometheus")
    (directory / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: rest\n    static_configs: [{{targets: ['{HOST}:{service['http']}']}}]\n"
        f"  - job_name: metrics-port\n    static_configs: [{{targets: ['{HOST}:{service['metrics']}']}}]\n"
    )
    port = free_port()
    log = directory / "prometheus.log"
    process = spawn(
        [
            binary,
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address={HOST}:{port}",
        ],
        log,
    )
    base = f"http://{HOST}:{port}"
    try:
        wait_for(lambda: httpx.get(f"{base}/-/ready", timeout=2).status_code == 200, "prometheus ready", log)
        yield base
    finally:
        stop(process)


def query(base: str, promql: str) -> list[dict[str, object]]:
    answer = httpx.get(f"{base}/api/v1/query", params={"query": promql}, timeout=5).json()
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])


def value_of(base: str, promql: str) -> float:
    found = query(base, promql)
    return float(found[0]["value"][1]) if found else 0.0  # type: ignore[index]


def test_prometheus_sees_traffic_and_the_trained_version(service: dict[str, int], prometheus: str) -> None:
    rest = f"http://{HOST}:{service['http']}"
    up = 'sum(up{job=~"rest|metrics-port"})'
    wait_for(lambda: value_of(prometheus, up) == 2, "both targets scraped", Path(os.devnull))
    assert query(prometheus, "rec_model_info") == []  # no version trained yet
    lists = 'sum(rec_lists_served_total{job="rest"})'
    requests = 'sum(rec_http_requests_total{job="rest",route="/titles/recommendations",status="200"})'
    before, requests_before = value_of(prometheus, lists), value_of(prometheus, requests)
    for user in range(1, 21):
        assert httpx.get(f"{rest}/titles/recommendations", params={"user_id": user}).status_code == 200
    with grpc.insecure_channel(f"{HOST}:{service['grpc']}") as channel:
        stub = pb_grpc.RecommenderStub(channel)
        for user in range(1, 6):
            stub.GetUserRecommendations(pb.UserRequest(user_id=user))
    wait_for(lambda: value_of(prometheus, lists) >= before + 25, "lists counted", Path(os.devnull), 30)
    wait_for(
        lambda: value_of(prometheus, requests) >= requests_before + 20,
        "requests counted",
        Path(os.devnull),
        30,
    )
    leader = 'sum(rec_trainer_leader{job="rest"})'  # a lone candidate holds the lease at once
    wait_for(lambda: value_of(prometheus, leader) == 1, "the lone candidate leading", Path(os.devnull), 30)
    grpc_ok = 'sum(rec_grpc_requests_total{job="rest",method="GetUserRecommendations",code="OK"})'
    assert value_of(prometheus, grpc_ok) >= 5

    job = httpx.post(
        f"{rest}/admin/train", params={"epochs": 2, "no_components": 8}, timeout=START_TIMEOUT
    ).json()
    assert job["status"] == "succeeded", job
    info = f'rec_model_info{{job="rest",model_id="{job["model_id"]}"}}'
    wait_for(lambda: value_of(prometheus, info) == 1, "the served version seen", Path(os.devnull), 30)
    succeeded = 'sum(rec_training_jobs_total{job="rest",status="succeeded"})'
    # the version is active a moment before its job is counted as finished
    wait_for(lambda: value_of(prometheus, succeeded) == 1, "the training counted", Path(os.devnull), 30)
    # the separate metrics port exposes the same registry
    on_port = f'rec_model_info{{job="metrics-port",model_id="{job["model_id"]}"}}'
    wait_for(lambda: value_of(prometheus, on_port) == 1, "the version seen on the port", Path(os.devnull), 30)
