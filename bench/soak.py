"""Soak: hours-shaped traffic in minutes. The service as `make run` serves it (REST and gRPC in one
process) on MariaDB (source: MovieLens 100k; registry) and Redis, under mixed valid and hostile
load, with a training and an activation every `--train-every` seconds.

Usage: .venv/bin/python -m bench.soak [--seconds 1800] [--window 300] [--train-every 300]
       [--rest 8] [--grpc 4] [--hostile 0.1]

Prints one row per window: requests, server errors (5xx, gRPC INTERNAL/UNKNOWN: the target is 0),
hostile requests that were accepted (target 0), p50/p99 of the valid requests, the server's RSS
and open file descriptors at the window's end, then the RSS growth after the first window.
Databases `rec_soak_source` and `rec_soak_registry` and Redis db 13 are this benchmark's own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from redis import Redis

from bench.common import REPO, free_port, say
from bench.soak_traffic import Window, drive

SOURCE_DB, REGISTRY_DB = "rec_soak_source", "rec_soak_registry"
REDIS_URL = "redis://127.0.0.1:6379/8"  # no test uses it (test_full_stack flushes 13)
MOVIELENS = REPO.parent / "shared" / "data" / "ml-100k"
CLI = [sys.executable, "-m", "entrypoints.cli"]


def service_env(data_dir: Path, http_port: int, grpc_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "REC_SOURCE_URL": f"mysql+asyncmy://root@127.0.0.1/{SOURCE_DB}",
        "REC_REGISTRY_URL": f"mysql+asyncmy://root@127.0.0.1/{REGISTRY_DB}",
        "REC_REDIS_URL": REDIS_URL,
        "REC_DATA_DIR": str(data_dir),
        "REC_TRAIN_CRON": "0 3 * * *",  # a trainer candidate: the lone process runs the soak's trainings
        "REC_HTTP_HOST": "127.0.0.1",
        "REC_HTTP_PORT": str(http_port),
        "REC_GRPC_PORT": str(grpc_port),
        "REC_LOG_FORMAT": "json",
    }


def prepare(env: dict[str, str]) -> None:
    """Fresh databases of our own, MovieLens loaded, an empty Redis db, one trained model."""
    sql = f"DROP DATABASE IF EXISTS {REGISTRY_DB}; CREATE DATABASE {REGISTRY_DB}; "
    sql += f"CREATE DATABASE IF NOT EXISTS {SOURCE_DB}"
    subprocess.run(["mysql", "-h127.0.0.1", "-uroot", "-e", sql], check=True)
    url = f"mysql://root@127.0.0.1/{SOURCE_DB}"
    load = [*CLI, "load-movielens", "--dir", str(MOVIELENS), "--url", url, "--replace"]
    subprocess.run(load, cwd=REPO, env=env, check=True, capture_output=True)
    Redis.from_url(REDIS_URL).flushdb()  # db 13 is the soak's own
    subprocess.run([*CLI, "train", "--epochs", "10"], cwd=REPO, env=env, check=True, capture_output=True)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def row(number: int | str, window: Window, pid: int, trainings: int) -> str:
    valid = [ms for values in window.latencies_ms.values() for ms in values]
    return (
        f"| {number} | {window.requests:,} | {window.server_errors} | {window.wrong_answers} | "
        f"{pct(valid, 50):.1f} | {pct(valid, 99):.1f} | {rss_mib(pid):.0f} | {open_fds(pid)} | {trainings} |"
    )


async def train_and_activate(base: str) -> str:
    """One training (not activated by itself), then its activation through the admin route."""
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        job = (
            await client.post("/admin/train", params={"wait": "false", "epochs": 10, "activate": "false"})
        ).json()
        while (state := (await client.get(f"/admin/jobs/{job['job_id']}")).json())["status"] == "running":  # noqa: ASYNC110 - polling the admin API is the point
            await asyncio.sleep(1)
        if state["status"] != "succeeded":
            return f"training {state['status']}: {state.get('error')}"
        activated = await client.post(f"/admin/models/{state['model_id']}/activate")
        return f"activated {state['model_id']}" if activated.status_code == 200 else activated.text


async def soak(args: argparse.Namespace, base: str, grpc_target: str, pid: int) -> list[str]:
    windows = [Window(time.monotonic())]
    rows = ["| window | requests | 5xx | hostile accepted | p50 ms | p99 ms | RSS MiB | fds | trainings |"]
    rows.append("|---|---|---|---|---|---|---|---|---|")
    trainings: list[str] = []
    rss: list[float] = []  # at the end of each full window

    async def trainer() -> None:
        while True:
            await asyncio.sleep(args.train_every)
            trainings.append(await train_and_activate(base))
            say(f"soak: {trainings[-1]}")

    async def sampler() -> None:
        while True:
            await asyncio.sleep(args.window)
            rows.append(row(len(windows), windows[-1], pid, len(trainings)))
            rss.append(rss_mib(pid))
            say(f"soak: {rows[-1]}")
            windows.append(Window(time.monotonic()))

    background = [asyncio.create_task(trainer()), asyncio.create_task(sampler())]
    try:
        await drive(base, grpc_target, args.seconds, args.rest, args.grpc, args.hostile, lambda: windows[-1])
    finally:
        for task in background:
            task.cancel()
    if windows[-1].requests:
        rows.append(row(f"{len(windows)} (partial)", windows[-1], pid, len(trainings)))
    total = sum(w.requests for w in windows)
    errors = sum(w.server_errors for w in windows)
    rows.append(f"\n{total:,} requests; {errors} server errors; trainings: {trainings}")
    rows.append(
        f"RSS after the first window {rss[0]:.0f} MiB, at the end {rss_mib(pid):.0f} MiB" if rss else ""
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--window", type=float, default=300)
    parser.add_argument("--train-every", type=float, default=300)
    parser.add_argument("--rest", type=int, default=8)
    parser.add_argument("--grpc", type=int, default=4)
    parser.add_argument("--hostile", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        http_port, grpc_port = free_port(), free_port()
        env = service_env(Path(tmp), http_port, grpc_port)
        say("soak: loading MovieLens into MariaDB and training a first model")
        prepare(env)
        with (Path(tmp) / "serve.log").open("wb") as log:
            process = subprocess.Popen([*CLI, "serve"], cwd=REPO, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{http_port}"
        try:
            wait_ready(base, process)
            rss_start = rss_mib(process.pid)
            rows = asyncio.run(soak(args, base, f"127.0.0.1:{grpc_port}", process.pid))
            rows.append(f"RSS when ready {rss_start:.0f} MiB, at the end {rss_mib(process.pid):.0f} MiB")
        finally:
            process.terminate()
            code = process.wait(60)
        print("\n".join([*rows, f"exit status after SIGTERM: {code}"]))


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not become ready")


if __name__ == "__main__":
    main()
