"""Ranked lists cached per (model version, subject)."""

from __future__ import annotations

from typing import Literal, NamedTuple, Protocol

from domain.recommendation import RankedList


class CacheKey(NamedTuple):
    """A tuple: hashed and compared in C (it is looked up several times per request)."""

    kind: Literal["user", "title"]
    model_id: str
    subject_id: int


class RecommendationCache(Protocol):
    """Ranked lists per (model version, subject). Implementations never raise to callers."""

    async def get(self, key: CacheKey) -> RankedList | None: ...

    async def put(self, key: CacheKey, value: RankedList) -> None: ...

    async def invalidate_all(self) -> None: ...

    async def invalidate_user(self, user_id: int) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
