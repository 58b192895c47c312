"""Reading a MySQL/MariaDB EXPLAIN: is the "seen" read answered from an index alone?"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.source.queries import reads_index_only


def step(table: str | None, extra: str | None) -> dict[str, Any]:
    return {"id": 1, "select_type": "SIMPLE", "table": table, "Extra": extra}


@pytest.mark.parametrize(
    ("plan", "index_only"),
    [
        ([step("interactions", "Using where; Using index")], True),  # covering (user_id, title_id)
        ([step("interactions", "Using index condition")], False),  # KEY (user_id): row lookups
        ([step("interactions", None)], False),  # ref on KEY (user_id), nothing extra: row lookups
        ([step("interactions", "Using where")], False),  # full scan
        ([step("interactions", "Using index for group-by")], True),
        ([step("<derived2>", "Using temporary"), step("interactions", "Using index")], True),
        ([step("i", "Using index"), step("t", "Using where")], False),  # a join: every table counts
        ([step(None, "Impossible WHERE")], True),  # reads no table
    ],
)
def test_index_only_reading_of_explain(plan: list[dict[str, Any]], index_only: bool) -> None:
    assert reads_index_only(plan) is index_only
