"""`BatchedLookup`: concurrent single-key lookups share queries, and never get a stale answer."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from adapters.sql.batched_lookup import BatchedLookup


class Table:
    """A fake database table whose queries can be held open by the test."""

    def __init__(self, rows: dict[int, str]) -> None:
        self.rows = rows
        self.queries: list[list[int]] = []
        self.gate: asyncio.Event | None = None
        self.fail_next = False

    async def fetch(self, keys: Sequence[int]) -> Mapping[int, str]:
        self.queries.append(list(keys))
        answer = {key: self.rows[key] for key in keys if key in self.rows}  # read at query start
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database went away")
        return answer


async def test_requests_that_arrive_together_share_one_query() -> None:
    table = Table({1: "a", 2: "b", 3: "c"})
    lookup = BatchedLookup(table.fetch, missing="-")

    found = await asyncio.gather(*(lookup.get(key) for key in (1, 2, 3, 2, 99)))

    assert found == ["a", "b", "c", "b", "-"]
    assert table.queries == [[1, 2, 3, 99]]


async def test_a_lone_request_is_sent_at_once_and_batches_grow_while_queries_run() -> None:
    table = Table({key: str(key) for key in range(10)})
    table.gate = asyncio.Event()
    lookup = BatchedLookup(table.fetch, missing="-", max_in_flight=1)

    first = asyncio.create_task(lookup.get(0))
    for _ in range(3):  # the caller's task, the dispatch, the query's task: no timer
        await asyncio.sleep(0)
    assert table.queries == [[0]]
    later = [asyncio.create_task(lookup.get(key)) for key in (1, 2, 3)]
    await asyncio.sleep(0.01)
    assert table.queries == [[0]]  # one query at a time: the others wait for it

    table.gate.set()
    assert await first == "0"
    assert [await task for task in later] == ["1", "2", "3"]
    assert table.queries == [[0], [1, 2, 3]]


async def test_a_lookup_never_gets_the_answer_of_a_query_that_started_before_it() -> None:
    table = Table({1: "old"})
    table.gate = asyncio.Event()
    lookup = BatchedLookup(table.fetch, missing="-")

    early = asyncio.create_task(lookup.get(1))
    await asyncio.sleep(0.01)
    table.rows[1] = "new"  # committed while the first query runs
    late = asyncio.create_task(lookup.get(1))
    await asyncio.sleep(0.01)
    table.gate.set()

    assert (await early, await late) == ("old", "new")
    assert table.queries == [[1], [1]]


async def test_a_failed_query_fails_its_waiters_only() -> None:
    table = Table({1: "a", 2: "b"})
    lookup = BatchedLookup(table.fetch, missing="-")
    table.fail_next = True

    results = await asyncio.gather(lookup.get(1), lookup.get(2), return_exceptions=True)

    assert all(isinstance(result, ConnectionError) for result in results)
    assert await lookup.get(2) == "b"


async def test_a_caller_that_goes_away_does_not_disturb_the_others() -> None:
    table = Table({1: "a", 2: "b"})
    table.gate = asyncio.Event()
    lookup = BatchedLookup(table.fetch, missing="-")

    gone = asyncio.create_task(lookup.get(1))
    stays = asyncio.create_task(lookup.get(2))
    await asyncio.sleep(0.01)
    gone.cancel()
    table.gate.set()

    assert await stays == "b"
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_batches_are_capped() -> None:
    table = Table({key: str(key) for key in range(10)})
    lookup = BatchedLookup(table.fetch, missing="-", max_batch=4, max_in_flight=3)

    found = await asyncio.gather(*(lookup.get(key) for key in range(10)))

    assert found == [str(key) for key in range(10)]
    assert sorted(len(keys) for keys in table.queries) == [2, 4, 4]


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BatchedLookup(Table({}).fetch, missing="-", max_batch=0)
