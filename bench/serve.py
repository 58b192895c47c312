"""Serving throughput and latency: the service as production runs it, against bare ceilings and a floor.

Usage: .venv/bin/python -m bench.serve [--seconds 8] [--rounds 3] [--profile KEY] [--only KEYS]
       [--contract-schema] [--service-root DIR]

MovieLens 100k is loaded into MariaDB by the project's loader (with the README's recommended
`(user_id, title_id)` index unless `--contract-schema`) and trained by `rec-service train`;
the REST service runs exactly as `make serve-http` (Granian, one worker) and gRPC as
`make serve-grpc`, both configured by REC_* with Redis as the cache. Load comes from other
processes on loopback: `wrk` (one thread, 32 connections) for HTTP, `bench.serve_grpc_load` (32
calls in flight) for gRPC. Ceilings, same run, same machine: a bare Litestar app with constant
answers under Granian and under uvicorn (uvloop, httptools), a bare `grpc.aio` servicer, and (for
the read routes, which the service answers before Litestar's routing) a framework-free ASGI function
with the same answers under Granian (`bench/bare_asgi.py`, its own ratio column); the floor:
a naive server calling `LightFM.predict` per request. Workloads run in rounds, interleaved; each row
shows its best round (the least disturbed by other work on the machine) and three ratios to its
ceiling (see `table`), with the server's and the local MariaDB's CPU per request. `--profile KEY`
records py-spy stacks of that workload's server during its first round into /tmp/bench_serve_logs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from redis import Redis

from adapters.source.queries import SEEN_INDEX_STATEMENT
from bench import serve_processes as sp
from bench.common import REPO, say
from bench.serve_wrk import TITLES, USERS, Load, run_wrk, script

HTTP = ("bare-granian", "bare-uvicorn")
CEILING_REC = tuple(f"{server}:users" for server in HTTP)


@dataclass(frozen=True, slots=True)
class Workload:
    key: str
    label: str
    server: str
    kind: str  # a wrk workload, or "grpc"
    ceiling: tuple[str, ...] = ()
    warm: str | None = None  # "users" or "titles": fill the cache first
    bare_asgi: str | None = None  # the framework-free ceiling of the same route, for its own ratio
    batch: int = 0  # gRPC: users per GetUserRecommendationsBatch call (0: single calls)


WORKLOADS = (
    Workload(
        "bare-granian:users", "bare Litestar, Granian: /titles/recommendations", "bare-granian", "users"
    ),
    Workload(
        "service:cached",
        "service: recommendations, cached",
        "service",
        "users",
        CEILING_REC,
        "users",
        "bare-asgi:users",
    ),
    Workload(
        "service-nometrics:cached",
        "service, REC_METRICS=off: recommendations, cached",
        "service-nometrics",
        "users",
        CEILING_REC,
        "users",
        "bare-asgi:users",
    ),
    Workload(
        "bare-uvicorn:users", "bare Litestar, uvicorn: /titles/recommendations", "bare-uvicorn", "users"
    ),
    Workload(
        "service:uncached",
        "service: recommendations, uncached",
        "service",
        "users_sweep",
        CEILING_REC,
        bare_asgi="bare-asgi:users",
    ),
    Workload("naive:users", "floor: LightFM.predict per request", "naive", "users", CEILING_REC),
    Workload("bare-asgi:users", "bare ASGI, Granian: /titles/recommendations", "bare-asgi", "users"),
    Workload("bare-granian:titles", "bare Litestar, Granian: /titles/relevant", "bare-granian", "titles"),
    Workload(
        "service:relevant",
        "service: /titles/relevant, cached",
        "service",
        "titles",
        ("bare-granian:titles", "bare-uvicorn:titles"),
        "titles",
        "bare-asgi:titles",
    ),
    Workload("bare-uvicorn:titles", "bare Litestar, uvicorn: /titles/relevant", "bare-uvicorn", "titles"),
    Workload("bare-asgi:titles", "bare ASGI, Granian: /titles/relevant", "bare-asgi", "titles"),
    Workload("bare-granian:hot", "bare Litestar, Granian: /rec/hot/interact", "bare-granian", "hot"),
    Workload(
        "service:hot",
        "service: GET /rec/hot/interact",
        "service",
        "hot",
        ("bare-granian:hot", "bare-uvicorn:hot"),
    ),
    Workload("bare-uvicorn:hot", "bare Litestar, uvicorn: /rec/hot/interact", "bare-uvicorn", "hot"),
    Workload("bare-grpc", "bare grpc.aio: GetUserRecommendations", "bare-grpc", "grpc"),
    Workload(
        "service-grpc",
        "service gRPC: GetUserRecommendations, cached",
        "grpc",
        "grpc",
        ("bare-grpc",),
        "users",
    ),
    # Batches: `requests` counts users (lists), so the ratio reads "users/s of REST cached req/s".
    Workload(
        "service-grpc:batch50",
        "service gRPC: GetUserRecommendationsBatch of 50, cached (users/s; ceiling: REST cached)",
        "grpc",
        "grpc",
        ("service:cached",),
        "users",
        batch=50,
    ),
    Workload(
        "service-grpc:batch200",
        "service gRPC: GetUserRecommendationsBatch of 200, cached (users/s; ceiling: REST cached)",
        "grpc",
        "grpc",
        ("service:cached",),
        "users",
        batch=200,
    ),
)

BEFORE_KEYS = ("service:cached", "service:uncached", "service:hot")
"""With --before-root: these workloads run on the older tree too, interleaved with this one's."""


def with_before(workloads: list[Workload]) -> list[Workload]:
    """Each BEFORE_KEYS workload followed by the same on the service of the older tree."""
    out: list[Workload] = []
    for w in workloads:
        out.append(w)
        if w.key in BEFORE_KEYS:
            key = w.key.replace("service:", "before:")
            out.append(replace(w, key=key, label=f"before: {w.label}", server="service-before"))
    return out


# The service's REST factory: the one `make serve-http` uses, or (for an older tree given by
# --service-root, before the head limits existed) the plain one.
LIMITED_FACTORY = "entrypoints.http.head_limits:create_limited_app_from_env"
PLAIN_FACTORY = "entrypoints.http.app:create_app_from_env"


def prepare(data_dir: Path, root: Path | None, covering_index: bool) -> str:
    """Source and registry in MariaDB, an empty Redis database, one trained model; its id.

    With `covering_index`, the source also gets the index the README recommends to operators
    (`SEEN_INDEX_STATEMENT`); without it, the default schema as it is.
    """
    sql = f"DROP DATABASE IF EXISTS {sp.REGISTRY_DB}; CREATE DATABASE {sp.REGISTRY_DB}; "
    subprocess.run(
        ["mysql", "-h127.0.0.1", "-uroot", "-e", sql + f"CREATE DATABASE IF NOT EXISTS {sp.SOURCE_DB}"],
        check=True,
    )
    cli = [sys.executable, "-m", "entrypoints.cli"]
    url = f"mysql://root@127.0.0.1/{sp.SOURCE_DB}"
    load = [*cli, "load-movielens", "--dir", str(sp.MOVIELENS), "--url", url, "--replace"]
    env = {**os.environ, **sp.service_env(data_dir), **sp.code_env(root)}
    subprocess.run(load, cwd=root or REPO, env=env, check=True, capture_output=True)
    # The loader's --replace keeps the tables (and their indexes): set the index state either way.
    indexes = "ALTER TABLE interactions DROP INDEX IF EXISTS ix_interactions_user_title; "  # MariaDB
    if covering_index:
        indexes += SEEN_INDEX_STATEMENT
    subprocess.run(["mysql", "-h127.0.0.1", "-uroot", sp.SOURCE_DB, "-e", indexes], check=True)
    for url in (sp.REDIS_URL, sp.NOMETRICS_REDIS_URL, sp.GRPC_REDIS_URL):
        Redis.from_url(url).flushdb()
    done = subprocess.run([*cli, "train"], cwd=root or REPO, env=env, check=True, capture_output=True)
    return str(json.loads(done.stdout)["model_id"])


def prepare_before(data_dir: Path, root: Path) -> dict[str, str]:
    """The older tree's own registry, data directory and Redis database (its schema and cache
    format may differ), over the same source; one model trained by its own CLI. Its settings."""
    registry = f"{sp.REGISTRY_DB}_before"
    sql = f"DROP DATABASE IF EXISTS {registry}; CREATE DATABASE {registry}"
    subprocess.run(["mysql", "-h127.0.0.1", "-uroot", "-e", sql], check=True)
    env = {
        **sp.service_env(data_dir),
        "REC_REGISTRY_URL": f"mysql+asyncmy://root@127.0.0.1/{registry}",
        "REC_REDIS_URL": sp.BEFORE_REDIS_URL,
    }
    Redis.from_url(sp.BEFORE_REDIS_URL).flushdb()
    cli = [sys.executable, "-m", "entrypoints.cli", "train"]
    full_env = {**os.environ, **env, **sp.code_env(root)}
    subprocess.run(cli, cwd=root, env=full_env, check=True, capture_output=True)
    return env


def _factory(root: Path | None) -> list[str]:
    limited = (root or REPO) / "entrypoints" / "http" / "head_limits.py"
    return sp.granian(LIMITED_FACTORY if limited.exists() else PLAIN_FACTORY)


def start_all(
    servers: sp.Servers, root: Path | None, before: tuple[Path, dict[str, str]] | None = None
) -> dict[str, sp.Server]:
    bare = "bench.bare_litestar:create_app"
    grpc_service = [sys.executable, "-m", "entrypoints.cli", "serve-grpc"]
    factory = _factory(root)
    started = {
        "service": servers.start("service", factory, root=root),
        "service-nometrics": servers.start(
            "service-nometrics",
            factory,
            root=root,
            extra_env={"REC_METRICS": "off", "REC_REDIS_URL": sp.NOMETRICS_REDIS_URL},
        ),
        "grpc": servers.start(
            "service-grpc", grpc_service, "grpc", root=root, extra_env={"REC_REDIS_URL": sp.GRPC_REDIS_URL}
        ),
        "bare-granian": servers.start("bare-granian", sp.granian(bare)),
        "bare-uvicorn": servers.start("bare-uvicorn", sp.uvicorn(bare)),
        "bare-asgi": servers.start("bare-asgi", sp.granian("bench.bare_asgi:create_app")),
        "naive": servers.start("naive", sp.granian("bench.bare_naive:create_app")),
        "bare-grpc": servers.start("bare-grpc", [sys.executable, "-m", "bench.bare_grpc", "{port}"], "grpc"),
    }
    if before is not None:
        before_root, env = before
        started["service-before"] = servers.start(
            "service-before", _factory(before_root), root=before_root, extra_env=env
        )
    return started


def warm(url: str, what: str) -> None:
    path, name, count = (
        ("/titles/recommendations", "user_id", USERS)
        if what == "users"
        else ("/titles/relevant", "title_id", TITLES)
    )
    with httpx.Client(base_url=url, timeout=30) as client:
        for subject in range(1, count + 1):
            client.get(path, params={name: subject})


def run(
    workload: Workload, server: sp.Server, service_url: str, folder: Path, seconds: float, profile: bool
) -> Load:
    own = server.kind == "http" and workload.server.startswith("service")
    rest = server.url if own else service_url
    if workload.warm and workload.kind == "grpc":
        sp.warm_grpc(server, USERS)  # its own cache: no other service shares its Redis database
    elif workload.warm:
        warm(rest, workload.warm)
    if workload.kind == "users_sweep":
        httpx.post(f"{rest}/admin/cache/invalidate", timeout=30).raise_for_status()
    recorder = _profile(server, workload.key, seconds) if profile else None
    database = sp.database_pid()
    cpu_before = server.cpu_seconds()
    db_before = sp.process_cpu_seconds(database) if database else 0.0
    if workload.kind == "grpc":
        command = [
            sys.executable,
            "-m",
            "bench.serve_grpc_load",
            server.target,
            str(seconds),
            "32",
            str(USERS),
            str(workload.batch),
        ]
        out = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout
        result = Load(**json.loads(out))
    else:
        counted = workload.server.startswith("service") and workload.kind.startswith("users")
        result = run_wrk(server.url, script(folder, workload.kind, counted), seconds)
    cpu = server.cpu_seconds() - cpu_before
    db_cpu = sp.process_cpu_seconds(database) - db_before if database else 0.0
    if recorder is not None:
        recorder.wait()
    return replace(result, cpu_seconds=cpu, db_cpu_seconds=db_cpu)


def _profile(server: sp.Server, key: str, seconds: float) -> subprocess.Popen[bytes]:
    worker = server.worker_pids()[-1]
    out = sp.LOGS / f"profile_{key.replace(':', '_')}.txt"
    command = [str(sp.BIN / "py-spy"), "record", "-p", str(worker), "-d", str(int(seconds)), "-r", "250"]
    return subprocess.Popen(
        [*command, "-f", "raw", "--nonblocking", "-o", str(out)], stdout=subprocess.DEVNULL
    )


def table(rounds: dict[str, list[Load]], model_id: str, workloads: list[Workload]) -> str:
    """One row per workload: its best round; ratios to the best ceiling of the same route.

    "best/best" divides the best round by the ceiling's best round (rounds may differ); "paired"
    divides each round by the ceiling measured minutes before it in the same round, median and
    range over the rounds; "by CPU" divides the ceiling's least server CPU per request by the
    workload's, with the ceiling under the same server (the steadiest on a shared machine).
    """
    best = {key: max(loads, key=lambda load: load.rps) for key, loads in rounds.items()}
    lines = [
        f"Model {model_id} (MovieLens 100k, default parameters). Best of the rounds per row.",
        "",
        "| workload | req/s | p50 ms | p99 ms | errors | cached share | server CPU per request | "
        "MariaDB CPU per request | ratio best/best | ratio paired: median (range) | ratio by CPU | "
        "to bare ASGI: best/best, by CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in workloads:
        load = best[w.key]
        share = "" if load.hit_share is None else f"{100 * load.hit_share:.0f} %"
        figures = f"{load.rps:,.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} | {load.errors}"
        cpu = f"{1e6 * cpu_per_request(load):,.0f} us" if load.requests else ""
        db = f"{1e6 * load.db_cpu_seconds / load.requests:,.0f} us" if load.requests else ""
        ratios = _ratios(w, rounds) if w.ceiling else ["(ceiling)"] * 3
        ratios.append(_asgi_ratios(w, rounds))
        lines.append(f"| {w.label} | {figures} | {share} | {cpu} | {db} | {' | '.join(ratios)} |")
    metrics_cost = _metrics_cost(rounds)
    if metrics_cost:
        lines += ["", metrics_cost]
    return "\n".join(lines)


def _metrics_cost(rounds: dict[str, list[Load]]) -> str:
    """Cached recommendations with metrics against the same service with REC_METRICS=off."""
    on, off = rounds.get("service:cached"), rounds.get("service-nometrics:cached")
    if not on or not off:
        return ""
    best = max(load.rps for load in on) / max(load.rps for load in off)
    paired = sorted(a.rps / b.rps for a, b in zip(on, off, strict=False))
    by_cpu = min(map(cpu_per_request, off)) / min(map(cpu_per_request, on))
    return (
        f"Cached recommendations with metrics / with REC_METRICS=off: {best:.3f} best/best, "
        f"{statistics.median(paired):.3f} paired median ({paired[0]:.3f}-{paired[-1]:.3f}), "
        f"{by_cpu:.3f} by CPU."
    )


def cpu_per_request(load: Load) -> float:
    return load.cpu_seconds / load.requests if load.requests else float("inf")


def _ratios(w: Workload, rounds: dict[str, list[Load]]) -> list[str]:
    ceilings = [rounds[c] for c in w.ceiling if c in rounds]
    if not ceilings:
        return ["(not run)"] * 3
    mine = rounds[w.key]
    best_ceiling = max(load.rps for loads in ceilings for load in loads)
    best_best = max(load.rps for load in mine) / best_ceiling
    paired = sorted(
        load.rps / max(loads[i].rps for loads in ceilings if i < len(loads))
        for i, load in enumerate(mine)
        if any(i < len(loads) for loads in ceilings)
    )
    median = statistics.median(paired)
    same_server = rounds.get(w.ceiling[0], [])  # CPU compares like with like: the same server
    least_cpu = min((cpu_per_request(load) for load in same_server), default=float("nan"))
    by_cpu = least_cpu / min(cpu_per_request(load) for load in mine)
    return [f"{best_best:.2f}", f"{median:.2f} ({paired[0]:.2f}-{paired[-1]:.2f})", f"{by_cpu:.2f}"]


def _asgi_ratios(w: Workload, rounds: dict[str, list[Load]]) -> str:
    """The workload against the framework-free ceiling of its route (best/best, by CPU)."""
    if w.bare_asgi is None or w.bare_asgi not in rounds:
        return ""
    mine, ceiling = rounds[w.key], rounds[w.bare_asgi]
    best_best = max(load.rps for load in mine) / max(load.rps for load in ceiling)
    by_cpu = min(map(cpu_per_request, ceiling)) / min(map(cpu_per_request, mine))
    return f"{best_best:.2f}, {by_cpu:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default=None, help="workload key, e.g. service:cached")
    parser.add_argument("--only", default=None, help="comma-separated workload keys")
    parser.add_argument(
        "--service-root", type=Path, default=None, help="run the service from this source tree (before/after)"
    )
    parser.add_argument(
        "--before-root",
        type=Path,
        default=None,
        help="also run the cached, uncached and hot workloads on the service of this older tree, "
        "interleaved (a before/after in one run)",
    )
    parser.add_argument(
        "--contract-schema",
        action="store_true",
        help="leave out the recommended (user_id, title_id) index of the source's interactions",
    )
    args = parser.parse_args()
    chosen = [w for w in WORKLOADS if not args.only or w.key in args.only.split(",")]
    if args.before_root:
        chosen = with_before(chosen)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        folder = Path(tmp)
        say("bench.serve: loading MovieLens 100k into MariaDB and training")
        model_id = prepare(folder, args.service_root, covering_index=not args.contract_schema)
        before = None
        if args.before_root:
            say(f"bench.serve: training on the older tree {args.before_root}")
            before = (args.before_root, prepare_before(folder / "before", args.before_root))
        servers = sp.Servers(sp.service_env(folder))
        try:
            started = start_all(servers, args.service_root, before)
            servers.wait_ready()
            rounds: dict[str, list[Load]] = {}
            for round_number in range(args.rounds):
                for w in chosen:
                    profile = round_number == 0 and w.key == args.profile
                    load = run(w, started[w.server], started["service"].url, folder, args.seconds, profile)
                    cpu = 100 * load.cpu_seconds / load.seconds
                    figures = f"{load.rps:,.0f} req/s, p50 {load.p50_ms:.2f} ms, server CPU {cpu:.0f} %"
                    say(f"round {round_number + 1} {w.key}: {figures}")
                    rounds.setdefault(w.key, []).append(load)
        finally:
            servers.stop()
    schema = "the contract's only" if args.contract_schema else "the contract's + (user_id, title_id)"
    say(f"source indexes: {schema}")
    print(table(rounds, model_id, chosen))


if __name__ == "__main__":
    main()
