"""/admin/train's bounds: one definition (the domain's), the same in OpenAPI, REST and gRPC answers."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import pytest

from domain.model_version import LOSSES, TRAIN_BOUNDS, Bound
from domain.training_job import TrainMode
from entrypoints.http.train_body import Loss, Mode


def test_the_literal_choices_are_the_domains() -> None:
    assert get_args(Loss) == LOSSES
    assert set(get_args(Mode)) == {mode.value for mode in TrainMode}


def _schema_bound(parameter: dict[str, Any]) -> Bound:
    number = parameter["schema"]  # Litestar puts the bounds beside the `oneOf` of number and null
    if "exclusiveMinimum" in number:
        return Bound(number["exclusiveMinimum"], number.get("maximum"), low_open=True)
    return Bound(number["minimum"], number.get("maximum"))


async def test_openapi_documents_the_domains_bounds(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    for method in ("get", "post"):
        parameters = {p["name"]: p for p in schema["paths"]["/admin/train"][method]["parameters"]}
        assert {name: _schema_bound(parameters[name]) for name in TRAIN_BOUNDS} == dict(TRAIN_BOUNDS)
    body = schema["components"]["schemas"]["TrainBody"]["properties"]
    assert {name: _schema_bound({"schema": body[name]}) for name in TRAIN_BOUNDS} == dict(TRAIN_BOUNDS)


def _just_outside(bound: Bound) -> list[float]:
    outside = [bound.low if bound.low_open else bound.low - 1]
    return outside if bound.high is None else [*outside, bound.high + 1]


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name, bound in TRAIN_BOUNDS.items() for value in _just_outside(bound)],
)
async def test_values_outside_the_bounds_are_refused(api: httpx.AsyncClient, name: str, value: float) -> None:
    response = await api.post("/admin/train", params={name: value})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_argument"


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name, bound in TRAIN_BOUNDS.items() for value in _just_outside(bound)],
)
async def test_body_values_outside_the_bounds_are_refused(
    api: httpx.AsyncClient, name: str, value: float
) -> None:
    response = await api.post("/admin/train", json={name: value})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_argument"
