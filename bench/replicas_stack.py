"""The processes of `make bench-replicas` on this machine: a MariaDB source (MovieLens 100k) and
registry, Redis db 7, an S3 server (moto, as `tests/s3_server.py` starts it), three `serve` replicas
that are all trainer candidates, and `tune-worker`s on demand.

`Stack.close` kills every process it started (their process groups), drops both databases, empties
Redis db 7 and deletes its temporary folder; `bench/replicas.py` calls it on any exit, Ctrl-C too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from redis import Redis

from bench.common import REPO, free_port, say

MOVIELENS = REPO.parent / "shared" / "data" / "ml-100k"
SOURCE_DB, REGISTRY_DB = "rec_bench_replicas_source", "rec_bench_replicas"
REDIS_URL = "redis://127.0.0.1:6379/7"  # this benchmark's own database number
BUCKET = "rec-bench-replicas"
LEASE_SECONDS = 5
CLI = [sys.executable, "-m", "entrypoints.cli"]
CREDENTIALS = {  # moto takes any; these keep boto3 from looking for real ones
    "AWS_ACCESS_KEY_ID": "bench-access-key",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}
FIRST_VERSIONS = ["--epochs", "10", "--no-components", "32"]


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Stack:
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench_replicas_")))
    s3_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    replicas: list[Replica] = field(default_factory=list)
    prepared: bool = False

    def env(self, data_dir: Path, candidate: bool = True) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("REC_", "OTEL_", "AWS_"))}
        return {
            **base,
            **CREDENTIALS,
            "REC_SOURCE_URL": f"mysql+asyncmy://root@127.0.0.1/{SOURCE_DB}",
            "REC_REGISTRY_URL": f"mysql+asyncmy://root@127.0.0.1/{REGISTRY_DB}",
            "REC_REDIS_URL": REDIS_URL,
            "REC_ARTIFACTS_URL": f"s3://{BUCKET}/artifacts",
            "REC_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "REC_DATA_DIR": str(data_dir),
            "REC_TRAIN_CRON": "0 3 * * *" if candidate else "off",
            "REC_TRAINER_LEASE_SECONDS": str(LEASE_SECONDS),
            "REC_TRAIN_THREADS": "1",
            "REC_HTTP_HOST": "127.0.0.1",
            "REC_LOG_FORMAT": "json",
        }

    # --- before the replicas ---------------------------------------------------------------
    def prepare(self) -> tuple[str, str]:
        """Fresh databases, Redis db 7 emptied, the S3 server and its bucket, MovieLens loaded, two
        versions trained (the first active); their ids."""
        self.prepared = True
        sql = "; ".join(
            f"DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}" for db in (SOURCE_DB, REGISTRY_DB)
        )
        subprocess.run(["mysql", "-h127.0.0.1", "-uroot", "-e", sql], check=True)
        Redis.from_url(REDIS_URL).flushdb()
        self._start_s3()
        env = self.env(self.work / "cli", candidate=False)
        say("bench-replicas: loading MovieLens 100k into MariaDB")
        url = f"mysql://root@127.0.0.1/{SOURCE_DB}"
        self._run([*CLI, "load-movielens", "--dir", str(MOVIELENS), "--url", url, "--replace"], env)
        say("bench-replicas: training two versions (artifacts on the S3 server)")
        first = self._train(env, FIRST_VERSIONS)
        second = self._train(env, [*FIRST_VERSIONS, "--no-activate"])
        return first, second

    def _start_s3(self) -> None:
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)]
        self._spawn(command, self.work / "moto.log", os.environ.copy())
        deadline = time.monotonic() + 30
        while not _listening(self.s3_port):
            if time.monotonic() > deadline:
                raise RuntimeError("the S3 server (moto) did not start")
            time.sleep(0.05)
        import boto3

        keys = {"aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"]}
        keys["aws_secret_access_key"] = CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
        s3 = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{self.s3_port}", region_name="us-east-1", **keys
        )
        s3.create_bucket(Bucket=BUCKET)

    def _train(self, env: dict[str, str], options: list[str]) -> str:
        import json

        done = self._run([*CLI, "train", *options], env)
        return str(json.loads(done.stdout)["model_id"])

    def _run(self, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[2:4])} failed:\n{done.stderr[-3000:]}")
        return done

    # --- the replicas and the workers ------------------------------------------------------
    def start_replicas(self, count: int) -> list[Replica]:
        for number in range(count):
            self.replicas.append(self.start_replica(f"r{number}"))
        for replica in self.replicas:
            wait_ready(replica)
        return self.replicas

    def start_replica(self, name: str) -> Replica:
        port = free_port()
        env = self.env(self.work / name)
        env.update(REC_HTTP_PORT=str(port), REC_GRPC_PORT=str(free_port()))
        log = self.work / f"{name}.log"
        return Replica(name, self._spawn([*CLI, "serve"], log, env), port, log)

    def start_tune_workers(self, count: int) -> list[subprocess.Popen[bytes]]:
        started = []
        for number in range(count):
            env = self.env(self.work / f"worker{number}", candidate=False)
            log = self.work / f"worker{number}.log"
            started.append(self._spawn([*CLI, "tune-worker", "--poll-seconds", "0.5"], log, env))
            deadline = time.monotonic() + 120
            while "tune_worker_started" not in log.read_text(errors="replace"):
                if started[-1].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tune-worker {number} did not start: {log}")
                time.sleep(0.2)
        return started

    def _spawn(self, command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as sink:  # a file: a full pipe would block the process
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    # --- the end ---------------------------------------------------------------------------
    def close(self, keep_logs: bool = False) -> None:
        """Kill, drop, empty; the logs stay (in `work`) when `keep_logs`."""
        for process in self.processes:
            kill(process)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        if self.prepared:
            sql = "; ".join(f"DROP DATABASE IF EXISTS {db}" for db in (SOURCE_DB, REGISTRY_DB))
            subprocess.run(["mysql", "-h127.0.0.1", "-uroot", "-e", sql], check=False)
            with contextlib.suppress(Exception):
                Redis.from_url(REDIS_URL).flushdb()
        if keep_logs:
            say(f"bench-replicas: the processes' logs are in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and its group (a session of its own)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def wait_ready(replica: Replica, seconds: float = 180.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not replica.alive:
            raise RuntimeError(f"{replica.name} exited:\n{replica.log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{replica.url}/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{replica.name} did not become ready; see {replica.log}")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
