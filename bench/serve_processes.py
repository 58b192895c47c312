"""The processes of the serving benchmark: the service as production runs it, the ceilings, the floor.

Every server is its own process on loopback with its log under `LOGS`; `Servers` stops them all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx

from bench.common import REPO, free_port

BIN = Path(sys.executable).parent
LOGS = Path("/tmp/bench_serve_logs")
MOVIELENS = REPO.parent / "shared" / "data" / "ml-100k"
SOURCE_DB = "rec_bench_ml100k"
REGISTRY_DB = "rec_bench_serve_registry"
REDIS_URL = "redis://127.0.0.1:6379/9"
BEFORE_REDIS_URL = "redis://127.0.0.1:6379/10"  # the older tree's service in a before/after run
# The other services of a run, each on its own Redis database: services sharing one are replicas of
# each other (the replicas' channel), and every hot event sent to one would be folded in by the others
# too, on the same two cores. A/A on 2026-12-03 (the same tree as service and as "before", which is
# alone on db 10): 598 against 1,226 hot events/s with the siblings on db 9. Replicas' cost is
# `make bench-replicas`'s to measure. The gRPC service fills its own cache (`warm_grpc`).
NOMETRICS_REDIS_URL = "redis://127.0.0.1:6379/14"
GRPC_REDIS_URL = "redis://127.0.0.1:6379/4"


def service_env(data_dir: Path) -> dict[str, str]:
    """The service's configuration: MariaDB source and registry, Redis cache, no daily training."""
    return {
        "REC_SOURCE_URL": f"mysql+asyncmy://root@127.0.0.1/{SOURCE_DB}",
        "REC_REGISTRY_URL": f"mysql+asyncmy://root@127.0.0.1/{REGISTRY_DB}",
        "REC_REDIS_URL": REDIS_URL,
        "REC_DATA_DIR": str(data_dir),
        "REC_TRAIN_CRON": "off",  # nothing trains during the benchmark
        "REC_LOG_FORMAT": "json",
    }


def code_env(root: Path | None) -> dict[str, str]:
    """Import the project from `root` (ahead of this tree's editable install) when given."""
    return {"PYTHONPATH": str(root)} if root else {}


def granian(app: str, port: int | str = "{port}") -> list[str]:
    """`make serve-http`'s command line."""
    command = [
        str(BIN / "granian"),
        "--interface",
        "asgi",
        "--factory",
        "--workers",
        "1",
        "--http1-buffer-size",
        "131072",
    ]
    return [*command, "--host", "127.0.0.1", "--port", str(port), app]


def uvicorn(app: str, port: int | str = "{port}") -> list[str]:
    command = [str(BIN / "uvicorn"), "--factory", app, "--loop", "uvloop", "--http", "httptools"]
    return [*command, "--no-access-log", "--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)]


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    kind: str  # http | grpc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process and its children so far."""
        return sum(process_cpu_seconds(pid) for pid in self.worker_pids())

    def worker_pids(self) -> list[int]:
        """The process and its children (Granian serves from a child process)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        found = children.read_text().split() if children.exists() else []
        return [self.process.pid, *map(int, found)]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def database_pid() -> int | None:
    """The local MariaDB/MySQL server's process, to charge its CPU to the workload."""
    for status in Path("/proc").glob("[0-9]*/comm"):
        try:
            if status.read_text().strip() in ("mariadbd", "mysqld"):
                return int(status.parent.name)
        except OSError:
            continue
    return None


@dataclass
class Servers:
    env: dict[str, str]
    started: list[Server] = field(default_factory=list)

    def start(
        self,
        name: str,
        command: list[str],
        kind: str = "http",
        root: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Server:
        """Start `command` ("{port}" replaced by a free port); with `root`, the service's code is
        imported from that tree instead of this one (for a before/after comparison); `extra_env`
        on top of the shared configuration."""
        LOGS.mkdir(exist_ok=True)
        port = free_port()
        command = [part.replace("{port}", str(port)) for part in command]
        env = {**os.environ, **self.env, "REC_HTTP_PORT": str(port), "REC_GRPC_PORT": str(port)}
        env.update(code_env(root))
        env.update(extra_env or {})
        with (LOGS / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                command, cwd=root or REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        server = Server(name, process, port, kind)
        self.started.append(server)
        return server

    def wait_ready(self, timeout: float = 180.0) -> None:
        for server in self.started:
            deadline = time.monotonic() + timeout
            while not _ready(server):
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{server.name} did not start; see {LOGS / server.name}.log")
                time.sleep(0.2)

    def stop(self) -> None:
        for server in self.started:
            if server.process.poll() is None:
                server.process.terminate()
        for server in self.started:
            try:
                server.process.wait(30)
            except subprocess.TimeoutExpired:
                server.process.kill()


def warm_grpc(server: Server, users: int) -> None:
    """Fill the gRPC service's own cache (its own Redis database): every user once, in batches."""
    from protos import recommendations_pb2 as pb
    from protos import recommendations_pb2_grpc as pb_grpc

    with grpc.insecure_channel(server.target) as channel:
        stub = pb_grpc.RecommenderStub(channel)
        for start in range(1, users + 1, 200):
            ids = list(range(start, min(start + 200, users + 1)))
            stub.GetUserRecommendationsBatch(pb.UserBatchRequest(user_ids=ids), timeout=60)


def _ready(server: Server) -> bool:
    if server.kind == "grpc":
        with grpc.insecure_channel(server.target) as channel:
            try:
                grpc.channel_ready_future(channel).result(timeout=1)
            except grpc.FutureTimeoutError:
                return False
            return True
    try:
        return httpx.get(f"{server.url}/health/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
