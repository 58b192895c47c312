"""What a training fits to evaluate itself and how it scores, shared by the engine and
`snapshot.recompute_metrics`.

Evaluations (``evaluation`` in the bundle's training meta and the snapshot; metric ``in_sample``):

- ``holdout`` (full training): a fit without a seeded 20 % of each user's positives gives precision@10,
  recall@10 and AUC on that random holdout, the same for warm and cold users, and the coverage of
  the top 10 (`evaluate.holdout_metrics`), the popular list's beside them. With a forward check
  and newer positives to score, a second fit without the newer positives (and only those) is
  scored on them: it has seen exactly the data the active model had, so the comparison is fair.
  (Leaving the random holdout out of that fit too, i.e. one shared fit, costs the candidate 20 % of
  its older data: its forward precision@10 then came out lower than an identical model's by about
  the policy's tolerance, enough to reject an equal candidate. `shared_forward` keeps that cheaper
  variant available.)
- ``forward`` (partial retraining with newer positives to score): the base has seen the random
  holdout, so the grown base is continued without the newer positives, and precision@10, recall@10
  and AUC are those of the newer positives (``in_sample`` 0).
- ``in_sample`` (partial retraining without a forward check or without newer positives): nothing
  clean to measure; the served model's figures on the random holdout, which it trained on, are
  reported as ``in_sample_precision_at_10`` etc., never under the usual names (``in_sample`` 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from lightfm import LightFM

from adapters.lightfm_engine.evaluate import holdout_metrics, model_vectors
from adapters.lightfm_engine.forward import (
    ForwardSplit,
    baseline_precision,
    candidate_metrics,
    forward_metrics,
    forward_result,
)
from adapters.lightfm_engine.prepare import Prepared
from application.ports import ArtifactBundle, ForwardResult
from domain.training_job import TrainMode

Evaluation = Literal["holdout", "forward", "in_sample"]
Role = Literal["holdout", "forward", "served"]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Plan:
    mode: TrainMode
    held: Mask  # random holdout over the prepared positives
    auc_users: npt.NDArray[np.int64]  # rows sampled for the holdout AUC
    forward: ForwardSplit | None
    shared_forward: bool = False  # full training: score forward with the holdout fit

    @property
    def has_newer(self) -> bool:
        return self.forward is not None and self.forward.positives > 0

    @property
    def evaluation(self) -> Evaluation:
        if self.mode is TrainMode.FULL:
            return "holdout"
        return "forward" if self.has_newer else "in_sample"

    def fits(self) -> list[tuple[Role, Mask]]:
        """The evaluation fits, each with the positives it trains on (the served fit is not one)."""
        newer = self.forward.newer if self.forward is not None and self.has_newer else None
        if self.mode is TrainMode.PARTIAL:
            return [] if newer is None else [("forward", ~newer)]
        if newer is None:
            return [("holdout", ~self.held)]
        if self.shared_forward:
            return [("holdout", ~(self.held | newer))]
        return [("holdout", ~self.held), ("forward", ~newer)]

    def forward_role(self) -> Role | None:
        """Which model is scored on the newer positives."""
        if not self.has_newer:
            return None
        return "holdout" if self.mode is TrainMode.FULL and self.shared_forward else "forward"


def score(
    plan: Plan,
    role: Role,
    model: LightFM,
    prepared: Prepared,
    baseline: ArtifactBundle | None,
    workers: int,
) -> tuple[dict[str, float], ForwardResult | None]:
    """The figures `model` (in `role`) contributes; `finish` completes them."""
    users, items = model_vectors(
        prepared, model.user_embeddings, model.user_biases, model.item_embeddings, model.item_biases
    )
    metrics: dict[str, float] = {}
    if role in ("holdout", "served"):
        prefix = "in_sample_" if role == "served" else ""
        found = holdout_metrics(users, items, prepared, plan.held, plan.auc_users, workers)
        metrics.update({f"{prefix}{name}": value for name, value in found.items()})
    result = None
    if role == plan.forward_role() and plan.forward is not None:
        candidate = candidate_metrics(users, items, plan.forward, workers)
        if plan.mode is TrainMode.PARTIAL:
            metrics.update(candidate)
        active = baseline_precision(baseline, prepared, plan.forward, workers) if baseline else 0.0
        result = forward_result(plan.forward, candidate["precision_at_10"], active)
    return metrics, result


def finish(
    plan: Plan, metrics: dict[str, float], result: ForwardResult | None, has_baseline: bool
) -> tuple[dict[str, float], ForwardResult | None]:
    metrics["in_sample"] = 1.0 if plan.evaluation == "in_sample" else 0.0
    if plan.forward is not None:
        if result is None:  # nothing newer to score
            result = forward_result(plan.forward, 0.0, 0.0)
        metrics.update(forward_metrics(result))
        if not has_baseline:
            del metrics["forward_active_precision_at_10"]
    return metrics, result
