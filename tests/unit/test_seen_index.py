"""The numpy seen index: lookups, the delta, merges, recent additions and its memory per pair."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pytest

from adapters.seen_index.csr import SeenRows, merged
from adapters.seen_index.numpy_index import NumpySeenIndex

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class Pairs:
    user_ids: list[int]
    title_ids: list[int]
    newest: datetime | None = field(default=None)
    created_us: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.created_us = self.created_us or [0] * len(self.user_ids)  # 1970: never recent


def random_pairs(n: int, users: int, titles: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(1, users + 1, n), rng.integers(1, titles + 1, n)


def test_merged_rows_hold_every_distinct_pair_sorted_per_user() -> None:
    users, titles = random_pairs(5_000, 300, 400)
    rows = merged(SeenRows.empty(), users, titles)
    expected: dict[int, set[int]] = {}
    for u, t in zip(users.tolist(), titles.tolist(), strict=True):
        expected.setdefault(u, set()).add(t)
    assert rows.users.tolist() == sorted(expected)
    assert rows.n_pairs == sum(len(v) for v in expected.values())
    for user, wanted in expected.items():
        assert rows.titles_of(user) == sorted(wanted)
        assert rows.contains(user, min(wanted)) and not rows.contains(user, 401)
    assert rows.titles_of(301) == rows.titles_of(0) == rows.titles_of(2**64) == [] == rows.titles_of(-1)


def test_large_title_ids_widen_the_title_array() -> None:
    rows = merged(SeenRows.empty(), [1, 1], [5, 2**40])
    assert rows.titles.dtype == np.int64 and rows.titles_of(1) == [5, 2**40]
    assert merged(SeenRows.empty(), [1], [5]).titles.dtype == np.int32
    wide = merged(SeenRows.empty(), [3, 2**40], [5, 6])
    assert wide.users.dtype == np.int64 and wide.titles_of(2**40) == [6]
    assert wide.titles_of(3) == [5] and not wide.contains(3, 2**40) and not wide.contains(3, 2**70)


async def test_a_full_load_makes_the_index_ready_and_sets_the_watermark() -> None:
    index = NumpySeenIndex()
    assert not index.ready and index.watermark is None and index.seen(1) == frozenset()
    added = await index.load(Pairs([1, 1, 2, 1], [10, 11, 10, 10], T0), full=True)
    assert index.ready and index.watermark == T0 and added == 3
    assert index.seen(1) == {10, 11} and index.seen(2) == {10} and index.seen(3) == frozenset()
    assert index.recent(1) == frozenset()  # loaded at start: not an addition lists could hold


async def test_tail_batches_go_to_the_delta_count_only_new_pairs_and_never_move_the_watermark_back() -> None:
    index = NumpySeenIndex(min_delta_pairs=1000)
    await index.load(Pairs([1, 2], [10, 10], T0), full=True)
    later = T0.replace(hour=1)
    assert await index.load(Pairs([1, 1, 3], [10, 12, 30], later)) == 2  # (1, 10) was known
    assert index.delta_pairs == 2 and index.watermark == later
    assert index.seen(1) == {10, 12} and index.seen(3) == {30}
    assert index.recent(1) == {12} and index.recent(3) == {30} and index.recent(2) == frozenset()
    assert await index.load(Pairs([1], [12], T0)) == 0
    assert index.watermark == later


async def test_the_delta_is_merged_into_the_arrays_when_it_grows() -> None:
    index = NumpySeenIndex(min_delta_pairs=100)
    await index.load(Pairs([1], [1], T0), full=True)
    users, titles = random_pairs(150, 20, 500, seed=3)
    for u, t in zip(users.tolist(), titles.tolist(), strict=True):
        index.add(u, t)
    assert index.delta_pairs > 100
    await index.load(Pairs([], [], None))  # a tail step merges an oversized delta
    assert index.delta_pairs == 0
    assert index.n_pairs == len({(1, 1), *zip(users.tolist(), titles.tolist(), strict=True)})
    for u, t in zip(users.tolist(), titles.tolist(), strict=True):
        assert t in index.seen(u)


async def test_pairs_of_a_full_read_created_within_the_window_count_as_recent() -> None:
    """A shared cache may hold lists computed before a restart, when these rows did not exist."""
    now = T0.timestamp()
    index = NumpySeenIndex(recent_seconds=60, wall_clock=lambda: now)
    stamps = [int((now - 3600) * 1e6), int((now - 30) * 1e6), int((now - 1) * 1e6)]
    await index.load(Pairs([1, 1, 2], [10, 11, 20], T0, stamps), full=True)
    assert index.recent(1) == {11} and index.recent(2) == {20}
    assert index.seen(1) == {10, 11}


def test_hot_events_are_seen_and_recent_at_once() -> None:
    index = NumpySeenIndex()
    index.add(5, 50)
    index.add(5, 51)
    assert index.seen(5) == {50, 51} and index.recent(5) == {50, 51}
    assert index.delta_pairs == 2
    index.add(5, 50)  # a repeat changes nothing
    assert index.delta_pairs == 2


def test_recent_additions_expire_after_the_window() -> None:
    now = [100.0]
    index = NumpySeenIndex(recent_seconds=10, clock=lambda: now[0])
    index.add(1, 7)
    now[0] += 9
    assert index.recent(1) == {7}
    now[0] += 2
    assert index.recent(1) == frozenset() and index.seen(1) == {7}


def test_recent_additions_are_bounded_in_users() -> None:
    index = NumpySeenIndex(max_recent_users=3)
    for user in range(1, 6):
        index.add(user, 1)
    assert [index.recent(u) for u in range(1, 6)] == [frozenset(), frozenset(), {1}, {1}, {1}]
    assert all(index.seen(u) == {1} for u in range(1, 6))


async def test_lookups_during_a_merge_see_the_pairs_being_merged() -> None:
    index = NumpySeenIndex(min_delta_pairs=1)
    await index.load(Pairs([1], [1], T0), full=True)
    index.add(2, 20)
    index.add(2, 21)
    merging = index.load(Pairs([3], [30], None))
    task = __import__("asyncio").ensure_future(merging)
    await __import__("asyncio").sleep(0)  # the merge runs in a thread now
    assert index.seen(2) == {20, 21}
    index.add(2, 22)  # arrives during the merge: kept in the new delta
    await task
    assert index.seen(2) == {20, 21, 22} and index.seen(3) == {30}


@pytest.mark.parametrize(("users", "titles"), [(20_000, 5_000), (2_000_000, 100_000)])
async def test_memory_is_at_most_16_bytes_per_pair(users: int, titles: int) -> None:
    user_ids, title_ids = random_pairs(400_000, users, titles)
    index = NumpySeenIndex()
    await index.load(Pairs(user_ids.tolist(), title_ids.tolist(), T0), full=True)
    assert index.delta_pairs == 0
    assert index.nbytes / index.n_pairs <= 16
