"""The ceiling: a bare Litestar app that answers every route the serving benchmark drives with a
constant body of ten ids, shaped like the service's answers.

Run it under the service's own server (`granian --interface asgi --factory bench.bare_litestar:create_app`)
and under uvicorn with uvloop and httptools (`uvicorn --factory bench.bare_litestar:create_app`).
"""

from __future__ import annotations

import msgspec
from litestar import Litestar, get

IDS = [50, 100, 181, 258, 174, 127, 56, 7, 98, 1]
SCORES = [1.0 - n / 10 for n in range(10)]


class Listing(msgspec.Struct):
    user_id: int
    item_ids: list[int]
    scores: list[float]
    model_id: str | None
    source: str
    cached: bool


class Similar(msgspec.Struct):
    title_id: int
    item_ids: list[int]
    scores: list[float]
    model_id: str | None
    cached: bool


class Accepted(msgspec.Struct):
    accepted: bool


@get("/titles/recommendations")
async def recommendations(user_id: int, k: int = 10) -> Listing:
    return Listing(user_id, IDS, SCORES, "bare", "model", True)


@get("/titles/relevant")
async def relevant(title_id: int, k: int = 10) -> Similar:
    return Similar(title_id, IDS, SCORES, "bare", True)


@get("/rec/hot/interact", status_code=202)
async def interact(user_id: int, title_id: int, int_type: str) -> Accepted:
    return Accepted(True)


@get("/health/ready")
async def ready() -> dict[str, bool]:
    return {"ready": True}


def create_app() -> Litestar:
    return Litestar(route_handlers=[recommendations, relevant, interact, ready], openapi_config=None)
