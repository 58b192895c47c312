"""Acknowledged hot events survive a SIGKILL of a real `serve` process (uvicorn, SQLite registry)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tools.demo_data import generate_demo_source

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CLIENTS = 8
KILL_AFTER = 300  # acknowledged events


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REC_")},
        "REC_DATA_DIR": str(data_dir),
        "REC_TRAIN_CRON": "off",
        "REC_HTTP_HOST": "127.0.0.1",
        "REC_HTTP_PORT": str(port),
        "REC_GRPC_PORT": str(free_port()),
        "REC_LOG_FORMAT": "json",
    }
    log = (data_dir / "serve.log").open("wb")
    command = [sys.executable, "-m", "entrypoints.cli", "serve"]
    return subprocess.Popen(command, cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, process: subprocess.Popen[bytes], data_dir: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, (data_dir / "serve.log").read_text()[-3000:]
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become ready: " + (data_dir / "serve.log").read_text()[-3000:])


async def post_until_killed(base: str, process: subprocess.Popen[bytes]) -> set[tuple[int, int]]:
    acknowledged: set[tuple[int, int]] = set()

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            for title in range(1, 10_000):
                body = {"user_id": 1000 + number, "title_id": title, "int_type": "bookmark"}
                try:
                    response = await http.post("/rec/hot/interact", json=body)
                except httpx.HTTPError:
                    return  # the process is gone: this event was never acknowledged
                assert response.status_code == 202, response.text
                acknowledged.add((body["user_id"], title))
                if len(acknowledged) == KILL_AFTER:
                    os.kill(process.pid, signal.SIGKILL)  # right after the 202, no shutdown at all

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return acknowledged


def test_every_acknowledged_event_survives_a_kill(tmp_path: Path) -> None:
    generate_demo_source(tmp_path / "demo_source.db")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_server(tmp_path, port)
    try:
        wait_ready(base, process, tmp_path)
        acknowledged = asyncio.run(post_until_killed(base, process))
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(acknowledged) >= KILL_AFTER
    with closing(sqlite3.connect(tmp_path / "model_registry.db")) as registry:
        stored = set(registry.execute("SELECT user_id, title_id FROM hot_events").fetchall())
    assert acknowledged <= stored, f"lost {len(acknowledged - stored)} acknowledged events"
