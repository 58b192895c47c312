"""A trained LightFM model as an `ArtifactBundle`: plain numeric arrays plus JSON-able metadata.

Arrays (no object dtype, so `np.load(allow_pickle=False)` reads them):
- ``user_ids``, ``title_ids``: int64, the row order of the feature matrices;
- ``{user,item}_{embeddings,embedding_gradients,embedding_momentum,biases,bias_gradients,
  bias_momentum}``: float32, LightFM's parameters and optimiser state (adagrad accumulators or
  adadelta averages), one row per feature column;
- ``{user,item}_features_{data,indices,indptr,shape}``: the CSR feature matrices;
- ``random_state_keys``: uint32, the MT19937 state of the model's generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from adapters.lightfm_engine.prepare import Prepared
from application.ports import ArtifactBundle
from domain.errors import ArtifactError
from domain.model_version import TrainParams

FORMAT = "lightfm-engine"
FORMAT_VERSION = 1
FEATURE_LAYOUT = (
    "rows follow user_ids/title_ids; columns 0..n_ids-1 are identity features in the same order, "
    "column n_ids + j is the named feature *_feature_names[j]"
)
STATE_NAMES = tuple(
    f"{side}_{name}"
    for side in ("user", "item")
    for name in (
        "embeddings",
        "embedding_gradients",
        "embedding_momentum",
        "biases",
        "bias_gradients",
        "bias_momentum",
    )
)
SIDES = ("user", "item")


def to_bundle(
    model: LightFM, prepared: Prepared, params: TrainParams, training: Mapping[str, Any]
) -> ArtifactBundle:
    arrays: dict[str, np.ndarray] = {
        "user_ids": np.ascontiguousarray(prepared.users.ids, dtype=np.int64),
        "title_ids": np.ascontiguousarray(prepared.titles.ids, dtype=np.int64),
    }
    for name in STATE_NAMES:
        arrays[name] = np.ascontiguousarray(getattr(model, name), dtype=np.float32)
    for side, space in (("user", prepared.users), ("item", prepared.titles)):
        arrays.update(csr_parts(f"{side}_features", space.matrix))
    _, keys, pos, has_gauss, cached_gaussian = model.random_state.get_state(legacy=True)
    arrays["random_state_keys"] = np.asarray(keys, dtype=np.uint32)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "params": params.to_dict(),
        "loss": model.loss,
        "lightfm": {
            "no_components": int(model.no_components),
            "k": int(model.k),
            "n": int(model.n),
            "learning_schedule": model.learning_schedule,
            "loss": model.loss,
            "learning_rate": float(model.learning_rate),
            "rho": float(model.rho),
            "epsilon": float(model.epsilon),
            "item_alpha": float(model.item_alpha),
            "user_alpha": float(model.user_alpha),
            "max_sampled": int(model.max_sampled),
        },
        "random_state": {
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "normalize_features": bool(params.normalize_features),
        "user_feature_names": list(prepared.users.names),
        "item_feature_names": list(prepared.titles.names),
        "feature_layout": FEATURE_LAYOUT,
        "training": dict(training),
    }
    return ArtifactBundle(arrays=arrays, meta=meta)


def csr_parts(prefix: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_data": np.ascontiguousarray(matrix.data, dtype=np.float32),
        f"{prefix}_indices": np.ascontiguousarray(matrix.indices, dtype=np.int32),
        f"{prefix}_indptr": np.ascontiguousarray(matrix.indptr, dtype=np.int64),
        f"{prefix}_shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def csr_from_parts(arrays: Mapping[str, Any], prefix: str) -> sp.csr_matrix:
    shape = tuple(int(x) for x in np.asarray(arrays[f"{prefix}_shape"]))
    return sp.csr_matrix(
        (
            np.asarray(arrays[f"{prefix}_data"], dtype=np.float32),
            np.asarray(arrays[f"{prefix}_indices"]),
            np.asarray(arrays[f"{prefix}_indptr"]),
        ),
        shape=shape,
    )


def feature_scale_of(bundle: ArtifactBundle) -> float:
    """The factor named features were trained with (`prepare.py`); 1 for models written before it."""
    training = bundle.meta.get("training") or {}
    return float(training.get("named_feature_scale", 1.0))


def check_bundle(bundle: ArtifactBundle) -> None:
    """Raise ArtifactError unless the bundle is one this module wrote."""
    if bundle.meta.get("format") != FORMAT or bundle.meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"artifact format {bundle.meta.get('format')!r} v{bundle.meta.get('format_version')!r} is not "
            f"{FORMAT!r} v{FORMAT_VERSION}; retrain the model with this version of the service"
        )
    needed = ["user_ids", "title_ids", *STATE_NAMES] + [
        f"{side}_features_{part}" for side in SIDES for part in ("data", "indices", "indptr", "shape")
    ]
    missing = [name for name in needed if name not in bundle.arrays]
    if missing:
        raise ArtifactError(f"the model artifact lacks the arrays {', '.join(missing)}; retrain the model")


def model_from_bundle(bundle: ArtifactBundle) -> LightFM:
    """A LightFM model in the bundle's exact state, ready for more `fit_partial` epochs."""
    check_bundle(bundle)
    settings = dict(bundle.meta["lightfm"])
    model = LightFM(**settings)
    for name in STATE_NAMES:
        setattr(model, name, np.array(bundle.arrays[name], dtype=np.float32, copy=True))
    if "random_state_keys" in bundle.arrays:
        state = bundle.meta["random_state"]
        model.random_state.set_state(
            (
                "MT19937",
                np.asarray(bundle.arrays["random_state_keys"], dtype=np.uint32),
                state["pos"],
                state["has_gauss"],
                state["cached_gaussian"],
            )
        )
    return model
