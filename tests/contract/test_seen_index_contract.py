"""The `SeenIndex` contract, run against the in-memory fake and the numpy index."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from adapters.memory.seen_index import InMemorySeenIndex
from adapters.seen_index.numpy_index import NumpySeenIndex
from application.ports import SeenIndex

HOUR = 3600.0
OLD = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pairs:
    user_ids: tuple[int, ...]
    title_ids: tuple[int, ...]
    created_us: tuple[int, ...]
    newest: datetime | None


def pairs(rows: list[tuple[int, int, datetime]]) -> Pairs:
    stamps = tuple(int(at.timestamp() * 1_000_000) for _, _, at in rows)
    newest = max((at for _, _, at in rows), default=None)
    return Pairs(tuple(u for u, _, _ in rows), tuple(t for _, t, _ in rows), stamps, newest)


Make = Callable[[], SeenIndex]


@pytest.fixture(params=["memory", "numpy"])
def make(request: pytest.FixtureRequest) -> Make:
    if request.param == "memory":
        return lambda: InMemorySeenIndex(recent_seconds=HOUR)
    return lambda: NumpySeenIndex(HOUR, min_delta_pairs=2)  # merges its delta early, as a big one would


async def test_nothing_is_known_or_ready_before_a_full_read(make: Make) -> None:
    index = make()
    assert not index.ready and index.watermark is None and index.seen(1) == frozenset()
    assert await index.load(pairs([(1, 10, OLD)])) == 1  # a tail before the full read: not ready yet
    assert not index.ready


async def test_a_full_read_makes_it_ready_and_old_pairs_are_not_recent(make: Make) -> None:
    index = make()
    added = await index.load(pairs([(1, 10, OLD), (1, 11, OLD), (2, 10, OLD), (1, 10, OLD)]), full=True)
    assert added == 3 and index.ready and index.watermark == OLD
    assert index.seen(1) == {10, 11} and index.seen(2) == {10} and index.seen(3) == frozenset()
    assert index.recent(1) == frozenset()


async def test_a_full_reads_pairs_created_lately_count_as_recent(make: Make) -> None:
    index = make()
    now = datetime.fromtimestamp(time.time(), UTC)
    await index.load(pairs([(1, 10, OLD), (1, 12, now)]), full=True)
    assert index.seen(1) == {10, 12} and index.recent(1) == {12}


async def test_tail_reads_and_hot_events_add_recent_pairs_once(make: Make) -> None:
    index = make()
    await index.load(pairs([(1, 10, OLD)]), full=True)
    later = datetime(2026, 2, 1, tzinfo=UTC)
    assert await index.load(pairs([(1, 10, later), (1, 13, later)])) == 1  # duplicates are harmless
    index.add(1, 14)
    index.add(1, 14)
    index.add(5, 20)  # a user the source does not know yet
    assert index.seen(1) == {10, 13, 14} and index.recent(1) == {13, 14}
    assert index.seen(5) == {20} and index.recent(5) == {20}
    assert index.watermark == later


async def test_the_watermark_never_moves_back(make: Make) -> None:
    index = make()
    newer = datetime(2026, 3, 1, tzinfo=UTC)
    await index.load(pairs([(1, 10, newer)]), full=True)
    await index.load(pairs([(1, 11, OLD)]))  # a late-committed row inside the overlap
    assert index.watermark == newer and 11 in index.seen(1)
    await index.load(pairs([]))
    assert index.watermark == newer
