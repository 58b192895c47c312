"""What a health check reports (results of the CheckHealth use case's port calls)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    status: Literal["ok", "down"]
    detail: str = ""


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: Literal["ok", "degraded"]
    model_id: str | None
    components: Mapping[str, ComponentHealth] = field(default_factory=dict)
