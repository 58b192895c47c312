"""Schemathesis over the service's own `/schema/openapi.json`, against a real `serve` process.

Every operation (admin ones too: the client is on loopback and no token is set) gets a bounded,
derandomized set of examples, valid and invalid; each answer must be no 5xx and conform to the
schema: a documented status, its content type, its body (every 4xx the error body). The fuzzer
trains for real: `/admin/train` is sent with `wait=false` and every job an answer names is
cancelled at once, so trainings never pile up (a 409 while one is stopping is documented).
The hand-written hostile set that a schema cannot express is test_hostile_inputs.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract.source_data import active, ago, fill_source
from tests.e2e.served_process import Running, served

pytestmark = pytest.mark.slow
EXAMPLES = 50
"""Per operation and generation mode: about 24 operations, several thousand requests in all."""
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
SENT: list[int] = []


def tiny_source(url: str) -> None:
    """40 titles (one inactive, one blacklisted), 30 users with a few views: trainings take
    milliseconds per epoch, so a cancelled one stops at once."""
    events = [(u, t, "view", None, ago(u % 7 + t % 5)) for u in range(1, 31) for t in range(1, 41) if (u * t) % 5 == 0]
    features = [(t, f"genre:{t % 4}", 1.0) for t in range(1, 41)]
    asyncio.run(
        fill_source(url, [*active(range(1, 40)), (40, "Title 40", False)], events, [(39, "takedown")],
                    user_ids=range(1, 31), title_feature_rows=features)
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    tiny_source(f"sqlite+aiosqlite:///{data_dir / 'demo_source.db'}")
    with asyncio.Runner() as runner:
        context = served("serve", data_dir)
        running = runner.run(context.__aenter__())
        try:
            yield running
        finally:
            runner.run(context.__aexit__(None, None, None))


@pytest.fixture
def fuzzed_api(service: Running) -> Any:
    loaded = schemathesis.openapi.from_url(f"{service.url}/schema/openapi.json")
    loaded.config.update(base_url=service.url)
    return loaded


schema = schemathesis.pytest.from_fixture("fuzzed_api")


def tame(case: Any) -> None:
    """A training answers at once (wait=false) rather than after up to 1,000 epochs."""
    if case.path == "/admin/train":
        case.query = {**(case.query or {}), "wait": "false"}


def cancel_named_job(answer: Any, base_url: str) -> None:
    if answer.status_code >= 300 or "json" not in answer.headers.get("content-type", [""])[0]:
        return
    body = answer.json()
    if isinstance(body, dict) and body.get("status") in {"running", "scheduled"} and "job_id" in body:
        httpx.delete(f"{base_url}/admin/jobs/{body['job_id']}", timeout=60)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_service_answers_only_what_its_schema_says(case: Any, service: Running) -> None:
    tame(case)
    answer = case.call(timeout=60)
    SENT.append(answer.status_code)
    case.validate_response(answer, checks=CHECKS)
    cancel_named_job(answer, service.url)


def test_the_fuzzer_sent_thousands_of_requests(service: Running) -> None:
    assert len(SENT) >= 2000, len(SENT)
    assert max(SENT) < 500
    assert service.process.returncode is None, service.log_text()
