"""Wall clock and id generation."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from application.ports import Clock, IdGenerator


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIdGenerator(IdGenerator):
    """Sortable, opaque ids: UTC time plus random hex (clients must not parse them)."""

    def new_model_id(self, now: datetime) -> str:
        return f"m-{now.astimezone(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"

    def new_job_id(self, now: datetime) -> str:
        return f"j-{now.astimezone(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"

    def new_experiment_id(self, now: datetime) -> str:
        return f"e-{now.astimezone(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
