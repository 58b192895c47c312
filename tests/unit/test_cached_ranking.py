"""The shared cache-then-rank-then-refill step of personal and relevant lists."""

from __future__ import annotations

from collections.abc import Collection

from adapters.cache.in_process_cache import InProcessRecommendationCache
from application.cached_ranking import CACHED_LIST_SIZE, Ranker, RankerFactory, cached_top
from application.ports import CacheKey
from domain.recommendation import RankedList

KEY = CacheKey("user", "model-1", 7)
TITLES = tuple(range(1, CACHED_LIST_SIZE + 51))


class _Counting:
    """A ranker over TITLES (best first) that counts its calls and what it was told to leave out."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, frozenset[int]]] = []

    def __call__(self, n: int, out: frozenset[int], only: Collection[int] | None = None) -> RankedList:
        self.calls.append((n, out))
        kept = [t for t in TITLES if t not in out and (only is None or t in only)][:n]
        return RankedList.of(kept, [1.0 / t for t in kept])


def _factory(rank: Ranker | None) -> tuple[list[int], RankerFactory]:
    asked: list[int] = []

    async def make() -> Ranker | None:
        asked.append(1)
        return rank

    return asked, make


async def test_a_miss_ranks_the_full_list_without_the_left_out_titles_and_caches_it() -> None:
    cache, rank = InProcessRecommendationCache(ttl_seconds=60), _Counting()
    _, make = _factory(rank)

    async def seen() -> frozenset[int]:
        return frozenset({1, 2})

    top = await cached_top(cache, KEY, 3, frozenset({3}), make, left_out=seen)

    assert top is not None and not top[1]
    assert top[0].title_ids == (4, 5, 6)
    assert rank.calls == [(CACHED_LIST_SIZE, frozenset({1, 2}))]
    stored = await cache.get(KEY)
    assert stored is not None and len(stored) == CACHED_LIST_SIZE and 1 not in stored.title_ids


async def test_a_hit_neither_ranks_nor_reads_the_left_out_titles() -> None:
    cache, rank = InProcessRecommendationCache(ttl_seconds=60), _Counting()
    await cache.put(KEY, RankedList.of([10, 11, 12], [3.0, 2.0, 1.0]))
    asked, make = _factory(rank)

    async def seen() -> frozenset[int]:
        raise AssertionError("read on a hit")

    top = await cached_top(cache, KEY, 2, frozenset({10}), make, left_out=seen)

    assert top is not None and top[1] and top[0].title_ids == (11, 12)
    assert asked == [] and rank.calls == []


async def test_filters_that_eat_a_full_cached_list_refill_with_every_exclusion() -> None:
    cache, rank = InProcessRecommendationCache(ttl_seconds=60), _Counting()
    await cache.put(KEY, RankedList.of(TITLES[:CACHED_LIST_SIZE], [1.0] * CACHED_LIST_SIZE))
    _, make = _factory(rank)
    banned = frozenset(TITLES[: CACHED_LIST_SIZE - 1])

    async def seen() -> frozenset[int]:
        return frozenset({CACHED_LIST_SIZE + 1})

    top = await cached_top(cache, KEY, 3, banned, make, left_out=seen)

    assert top is not None and top[1]
    assert top[0].title_ids == (CACHED_LIST_SIZE, CACHED_LIST_SIZE + 2, CACHED_LIST_SIZE + 3)
    assert rank.calls == [(3, banned | {CACHED_LIST_SIZE + 1})]


async def test_an_empty_ranking_is_a_miss_unless_kept_and_no_ranker_is_none() -> None:
    cache = InProcessRecommendationCache(ttl_seconds=60)
    _, empty = _factory(lambda n, out, only: RankedList((), ()))
    _, none = _factory(None)

    assert await cached_top(cache, KEY, 3, frozenset(), empty) is None
    assert await cache.get(KEY) is None
    kept = await cached_top(cache, KEY, 3, frozenset(), empty, keep_empty=True)
    assert kept is not None and kept[0].title_ids == ()
    assert await cached_top(cache, CacheKey("title", "model-1", 7), 3, frozenset(), none) is None
