"""A/B experiments between model versions (contract section 12).

Users are assigned to arms by a stable hash of (experiment_id, user_id) against the arms' cumulative
shares: the same arm on every replica and across restarts, with no state to share.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.errors import ConflictError, InvalidArgumentError
from domain.ids import shown

MIN_ARMS, MAX_ARMS = 2, 4
MAX_NAME_CHARS = 64
MAX_EXPERIMENT_NAME_CHARS = 255
SHARE_TOLERANCE = 1e-6
_SCALE = float(2**64)


class ExperimentStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Arm:
    name: str
    model_id: str
    share: float


@dataclass(frozen=True, slots=True)
class Experiment:
    experiment_id: str
    name: str
    status: ExperimentStatus
    started_at: datetime
    arms: tuple[Arm, ...]
    stopped_at: datetime | None = None
    winner: str | None = None

    @classmethod
    def start(cls, experiment_id: str, name: str, arms: Sequence[Arm], now: datetime) -> Experiment:
        """A running experiment, or InvalidArgumentError naming what is wrong with the request."""
        _check_name("name", name, MAX_EXPERIMENT_NAME_CHARS)
        if not MIN_ARMS <= len(arms) <= MAX_ARMS:
            raise InvalidArgumentError(f"an experiment has {MIN_ARMS} to {MAX_ARMS} arms, got {len(arms)}")
        for arm in arms:
            _check_name("an arm's name", arm.name, MAX_NAME_CHARS)
            _check_name("an arm's model_id", arm.model_id, 128)
            if not (math.isfinite(arm.share) and arm.share > 0):
                raise InvalidArgumentError(f"arm {arm.name!r}: share must be > 0, got {shown(arm.share)}")
        if len({arm.name for arm in arms}) != len(arms):
            raise InvalidArgumentError("arm names must be unique")
        total = math.fsum(arm.share for arm in arms)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise InvalidArgumentError(f"the arms' shares must sum to 1, they sum to {total:.6g}")
        return cls(experiment_id, name, ExperimentStatus.RUNNING, now, tuple(arms))

    @property
    def running(self) -> bool:
        return self.status is ExperimentStatus.RUNNING

    def arm(self, name: str) -> Arm:
        for arm in self.arms:
            if arm.name == name:
                return arm
        known = ", ".join(arm.name for arm in self.arms)
        raise InvalidArgumentError(
            f"experiment {self.experiment_id} has no arm {shown(name)} (arms: {known})"
        )

    def stop(self, now: datetime, promote: str | None = None) -> Experiment:
        if not self.running:
            raise ConflictError(f"experiment {self.experiment_id} is already stopped")
        winner = None if promote is None else self.arm(promote).name
        return replace(self, status=ExperimentStatus.STOPPED, stopped_at=now, winner=winner)

    def bounds(self) -> tuple[float, ...]:
        """The arms' cumulative shares, the last exactly 1."""
        running, total = 0.0, math.fsum(arm.share for arm in self.arms)
        cumulative = []
        for arm in self.arms:
            running += arm.share / total
            cumulative.append(running)
        cumulative[-1] = 1.0
        return tuple(cumulative)


def assignment_point(experiment_id: str, user_id: int) -> float:
    """Where the user falls in [0, 1): a stable hash, independent of the process (not `hash()`)."""
    digest = hashlib.blake2b(f"{experiment_id}:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def arm_index(bounds: tuple[float, ...], point: float) -> int:
    for index, bound in enumerate(bounds):
        if point < bound:
            return index
    return len(bounds) - 1


def _check_name(what: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidArgumentError(f"{what} must be 1..{limit} characters, got {shown(value)}")
