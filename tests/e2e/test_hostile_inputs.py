# ruff: noqa: RUF001  (digits of other scripts are the point)
"""Hand-written hostile inputs a schema-driven fuzzer cannot express, over the real app (REST through
httpx on the ASGI app, gRPC through a real server): huge and other-script digits in every id and
number, calendar edges, deep nesting, raw non-ASCII targets, repeated and empty parameters.
Passing means: never a 5xx, and every 4xx carries `{"error", "detail"}`. The same inputs against
real server processes, and the head limits, are in test_server_limits.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from entrypoints.settings import Settings
from protos import recommendations_pb2 as pb
from tests.e2e.asgi_call import call
from tests.e2e.grpc_helpers import Served, expect_status, serve_fake

CODES = {"invalid_argument", "unauthenticated", "forbidden", "not_found", "conflict", "unavailable"}
NUMBERS = [
    "1" * 5000,  # past int()'s 4,300-digit limit
    "9" * 25,  # past 64 bits
    "²",
    "%C2%B2",  # the same, percent-encoded
    "١٢",  # Arabic-Indic
    "１２",  # fullwidth
    "1_0",
    "-1",
    "0",
    "",
    "%00",
    "1e400",
    "nan",
    "inf",
    "0x1f",
    " 1",
]
# (method, path with {v} where the hostile value goes)
TARGETS = [
    ("GET", "/titles/recommendations?user_id={v}"),
    ("GET", "/titles/recommendations?user_id=1&k={v}"),
    ("GET", "/titles/recommendations?user_id=1&exclude={v}"),
    ("GET", "/titles/recommendations?user_id=1&exclude=1,{v},2"),
    ("GET", "/titles/relevant?title_id={v}"),
    ("GET", "/titles/relavant?title_id=1&k={v}"),
    ("GET", "/rec/hot/interact?user_id={v}&title_id=1&int_type=view"),
    ("GET", "/rec/hot/interact?user_id=1&title_id={v}&int_type=view"),
    ("GET", "/rec/hot/interact?user_id=1&title_id=1&int_type=rating&raw_score={v}"),
    ("GET", "/rec/hot/interact?user_id=1&title_id=1&int_type={v}"),
    ("GET", "/admin/train?wait=false&no_components={v}"),
    ("POST", "/admin/train?wait=false&epochs={v}"),
    ("GET", "/admin/train?wait=false&learning_rate={v}"),
    ("GET", "/admin/train?wait=false&item_alpha={v}"),
    ("GET", "/admin/train?wait=false&user_alpha={v}"),
    ("GET", "/admin/train?wait=false&activate={v}"),
    ("GET", "/admin/schedule-training?scheduled_at=2999-01-01T00:00:00Z&epochs={v}"),
    ("POST", "/admin/tune?n_trials={v}"),
    ("POST", "/admin/tune?timeout_seconds={v}"),
    ("PUT", "/admin/blacklist/{v}"),
    ("DELETE", "/admin/blacklist/{v}"),
    ("POST", "/admin/cache/invalidate?user_id={v}"),
    ("GET", "/admin/jobs/{v}"),
    ("GET", "/admin/models/{v}"),
]
DATES = [
    "9999-12-31T23:59:59-12:00",  # past year 9999 in UTC
    "0001-01-01T00:00:00%2B14:00",  # before year 1 in UTC
    "0001-01-01T00:00:00",
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "24:00",
    "1" * 5000,
    "２０３０-01-01T00:00:00Z",
    "",
]
NESTED = ["[" * 50_000 + "]" * 50_000, '{"a":' * 20_000 + "1" + "}" * 20_000]
BODY_ROUTES = [
    ("POST", "/admin/train"),
    ("POST", "/admin/schedule-training?scheduled_at=2999-01-01T00:00:00Z"),
    ("POST", "/rec/hot/interact"),
    ("PUT", "/admin/blacklist/5"),
]
HOSTILE_BODIES = [
    '{"user_id": ' + "1" * 5000 + ', "title_id": 1, "int_type": "view"}',
    '{"user_id": 1e400, "title_id": 1, "int_type": "view"}',
    '{"user_id": 1, "title_id": 1, "int_type": "rating", "raw_score": NaN}',
    '{"epochs": ' + "9" * 30 + "}",
    '{"learning_rate": 1e999}',
    '{"reason": "' + "r" * 100_000 + '"}',
    "\xff\xfe",
    "[]",
    "null",
    '"' + "²" * 1000 + '"',
]


def assert_answered(response: httpx.Response) -> None:
    where = f"{response.request.method} {str(response.request.url)[:120]}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:200]}"
    if response.status_code >= 400:
        body = response.json()
        assert body["error"] in CODES and isinstance(body["detail"], str) and body["detail"], where


@pytest.mark.parametrize(("method", "path"), TARGETS)
async def test_hostile_numbers_in_every_parameter(api: httpx.AsyncClient, method: str, path: str) -> None:
    for value in NUMBERS:
        assert_answered(await api.request(method, path.format(v=value)))


@pytest.mark.parametrize("when", DATES)
async def test_calendar_edges_when_scheduling(api: httpx.AsyncClient, when: str) -> None:
    for method in ("GET", "POST"):
        response = await api.request(method, f"/admin/schedule-training?scheduled_at={when}")
        assert_answered(response)
        assert response.status_code == 400, response.text


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_deeply_nested_and_hostile_json_bodies(api: httpx.AsyncClient, method: str, path: str) -> None:
    json_type = {"content-type": "application/json"}
    for body in NESTED:
        response = await api.request(method, path, content=body, headers=json_type)
        assert_answered(response)
        assert response.status_code == 400
    for body in HOSTILE_BODIES:
        assert_answered(await api.request(method, path, content=body.encode(errors="surrogateescape")))


@pytest.mark.parametrize(
    "query",
    [
        "user_id=1&user_id=2",
        "user_id=1&k=5&k=6",
        "user_id=1&exclude=1&exclude=2",
        "user_id=",
        "user_id",
        "user_id=1&k=",
        "user_id=1&exclude=,,,",
        "user_id=1&exclude=" + ",".join(["1"] * 20_000),
        "user_id=1&" + "&".join(f"x{n}=1" for n in range(2000)),
        "=&=&&",
        "user_id=1%00",
        "user_id=%FF",
    ],
)
async def test_repeated_empty_and_odd_parameters(api: httpx.AsyncClient, query: str) -> None:
    assert_answered(await api.get(f"/titles/recommendations?{query}"))
    assert_answered(await api.get(f"/titles/relevant?{query.replace('user_id', 'title_id')}"))
    assert_answered(await api.get(f"/rec/hot/interact?int_type=view&title_id=1&{query}"))


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/titles/recommendations", "user_id=١٢".encode()),
        ("/titles/recommendations", b"user_id=\xff\xfe"),
        ("/titles/relevant", "title_id=１&k=²".encode()),
        ("/rec/hot/interact", "user_id=1&title_id=1&int_type=vïew".encode()),
        ("/admin/blacklist/١٢", b""),
        ("/titles/récommendations", b"user_id=1"),
    ],
)
async def test_raw_non_ascii_targets(api: httpx.AsyncClient, path: str, query: bytes) -> None:
    # The raw bytes as a server hands them to the app (httpx would percent-encode them): an ASGI
    # scope built by hand, as Granian builds it from a UTF-8 target.
    method = "PUT" if path.startswith("/admin") else "GET"
    status, body = await raw_asgi_call(api, method, path, query)
    assert status < 500, body
    if status >= 400:
        answer = json.loads(body)
        assert answer["error"] in CODES and answer["detail"], answer


async def raw_asgi_call(api: httpx.AsyncClient, method: str, path: str, query: bytes) -> tuple[int, bytes]:
    transport = api._transport
    assert isinstance(transport, httpx.ASGITransport)
    status, _headers, body = await call(transport.app, path, query, method)
    return status, body


@pytest.fixture
async def grpc_served(tmp_path) -> AsyncIterator[Served]:  # type: ignore[no-untyped-def]
    async with serve_fake(Settings(data_dir=tmp_path, train_cron="off")) as running:
        yield running


GRPC_REFUSED = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
}
LONG = "²" * 50_000
GRPC_CALLS: list[tuple[str, Any]] = [
    ("GetUserRecommendations", pb.UserRequest(user_id=-1)),
    ("GetUserRecommendations", pb.UserRequest(user_id=1, k=-1)),
    ("GetUserRecommendations", pb.UserRequest(user_id=1, k=2**31 - 1)),
    ("GetUserRecommendations", pb.UserRequest(user_id=1, exclude=[0, -(2**63), 2**63 - 1])),
    ("GetUserRecommendationsBatch", pb.UserBatchRequest(user_ids=[1, -1])),
    ("GetUserRecommendationsBatch", pb.UserBatchRequest(user_ids=[1] * 5000)),
    ("GetTitleRelevant", pb.TitleRequest(title_id=-(2**63))),
    ("GetTitleRelevant", pb.TitleRequest(title_id=2**63 - 1, k=201)),
    ("RecordInteraction", pb.InteractionRequest(user_id=1, title_id=1, int_type=LONG)),
    (
        "RecordInteraction",
        pb.InteractionRequest(user_id=1, title_id=1, int_type="rating", raw_score=float("nan")),
    ),
    ("RecordInteraction", pb.InteractionRequest(user_id=0, title_id=-1, int_type="")),
    ("TrainModel", pb.TrainRequest(learning_rate=float("inf"))),
    ("TrainModel", pb.TrainRequest(epochs=2**31 - 1)),
    ("TrainModel", pb.TrainRequest(no_components=-(2**31))),
    ("TrainModel", pb.TrainRequest(loss="١", mode=LONG)),
]


@pytest.mark.parametrize(("method", "request_message"), GRPC_CALLS)
async def test_hostile_grpc_requests_are_invalid_arguments(
    grpc_served: Served, method: str, request_message: Any
) -> None:
    call = getattr(grpc_served.stub, method)(request_message, timeout=30)
    error = await expect_status(call, grpc.StatusCode.INVALID_ARGUMENT)
    assert len(error.details()) <= 600  # a refused value is quoted, not echoed whole


async def test_a_long_exclude_list_over_grpc_is_served(grpc_served: Served) -> None:
    request = pb.UserRequest(user_id=1, exclude=list(range(1, 50_000)))
    response = await grpc_served.stub.GetUserRecommendations(request, timeout=30)
    assert not set(response.item_ids) & set(request.exclude)
