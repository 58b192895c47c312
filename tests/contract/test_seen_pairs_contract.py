"""The source's seen pairs (the in-memory index's full read and tail) on SQLite and MariaDB."""

from __future__ import annotations

from datetime import UTC, timedelta

import numpy as np
import pytest

from tests.contract.source_data import Event
from tests.contract.test_source_contract import Make, active, ago

pytestmark = pytest.mark.integration


def pairs(found: object) -> set[tuple[int, int]]:
    users, titles = np.asarray(found.user_ids), np.asarray(found.title_ids)  # type: ignore[attr-defined]
    return set(zip(users.tolist(), titles.tolist(), strict=True))


async def test_a_full_read_has_every_interaction_of_any_type_and_the_newest_time(make_source: Make) -> None:
    big = 2**63 - 1
    events: list[Event] = [
        (1, 10, "view", None, ago(1)),
        (1, 11, "rating", 1.0, ago(400)),
        (1, 12, "click", None, ago(3)),  # a type the weights do not know: still seen
        (2, 13, "view", None, ago(0.5)),
        (big, big, "view", None, ago(2)),
    ]
    source = await make_source(active(range(10, 14)), events)

    found = await source.seen_pairs(None)

    assert pairs(found) == {(1, 10), (1, 11), (1, 12), (2, 13), (big, big)}
    assert found.newest == ago(0.5).replace(tzinfo=UTC)


async def test_the_tail_reads_rows_from_the_moment_on_inclusive(make_source: Make) -> None:
    events: list[Event] = [
        (1, 10, "view", None, ago(3)),
        (1, 11, "view", None, ago(2)),
        (2, 12, "bookmark", None, ago(1)),
    ]
    source = await make_source(active(range(10, 13)), events)

    found = await source.seen_pairs(ago(2).replace(tzinfo=UTC))
    assert pairs(found) == {(1, 11), (2, 12)}
    assert found.newest == ago(1).replace(tzinfo=UTC)

    empty = await source.seen_pairs(ago(0).replace(tzinfo=UTC) + timedelta(seconds=1))
    assert pairs(empty) == set() and empty.newest is None
