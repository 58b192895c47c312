"""The soak's request mix: valid REST and gRPC traffic beside hostile requests, each one recorded.

Every request is (kind, valid, status, milliseconds). A REST status of 500 or more, or a gRPC code
of INTERNAL, UNKNOWN or DATA_LOSS, is a server error whatever was sent; hostile requests must be
refused with a 4xx (or INVALID_ARGUMENT), and a hostile request answered 2xx counts as wrong too.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
import httpx

from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc

USERS = 943  # MovieLens 100k
TITLES = 1682
GRPC_SERVER_ERRORS = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS}
MIB = 1024 * 1024


@dataclass
class Window:
    """What one stretch of the run recorded."""

    started: float
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    wrong_answers: int = 0  # a hostile request that was accepted

    def record(self, kind: str, valid: bool, ok: bool, server_error: bool, ms: float) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if valid:
            self.latencies_ms.setdefault(kind, []).append(ms)
        self.server_errors += server_error
        self.wrong_answers += (not valid) and ok

    @property
    def requests(self) -> int:
        return sum(self.counts.values())


RestRequest = tuple[str, str, str, dict[str, str], bytes | None]
"""kind, method, path, headers, body (the path carries the query string)."""


def valid_rest(rng: random.Random) -> RestRequest:
    roll = rng.random()
    if roll < 0.45:  # warm users: mostly cached lists
        return "rest_cached", "GET", f"/titles/recommendations?user_id={rng.randint(1, USERS)}", {}, None
    if roll < 0.60:  # unknown users, each new: a miss answered from the popular list, then cached
        user = rng.randint(10_000, 10**12)
        return "rest_uncached", "GET", f"/titles/recommendations?user_id={user}&k=20", {}, None
    if roll < 0.80:
        return "rest_relevant", "GET", f"/titles/relevant?title_id={rng.randint(1, TITLES)}", {}, None
    event = {"user_id": rng.randint(1, USERS), "title_id": rng.randint(1, TITLES), "int_type": "view"}
    headers = {"content-type": "application/json"}
    return "rest_hot", "POST", "/rec/hot/interact", headers, json.dumps(event).encode()


def hostile_rest(rng: random.Random) -> RestRequest:
    """A request the service must refuse with 4xx and the error body."""
    choices: list[Callable[[], RestRequest]] = [
        lambda: ("hostile", "GET", "/titles/recommendations?user_id=" + "9" * 5000, {}, None),
        lambda: ("hostile", "GET", "/titles/recommendations?user_id=1&exclude=%C2%B2", {}, None),
        lambda: ("hostile", "GET", "/titles/relevant?title_id=0&k=500", {}, None),
        lambda: ("hostile", "GET", "/rec/hot/interact?user_id=1&title_id=2&int_type=nope", {}, None),
        lambda: ("hostile", "POST", "/rec/hot/interact", {"content-type": "application/json"}, b"[" * 50_000),
        lambda: (
            "hostile",
            "POST",
            "/rec/hot/interact",
            {"content-type": "application/json"},
            b"{" + b" " * MIB,
        ),
        lambda: ("hostile", "GET", "/health", {f"x-filler-{n}": "f" * 700 for n in range(99)}, None),
        lambda: (
            "hostile",
            "GET",
            "/admin/schedule-training?scheduled_at=9999-12-31T23:59:59-12:00",
            {},
            None,
        ),
    ]
    return rng.choice(choices)()


async def rest_worker(
    client: httpx.AsyncClient, seed: int, hostile_share: float, until: float, window: Callable[[], Window]
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        valid = rng.random() >= hostile_share
        kind, method, path, headers, body = valid_rest(rng) if valid else hostile_rest(rng)
        started = time.perf_counter()
        try:
            answer = await client.request(method, path, headers=headers, content=body)
            status = answer.status_code
        except httpx.HTTPError:
            status = 599  # no answer at all: counted as a server error
        ms = (time.perf_counter() - started) * 1000
        window().record(kind, valid, status < 400, status >= 500, ms)


def grpc_call(stub: pb_grpc.RecommenderStub, rng: random.Random) -> tuple[str, bool, object]:
    """kind, valid, the pending call."""
    roll = rng.random()
    if roll < 0.1:  # hostile: a list size past 200
        return (
            "hostile_grpc",
            False,
            stub.GetUserRecommendations(pb.UserRequest(user_id=1, k=500), timeout=10),
        )
    if roll < 0.6:
        request = pb.UserRequest(user_id=rng.randint(1, USERS))
        return "grpc_user", True, stub.GetUserRecommendations(request, timeout=10)
    if roll < 0.85:
        request_t = pb.TitleRequest(title_id=rng.randint(1, TITLES))
        return "grpc_relevant", True, stub.GetTitleRelevant(request_t, timeout=10)
    event = pb.InteractionRequest(
        user_id=rng.randint(1, USERS), title_id=rng.randint(1, TITLES), int_type="view"
    )
    return "grpc_hot", True, stub.RecordInteraction(event, timeout=10)


async def grpc_worker(
    stub: pb_grpc.RecommenderStub, seed: int, until: float, window: Callable[[], Window]
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        kind, valid, call = grpc_call(stub, rng)
        started = time.perf_counter()
        try:
            await call  # type: ignore[misc]
            code = grpc.StatusCode.OK
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
        ms = (time.perf_counter() - started) * 1000
        window().record(kind, valid, code is grpc.StatusCode.OK, code in GRPC_SERVER_ERRORS, ms)


async def drive(
    base_url: str,
    grpc_target: str,
    seconds: float,
    rest: int,
    grpc_calls: int,
    hostile_share: float,
    window: Callable[[], Window],
) -> None:
    """`rest` REST connections and `grpc_calls` gRPC calls in flight until `seconds` have passed."""
    until = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=rest, max_keepalive_connections=rest)
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client,
        grpc.aio.insecure_channel(grpc_target) as channel,
    ):
        stub = pb_grpc.RecommenderStub(channel)
        await asyncio.gather(
            *(rest_worker(client, n, hostile_share, until, window) for n in range(rest)),
            *(grpc_worker(stub, 1000 + n, until, window) for n in range(grpc_calls)),
        )
