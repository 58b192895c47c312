"""Drop cached lists: all of them (a namespace change) or one user's."""

from __future__ import annotations

from application.ports import RecommendationCache


class InvalidateCache:
    def __init__(self, cache: RecommendationCache) -> None:
        self._cache = cache

    async def execute(self, user_id: int | None = None) -> None:
        if user_id is None:
            await self._cache.invalidate_all()
        else:
            await self._cache.invalidate_user(user_id)
