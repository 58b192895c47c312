"""A real `serve` process killed in the middle of a training, then started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from application.recover_jobs import INTERRUPTED
from tests.conftest import free_port
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


class Service:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "REC_DATA_DIR": str(data_dir),
            "REC_HTTP_HOST": "127.0.0.1",
            "REC_HTTP_PORT": str(self.port),
            "REC_GRPC_PORT": str(free_port()),
            "REC_TRAIN_THREADS": "1",
            "REC_TRAINER_LEASE_SECONDS": "2",  # the killed process's lease expires soon
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> httpx.Client:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if client.get("/health/ready").status_code == 200:
                    return client
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("the service did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    generate_demo_source(tmp_path / "demo_source.db")
    svc = Service(tmp_path)
    yield svc
    if svc.process is not None and svc.process.poll() is None:
        svc.process.kill()


def wait_for(predicate, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_a_kill_mid_training_leaves_the_job_failed_and_the_old_model_active(service: Service) -> None:
    # a first, small model from the CLI, so the service starts with an active version
    trained = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "train", "--epochs", "2", "--no-components", "8"],
        cwd=REPO,
        env=service.env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert trained.returncode == 0, trained.stderr.decode()[-2000:]
    api = service.start()
    before = api.get("/health").json()["model_id"]
    assert before is not None
    job_id = api.post("/admin/train", params={"wait": "false", "epochs": 500, "no_components": 32}).json()[
        "job_id"
    ]
    wait_for(lambda: api.get(f"/admin/jobs/{job_id}").json()["progress"] > 0, 60)
    service.kill()

    api = service.start()  # a new holder: it takes the lease once the dead one's has expired
    wait_for(lambda: api.get(f"/admin/jobs/{job_id}").json()["status"] != "running", 30)
    job = api.get(f"/admin/jobs/{job_id}").json()
    assert job["status"] == "failed" and job["error"] == INTERRUPTED
    assert api.get("/health").json()["model_id"] == before
    assert api.get("/titles/recommendations", params={"user_id": 1}).json()["model_id"] == before
    assert service.stop() == 0
