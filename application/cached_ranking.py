"""The cache-then-rank-then-refill step shared by personal and relevant lists.

A cached list holds the model's best `CACHED_LIST_SIZE` titles and nothing that depends on the
request: the blacklist, inactive titles, `exclude` and recent hot titles are applied when reading, so
one entry serves every filter and a blacklist change needs no invalidation. When the filters eat into a
full cached list, a fresh ranking with every exclusion applied fills the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from application.ports import CacheKey, RecommendationCache
from domain.recommendation import RankedList

CACHED_LIST_SIZE = 300
"""Long enough that the filters rarely leave fewer than `k` titles, short enough to cache cheaply."""

Ranker = Callable[[int, frozenset[int], Collection[int] | None], RankedList]
"""(n, titles to leave out, the only titles to rank or None for all) -> the best n titles."""

RankerFactory = Callable[[], Awaitable[Ranker | None]]
"""The subject's ranker; None when the model cannot rank for it."""

LeftOut = Callable[[], Awaitable[frozenset[int]]]
"""Titles every ranking of the subject leaves out, cached list included (a user's seen titles)."""


CachedTop = tuple[RankedList, bool]
"""(the best titles, whether they came from the cache): a plain tuple, built on every request."""


async def cached_top(
    cache: RecommendationCache,
    key: CacheKey,
    k: int,
    banned: frozenset[int],
    ranker: RankerFactory,
    left_out: LeftOut | None = None,
    keep_empty: bool = False,
    allowed: Collection[int] | None = None,
) -> CachedTop | None:
    """The best `k` titles not in `banned` (and in `allowed` unless None) from the list cached under
    `key` (ranked and cached on a miss, unfiltered).

    None when there is no ranker, or when a fresh ranking is empty and `keep_empty` is False (the
    caller falls back to another list). `ranker` and `left_out` are awaited only when ranking.
    """
    ranked = await cache.get(key)
    cached = ranked is not None
    rank: Ranker | None = None
    out: frozenset[int] | None = None
    if ranked is None:
        rank = await ranker()
        if rank is None:
            return None
        out = await left_out() if left_out else frozenset()
        ranked = rank(CACHED_LIST_SIZE, out, None)
        if not ranked and not keep_empty:
            return None
        await cache.put(key, ranked)
    items = ranked.filtered(banned, k, allowed)
    if len(items) < k and len(ranked) >= CACHED_LIST_SIZE:
        # Filters ate into the cached top list: rank again with every exclusion applied, among the
        # qualifying titles alone when a feature filter names them (a rare feature still fills k).
        rank = rank or await ranker()
        if rank is not None:
            if out is None:
                out = await left_out() if left_out else frozenset()
            items = rank(k, out | banned if out else banned, allowed)
    return items, cached
