"""Partial retraining: continue from a model grown for the current data (README, "Model lifecycle").

The current preparation may know ids and named features the base did not, and may order identity
columns differently (a new id shifts every later one, and every named feature). Each column of the
new feature spaces is therefore matched to the base's by key (``id:<id>`` / ``feature:<name>``):
a matched column keeps its embedding, bias and optimiser state; a new one starts as LightFM starts
(embedding uniform in (-0.5, 0.5) / no_components from the model's own generator, bias 0, adagrad
accumulators 1 or adadelta averages 0, momentum 0). Base columns that are no longer in the data are
dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from lightfm import LightFM

from adapters.lightfm_engine.bundle import model_from_bundle
from adapters.lightfm_engine.forward import lookup
from adapters.lightfm_engine.prepare import FeatureSpace, Prepared
from application.ports import ArtifactBundle
from domain.model_version import TrainParams

Columns = np.ndarray


def effective_params(base: ArtifactBundle, params: TrainParams) -> TrainParams:
    """The request's epochs, learning rate and regularisation; the base's shape-defining settings.

    The embedding width, the loss (and so the learning problem) and the feature scaling belong to the
    model being continued, whatever the request says.
    """
    settings = base.meta["lightfm"]
    return TrainParams(
        no_components=int(settings["no_components"]),
        loss=str(settings["loss"]),
        epochs=params.epochs,
        learning_rate=params.learning_rate,
        item_alpha=params.item_alpha,
        user_alpha=params.user_alpha,
        normalize_features=bool(base.meta.get("normalize_features", False)),
    )


def column_sources(base_ids: np.ndarray, base_names: list[str], space: FeatureSpace) -> Columns:
    """For each column of `space`, the base's column with the same key, or -1 for a new one."""
    identity = lookup(np.asarray(base_ids, dtype=np.int64), space.ids)
    offset = len(base_ids)
    by_name = {name: offset + j for j, name in enumerate(base_names)}
    named = np.array([by_name.get(name, -1) for name in space.names], dtype=np.int64)
    return np.concatenate([identity, named])


def grown_model(
    base: ArtifactBundle, prepared: Prepared, params: TrainParams
) -> tuple[LightFM, dict[str, int]]:
    """The base model resized and remapped to `prepared`'s columns, with `params`' learning rates."""
    model = model_from_bundle(base)
    model.learning_rate = params.learning_rate
    model.item_alpha = params.item_alpha
    model.user_alpha = params.user_alpha
    report: dict[str, int] = {}
    sides = (
        ("user", "user_ids", "user_feature_names", prepared.users, "users"),
        ("item", "title_ids", "item_feature_names", prepared.titles, "titles"),
    )
    for side, ids_key, names_key, space, label in sides:
        base_ids = np.asarray(base.arrays[ids_key], dtype=np.int64)
        base_names = [str(name) for name in base.meta.get(names_key, [])]
        source = column_sources(base_ids, base_names, space)
        _grow_side(model, side, source)
        n_ids = len(space.ids)
        report[f"new_{label}"] = int(np.count_nonzero(source[:n_ids] < 0))
        report[f"new_{side}_features"] = int(np.count_nonzero(source[n_ids:] < 0))
        report[f"dropped_{label}"] = len(base_ids) - int(np.count_nonzero(source[:n_ids] >= 0))
        report[f"dropped_{side}_features"] = len(base_names) - int(np.count_nonzero(source[n_ids:] >= 0))
    return model, report


def _grow_side(model: LightFM, side: str, source: Columns) -> None:
    d = int(model.no_components)
    kept = source >= 0
    fresh = int(np.count_nonzero(~kept))
    accumulator = 1.0 if model.learning_schedule == "adagrad" else 0.0
    initial: Mapping[str, Any] = {
        "embeddings": ((model.random_state.rand(fresh, d) - 0.5) / d).astype(np.float32),
        "embedding_gradients": accumulator,
        "embedding_momentum": 0.0,
        "biases": 0.0,
        "bias_gradients": accumulator,
        "bias_momentum": 0.0,
    }
    for part, start in initial.items():
        name = f"{side}_{part}"
        old = np.asarray(getattr(model, name), dtype=np.float32)
        new = np.empty((len(source), *old.shape[1:]), dtype=np.float32)
        new[kept] = old[source[kept]]
        new[~kept] = start
        setattr(model, name, np.ascontiguousarray(new))
