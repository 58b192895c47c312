"""What each step of a request costs: the service's ASGI app driven in this process, no server.

Usage: .venv/bin/python -m bench.serve_inprocess [--app service|bare] [--workload uncached|cached|hot]
       [--without 'SET;SET...'] [--rounds 1] [--sweeps 6] [--concurrency 32] [--profile]

The same set-up as `bench.serve` (MovieLens 100k in MariaDB with the recommended index, registry in
MariaDB, Redis db 9, one trained model), then the app built by `create_app_from_env` runs in this
process: each sweep asks `/titles/recommendations` once for every user, `--concurrency` requests at
a time, after `POST /admin/cache/invalidate` for `uncached` (every list computed) or after a warm-up
for `cached`; `hot` sends one `GET /rec/hot/interact` (a `view`) per user instead. Reported: CPU
time of this process per request (user + system; the load generator's share is a few microseconds of
ASGI calls), median and range over the sweeps after the first.

`--app bare` runs `bench.bare_litestar` (the ceiling of `bench.serve`) the same way, cached only.
`--without` replaces steps by no-ops to read their cost as a difference (an ablation, not a way to
run the service): `seen` (the source's seen titles), `hot` (the registry's hot titles), `put` (the
cache write), `fast` (the fast path of the hottest routes: Litestar's routes answer every request),
`ids` (recommendation ids and the count of lists served: every answer gets the same empty id; the
same-run check of their cost, `--workload cached --without ';ids' --rounds 3`).
`--profile` prints a cProfile of the last sweep on CPU time (its overhead inflates small Python
calls several times: read it for where, not for how much).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import serve_processes as sp
from bench.common import say
from bench.serve import prepare
from bench.serve_wrk import TITLES, USERS

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


async def ask(app: App, method: str, path: str, query: str = "") -> tuple[int, bytes]:
    """One HTTP request straight into the ASGI app; its status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),  # loopback: admin routes answer without a token
        "server": ("127.0.0.1", 80),
    }
    status, body = 0, []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


def without(steps: set[str]) -> Callable[[], None]:
    """Replace the named steps by no-ops in this process (classes patched before the app is built);
    returns what puts them back."""
    from adapters.cache.redis_cache import RedisRecommendationCache
    from adapters.registry.sqlalchemy_events import SqlAlchemyHotEventStore
    from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
    from application.list_tracker import ListTracker
    from entrypoints.http import app as http_app

    async def no_titles(_self: object, _user_id: int) -> frozenset[int]:
        return frozenset()

    async def no_write(_self: object, _key: object, _value: object) -> None:
        return None

    patches: dict[str, tuple[object, str, Any]] = {
        "seen": (SqlAlchemyInteractionSource, "seen_titles", no_titles),
        "hot": (SqlAlchemyHotEventStore, "titles_of_user", no_titles),
        "put": (RedisRecommendationCache, "put", no_write),
        "fast": (http_app, "with_fast_path", lambda app, *_: app),
        "ids": (ListTracker, "served", lambda _self, *_: ""),
    }
    unknown = steps - patches.keys()
    if unknown:
        raise SystemExit(f"--without: unknown step(s) {sorted(unknown)}; known: {sorted(patches)}")
    saved = [(cls, name, getattr(cls, name)) for cls, name, _ in (patches[step] for step in steps)]
    for step in steps:
        cls, name, replacement = patches[step]
        setattr(cls, name, replacement)

    def restore() -> None:
        for cls, name, original in saved:
            setattr(cls, name, original)

    return restore


async def sweeps(app: App, args: argparse.Namespace, users: int) -> list[float]:
    """CPU seconds per request of each sweep."""
    gate = asyncio.Semaphore(args.concurrency)

    async def one(user_id: int) -> bool:
        async with gate:
            if args.workload == "hot":
                title = 1 + (user_id * 7919 + number * 104729) % TITLES
                query = f"user_id={user_id}&title_id={title}&int_type=view"
                status, body = await ask(app, "GET", "/rec/hot/interact", query)
                if status != 202:
                    raise SystemExit(f"user {user_id}: HTTP {status} {body[:200]!r}")
                return False
            status, body = await ask(app, "GET", "/titles/recommendations", f"user_id={user_id}&k=10")
        if status != 200:
            raise SystemExit(f"user {user_id}: HTTP {status} {body[:200]!r}")
        return bool(json.loads(body)["cached"])

    per_request = []
    number = 0
    for number in range(args.sweeps):
        if args.workload == "uncached":
            status, body = await ask(app, "POST", "/admin/cache/invalidate")
            if status >= 300:
                raise SystemExit(f"invalidate: HTTP {status} {body[:200]!r}")
        profile = cProfile.Profile(time.process_time) if args.profile and number == args.sweeps - 1 else None
        if profile:
            profile.enable()
        started = time.process_time()
        cached = await asyncio.gather(*(one(user) for user in range(1, users + 1)))
        per_request.append((time.process_time() - started) / users)
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        hits = sum(cached)
        say(f"sweep {number + 1}: {1e6 * per_request[-1]:.0f} us CPU per request, {hits}/{users} cached")
    return per_request[1:]  # the first sweep warms the process


async def serve(args: argparse.Namespace, users: int) -> list[float]:
    from bench.bare_litestar import create_app as create_bare_app
    from entrypoints.http.app import create_app_from_env

    app: Any = create_bare_app() if args.app == "bare" else create_app_from_env()
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise SystemExit(f"the app did not start: {started}")
    gc.freeze()  # as `make serve-http` does after start
    try:
        if args.workload == "cached":
            await asyncio.gather(
                *(ask(app, "GET", "/titles/recommendations", f"user_id={u}") for u in range(1, users + 1))
            )
        return await sweeps(app, args, users)
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await lifespan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=["cached", "uncached", "hot"], default="uncached")
    parser.add_argument(
        "--app", choices=["service", "bare"], default="service", help="bare: the ceiling of bench.serve"
    )
    parser.add_argument(
        "--without",
        default="",
        help="comma-separated steps: seen, hot, put, fast, ids; several sets separated by ';' run in turn, "
        "an empty set is the whole path (e.g. ';put;seen,hot;seen,hot,put')",
    )
    parser.add_argument("--rounds", type=int, default=1, help="how many times to run every set, interleaved")
    parser.add_argument("--sweeps", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.app == "bare" and (args.workload == "uncached" or args.without):
        parser.error("the bare app has no cache and no steps: use --app bare --workload cached")
    sets = [frozenset(step for step in chosen.split(",") if step) for chosen in args.without.split(";")]
    figures: dict[frozenset[str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-inprocess-") as tmp:
        say("bench.serve_inprocess: loading MovieLens 100k into MariaDB and training")
        prepare(Path(tmp), None, covering_index=True)
        os.environ.update(sp.service_env(Path(tmp)))
        for _ in range(args.rounds):
            for steps in sets:
                say(f"{args.workload}, without: {', '.join(sorted(steps)) or 'nothing'}")
                restore = without(set(steps))
                try:
                    figures.setdefault(steps, []).extend(asyncio.run(serve(args, USERS)))
                finally:
                    restore()
    for steps, found in figures.items():
        label = f"{args.app}, {args.workload}" + (f", without {', '.join(sorted(steps))}" if steps else "")
        low, median, high = (1e6 * value for value in (min(found), statistics.median(found), max(found)))
        print(f"{label}: {median:.0f} us CPU per request ({low:.0f}-{high:.0f})")


if __name__ == "__main__":
    main()
