"""Adds hot events to one read of the source, in the engine's own format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from application.ports.interaction_source import TrainingData
from domain.interaction import Interaction


class TrainingDataMerger(Protocol):
    """Adds hot events to one read of the source, in the engine's own format."""

    def with_events(self, data: TrainingData, events: Sequence[Interaction]) -> TrainingData: ...
