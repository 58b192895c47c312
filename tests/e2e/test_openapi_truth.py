"""The served OpenAPI schema against CONTRACT.md section 4: every route's statuses, the error body
on each 4xx/5xx, the success bodies, and the bounds of every parameter.

The fuzzer (test_fuzz_schema.py) checks that the service answers only what this schema says; this
file checks that the schema says what the contract says. A route added without its documented
errors (`entrypoints/http/documented_errors.errors`) fails `test_every_route_documents_...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from domain.ids import MAX_ID, MAX_K
from entrypoints.http.documented_errors import MAX_BODY_BYTES

ADMIN = (401, 403)
CONTRACT: dict[tuple[str, str], set[int]] = {
    ("get", "/titles/recommendations"): {200, 503},
    ("get", "/titles/relevant"): {200, 404, 503},
    ("get", "/titles/relavant"): {200, 404, 503},
    ("get", "/rec/hot/interact"): {202, 503},
    ("post", "/rec/hot/interact"): {202, 413, 503},
    ("get", "/health"): {200},
    ("get", "/health/live"): {200},
    ("get", "/health/ready"): {200, 503},
    ("get", "/metrics"): {200},
    ("get", "/admin/train"): {200, 202, 409, 503, *ADMIN},
    ("post", "/admin/train"): {200, 202, 409, 413, 503, *ADMIN},
    ("get", "/admin/schedule-training"): {201, 503, *ADMIN},
    ("post", "/admin/schedule-training"): {201, 413, 503, *ADMIN},
    ("post", "/admin/tune"): {202, 409, 503, *ADMIN},
    ("get", "/admin/models"): {200, 503, *ADMIN},
    ("get", "/admin/models/{model_id}"): {200, 404, 503, *ADMIN},
    ("post", "/admin/models/{model_id}/activate"): {200, 404, 409, 503, *ADMIN},
    ("get", "/admin/jobs"): {200, 503, *ADMIN},
    ("get", "/admin/jobs/{job_id}"): {200, 404, 503, *ADMIN},
    ("delete", "/admin/jobs/{job_id}"): {200, 404, 409, 503, *ADMIN},
    ("post", "/admin/cache/invalidate"): {200, 503, *ADMIN},
    ("get", "/admin/blacklist"): {200, *ADMIN},
    ("put", "/admin/blacklist/{title_id}"): {200, 413, 503, *ADMIN},
    ("delete", "/admin/blacklist/{title_id}"): {200, 404, 503, *ADMIN},
    ("post", "/admin/experiments"): {201, 404, 409, 413, 503, *ADMIN},
    ("get", "/admin/experiments"): {200, 503, *ADMIN},
    ("get", "/admin/experiments/{experiment_id}"): {200, 404, 503, *ADMIN},
    ("post", "/admin/experiments/{experiment_id}/stop"): {200, 404, 409, 413, 503, *ADMIN},
}
"""Each route's statuses beyond those of every route (400 validation, 431 head limits, 500)."""
EVERY_ROUTE = {400, 431, 500}
METHODS = {"get", "post", "put", "delete", "patch"}


@pytest.fixture
async def schema(api: httpx.AsyncClient) -> dict[str, Any]:
    answer = await api.get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def json_schema_of(operation: dict[str, Any], status: int) -> dict[str, Any]:
    response = operation["responses"][str(status)]
    return dict(response["content"]["application/json"]["schema"])


def statuses(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"]}


def test_the_contract_table_names_only_routes_that_exist(schema: dict[str, Any]) -> None:
    served = {(method, path) for method, path, _ in operations(schema)}
    assert set(CONTRACT) <= served, set(CONTRACT) - served


def test_every_route_documents_what_any_route_can_answer(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        needed = set(EVERY_ROUTE)
        if path.startswith("/admin/ui"):
            needed.add(403)  # the dashboard's files hold no data: loopback without a token, else anyone
        elif path.startswith("/admin"):
            needed |= set(ADMIN)
        if "requestBody" in operation:
            needed.add(413)
        missing = needed - statuses(operation)
        assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}: use errors(...)"


def test_each_route_documents_exactly_the_contracts_statuses(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        if (method, path) in CONTRACT:
            assert statuses(operation) == CONTRACT[method, path] | EVERY_ROUTE, (method, path)


def test_every_error_answer_is_the_error_body(schema: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in operations(schema):
        for status in statuses(operation):
            if status < 400:
                continue
            body = resolve(schema, json_schema_of(operation, status))
            assert set(body["required"]) == {"error", "detail"}, (method, path, status)
            assert "status_code" not in body["properties"] and "extra" not in body["properties"]
            assert "invalid_argument" in body["properties"]["error"]["enum"]
            checked += 1
    assert checked > 100


def test_no_schema_describes_litestars_default_error_body(schema: dict[str, Any]) -> None:
    text = str(schema)
    assert "'status_code'" not in text and "'extra'" not in text


def test_admin_train_answers_200_or_202_never_201(schema: dict[str, Any]) -> None:
    for method in ("get", "post"):
        operation = schema["paths"]["/admin/train"][method]
        assert "201" not in operation["responses"]
        finished = resolve(schema, json_schema_of(operation, 200))
        running = resolve(schema, json_schema_of(operation, 202))
        assert {"job_id", "model_id", "metrics", "status"} <= set(finished["properties"])
        assert set(running["properties"]) == {"job_id", "status"}
    assert "201" in schema["paths"]["/admin/schedule-training"]["post"]["responses"]


def constraints(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The bounds of a value's schema, wherever they sit (beside or inside `oneOf` branches)."""
    node = resolve(schema, node)
    found = {k: v for k, v in node.items() if k in {"minimum", "maximum", "exclusiveMinimum", "pattern"}}
    for branch in node.get("oneOf", []) + node.get("anyOf", []):
        found |= constraints(schema, branch)
    return found


def parameter(schema: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    operation = schema["paths"][path][method]
    (found,) = [p for p in operation["parameters"] if p["name"] == name]
    return constraints(schema, found["schema"])


TRAIN_BOUNDS = {
    "no_components": {"minimum": 1, "maximum": 1024},
    "epochs": {"minimum": 1, "maximum": 1000},
    "learning_rate": {"exclusiveMinimum": 0, "maximum": 1},
    "item_alpha": {"minimum": 0},
    "user_alpha": {"minimum": 0},
}


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/admin/train"), ("post", "/admin/train"), ("get", "/admin/schedule-training")],
)
def test_training_parameters_carry_their_bounds(schema: dict[str, Any], method: str, path: str) -> None:
    for name, bounds in TRAIN_BOUNDS.items():
        documented = parameter(schema, method, path, name)
        assert bounds.items() <= documented.items(), (path, name, documented)


def test_the_json_training_body_carries_the_same_bounds(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/admin/train"]["post"]
    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    for branch in [body, *body.get("oneOf", [])]:
        branch = resolve(schema, branch)
        if "properties" in branch:
            for name, bounds in TRAIN_BOUNDS.items():
                documented = constraints(schema, branch["properties"][name])
                assert bounds.items() <= documented.items(), (name, documented)
            return
    pytest.fail(f"no training body in {body}")


@pytest.mark.parametrize(
    ("method", "path", "name", "bounds"),
    [
        ("get", "/titles/recommendations", "user_id", {"minimum": 1, "maximum": MAX_ID}),
        ("get", "/titles/recommendations", "k", {"minimum": 1, "maximum": MAX_K}),
        ("get", "/titles/relevant", "title_id", {"minimum": 1, "maximum": MAX_ID}),
        ("get", "/titles/relavant", "k", {"minimum": 1, "maximum": MAX_K}),
        ("get", "/rec/hot/interact", "user_id", {"minimum": 1, "maximum": MAX_ID}),
        ("get", "/rec/hot/interact", "title_id", {"minimum": 1, "maximum": MAX_ID}),
        ("post", "/admin/tune", "n_trials", {"minimum": 1, "maximum": 500}),
        ("post", "/admin/tune", "timeout_seconds", {"minimum": 1, "maximum": 7200}),
        ("post", "/admin/cache/invalidate", "user_id", {"minimum": 1, "maximum": MAX_ID}),
        ("put", "/admin/blacklist/{title_id}", "title_id", {"pattern": "^[0-9]{1,19}$"}),
        ("delete", "/admin/blacklist/{title_id}", "title_id", {"pattern": "^[0-9]{1,19}$"}),
    ],
)
def test_ids_and_sizes_carry_their_bounds(
    schema: dict[str, Any], method: str, path: str, name: str, bounds: dict[str, Any]
) -> None:
    assert bounds.items() <= parameter(schema, method, path, name).items()


def test_the_body_limit_is_one_mebibyte_and_documented(schema: dict[str, Any]) -> None:
    assert MAX_BODY_BYTES == 1024 * 1024
    described = schema["paths"]["/rec/hot/interact"]["post"]["responses"]["413"]["description"]
    assert str(MAX_BODY_BYTES) in described


async def test_health_ready_is_200_once_the_popular_list_is_loaded(api: httpx.AsyncClient) -> None:
    answer = await api.get("/health/ready")
    assert answer.status_code == 200 and answer.json() == {"ready": True}
