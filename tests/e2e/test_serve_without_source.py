"""`rec-service serve` with no REC_SOURCE_URL serves the embedded demo, as `make run` does
(the container image's default command runs exactly this)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.served_process import served

pytestmark = pytest.mark.integration


async def test_serve_alone_generates_the_demo_source_and_answers(tmp_path: Path) -> None:
    assert not (tmp_path / "demo_source.db").exists()
    async with served("serve", tmp_path) as running, httpx.AsyncClient(base_url=running.url) as client:
        answer = await client.get("/titles/recommendations", params={"user_id": 1, "k": 3})
    assert (tmp_path / "demo_source.db").exists()
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["item_ids"]) == 3
