"""Whether a freshly trained version replaces the active one (README, "Model lifecycle")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidArgumentError

TOLERANCE = 0.005
MIN_SIZE_RATIO = 0.8
MIN_FORWARD_POSITIVES = 500


class AutoActivate(StrEnum):
    ALWAYS = "always"
    IF_BETTER = "if_better"
    NEVER = "never"

    @classmethod
    def parse(cls, value: str) -> AutoActivate:
        try:
            return cls(value)
        except ValueError:
            raise InvalidArgumentError(
                f"auto activation must be always, if_better or never; got {value!r}"
            ) from None


@dataclass(frozen=True, slots=True)
class ForwardScores:
    positives: int
    candidate: float
    active: float


@dataclass(frozen=True, slots=True)
class ActivationDecision:
    activate: bool
    reason: str


def decide_activation(
    policy: AutoActivate,
    *,
    explicit: bool | None,
    active_size: int | None,
    candidate_size: int,
    forward: ForwardScores | None,
) -> ActivationDecision:
    """`explicit` is the caller's `activate`; `active_size` is None when no version is active."""
    if explicit is not None:
        return ActivationDecision(
            explicit, f"{'activated' if explicit else 'not activated'}: activate={str(explicit).lower()}"
        )
    if active_size is None:
        return ActivationDecision(True, "activated: no version was active")
    if policy is AutoActivate.ALWAYS:
        return ActivationDecision(True, "activated: REC_AUTO_ACTIVATE=always")
    if policy is AutoActivate.NEVER:
        return ActivationDecision(False, "not activated: REC_AUTO_ACTIVATE=never")
    return _if_better(active_size, candidate_size, forward)


def _if_better(active_size: int, candidate_size: int, forward: ForwardScores | None) -> ActivationDecision:
    floor = MIN_SIZE_RATIO * active_size
    size = f"dataset {candidate_size} positives vs active {active_size}"
    if candidate_size < floor:
        return ActivationDecision(
            False, f"not activated: {size}, below {MIN_SIZE_RATIO:.0%} of the active model's"
        )
    if forward is None or forward.positives < MIN_FORWARD_POSITIVES:
        n = 0 if forward is None else forward.positives
        return ActivationDecision(
            True,
            f"activated: {size} passes the size guard; {n} newer positives (< {MIN_FORWARD_POSITIVES}), "
            "so the size guard alone decides",
        )
    scores = (
        f"precision@10 on {forward.positives} newer positives: candidate {forward.candidate:.4f}, "
        f"active {forward.active:.4f}"
    )
    if forward.candidate >= forward.active - TOLERANCE:
        return ActivationDecision(True, f"activated: {scores} (tolerance {TOLERANCE}); {size}")
    return ActivationDecision(False, f"not activated: {scores} (tolerance {TOLERANCE}); {size}")
