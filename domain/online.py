"""Online evaluation: what a served list is attributed to, its counts and their confidence."""

from __future__ import annotations

import math
from dataclasses import dataclass

WILSON_Z = 1.959963984540054
"""The normal quantile of a two-sided 95 % interval."""


@dataclass(frozen=True, slots=True)
class ServingContext:
    """What answered a list: a model version ("" while none is active), and the experiment and arm
    it was served under ("" outside experiments)."""

    model_id: str
    experiment_id: str = ""
    arm: str = ""


@dataclass(frozen=True, slots=True)
class Attribution:
    """The list a hot event came from: its recommendation id ("" when unusable) and the token of
    the context that served it (None when no context is known for the id: unattributed)."""

    recommendation_id: str
    token: str | None


@dataclass(frozen=True, slots=True)
class OnlineCounts:
    lists: int = 0
    clicked_lists: int = 0
    events: int = 0

    def __add__(self, other: OnlineCounts) -> OnlineCounts:
        return OnlineCounts(
            self.lists + other.lists,
            self.clicked_lists + other.clicked_lists,
            self.events + other.events,
        )

    @property
    def ctr(self) -> float:
        """Clicked lists per list served (0 before any list)."""
        return self.clicked_lists / self.lists if self.lists else 0.0

    def wilson(self) -> tuple[float, float]:
        """The 95 % Wilson score interval of `ctr` (no continuity correction); (0, 1) before any list."""
        return wilson_interval(self.clicked_lists, self.lists)


def wilson_interval(successes: int, trials: int, z: float = WILSON_Z) -> tuple[float, float]:
    if trials <= 0:
        return 0.0, 1.0
    p = min(max(successes, 0), trials) / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    low = 0.0 if p == 0 else max(0.0, centre - half)  # exact at the ends, not a rounding error away
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return low, high
