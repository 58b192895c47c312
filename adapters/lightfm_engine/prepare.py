"""From the source's raw columns to LightFM's sparse inputs, vectorised.

Feature matrices have one identity column per id (columns ``0 .. n_ids-1`` in id order) followed by
one column per named source feature (``n_ids + j`` for ``names[j]``): identity and named features
live in separate column ranges, so a source feature can never collide with an identity feature.

Identity features enter with weight 1 and named features with their source weight times
`feature_scale` (the engine uses `NAMED_FEATURE_SCALE`): at full weight, a feature shared by many
titles or users (a genre, an age bucket) pulls their representations together so strongly that
ranking suffers. MovieLens 100k, random protocol of bench/quality.py, precision@10 (single runs,
+-0.003): with the default parameters 0.184-0.186 at full weight, 0.198-0.199 at 0.2-0.3; with 48
components and learning rate 0.03, 0.2096 at full weight, 0.2185-0.2210 at 0.1-0.3, 0.2195 with
identity alone. Cold start keeps working (demo data, tests/e2e/test_cold_start_demo.py: 704 hits at
full weight, 710 at 0.3, 670 at 0.1, popular list 385). The scale is recorded with the model
(`training.named_feature_scale`) and serving applies it to feature-only representations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from adapters.source.tables import SourceTables
from domain.interaction import RATING, PositiveRule

IDENTITY_PREFIX = "id:"
FEATURE_PREFIX = "feature:"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

NAMED_FEATURE_SCALE = 0.25


@dataclass(frozen=True, slots=True)
class FeatureSpace:
    """The users (or titles) of a model and their feature matrix."""

    ids: IntArray  # sorted, unique
    names: tuple[str, ...]  # named features, column len(ids) + j
    matrix: sp.csr_matrix  # float32, (len(ids), len(ids) + len(names))

    def rows_of(self, ids: npt.ArrayLike) -> IntArray:
        """Row of each id (the ids must be known)."""
        return np.searchsorted(self.ids, np.asarray(ids, dtype=np.int64)).astype(np.int64)

    def column_keys(self) -> list[str]:
        """Namespaced name of every column, e.g. to map columns between two trainings."""
        return [f"{IDENTITY_PREFIX}{i}" for i in self.ids.tolist()] + [
            f"{FEATURE_PREFIX}{name}" for name in self.names
        ]


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything a fit and its evaluation need, as row/column indices into the feature spaces."""

    users: FeatureSpace
    titles: FeatureSpace
    pos_rows: npt.NDArray[np.int32]  # one entry per positive (user, title) pair, sorted
    pos_cols: npt.NDArray[np.int32]
    pos_weights: FloatArray  # summed weights of the pair's positive events
    pos_first_us: IntArray  # time of the pair's first positive event, microseconds since the epoch (UTC)
    neg_rows: npt.NDArray[np.int32]  # pairs with only low ratings (negative labels for `logistic`)
    neg_cols: npt.NDArray[np.int32]
    neg_weights: FloatArray
    seen: sp.csr_matrix  # every (user, title) pair with any source interaction, bool
    seen_first_us: IntArray  # time of the pair's first event of any kind, aligned with `seen.indices`

    @property
    def n_positives(self) -> int:
        return len(self.pos_rows)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.users.ids), len(self.titles.ids)


def prepare(
    data: SourceTables, rule: PositiveRule, normalize_features: bool = False, feature_scale: float = 1.0
) -> Prepared:
    inter = data.interactions
    user_ids = _ids(data.users["id"], inter["user_id"])
    title_ids = _ids(data.titles["id"], inter["title_id"])
    rows = np.searchsorted(user_ids, inter["user_id"].to_numpy(dtype=np.int64))
    cols = np.searchsorted(title_ids, inter["title_id"].to_numpy(dtype=np.int64))
    n_items = max(len(title_ids), 1)  # stride of the (row, col) -> row * n_items + col pair keys
    times = micros(inter["created_at"])

    type_weight = inter["int_type"].map(dict(rule.weights)).astype("float64").to_numpy()
    is_rating = (inter["int_type"] == RATING).to_numpy(dtype=bool)
    raw = inter["raw_score"].to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(type_weight)
    with np.errstate(invalid="ignore"):
        high_enough = raw >= rule.rating_min_positive
    positive = known & (~is_rating | high_enough)
    rated = is_rating & known & ~np.isnan(raw)
    max_rating = float(raw[rated].max()) if rated.any() else 0.0
    scale = np.ones(len(inter))
    if max_rating > 0:
        scale[is_rating] = raw[is_rating] / max_rating
    contribution = np.where(positive, type_weight * scale, 0.0)

    pos_pairs = _PairGroups(rows[positive] * n_items + cols[positive])
    pos_keys = pos_pairs.keys
    pos_weights = pos_pairs.sum(contribution[positive])
    low = rated & ~high_enough
    low_keys = sorted_unique(rows[low] * n_items + cols[low])
    neg_keys = low_keys[~_contains(pos_keys, low_keys)]
    rating_weight = float(rule.weights.get(RATING, 1.0))

    seen_pairs = _PairGroups(rows * n_items + cols)
    seen_keys = seen_pairs.keys
    seen = sp.csr_matrix(
        (np.ones(len(seen_keys), dtype=bool), (seen_keys // n_items, seen_keys % n_items)),
        shape=(len(user_ids), len(title_ids)),
    )
    return Prepared(
        users=_feature_space(user_ids, data.user_features, "user_id", normalize_features, feature_scale),
        titles=_feature_space(title_ids, data.title_features, "title_id", normalize_features, feature_scale),
        pos_rows=(pos_keys // n_items).astype(np.int32),
        pos_cols=(pos_keys % n_items).astype(np.int32),
        pos_weights=pos_weights.astype(np.float32),
        pos_first_us=pos_pairs.earliest(times[positive]),
        neg_rows=(neg_keys // n_items).astype(np.int32),
        neg_cols=(neg_keys % n_items).astype(np.int32),
        neg_weights=np.full(len(neg_keys), rating_weight, dtype=np.float32),
        seen=seen,
        seen_first_us=seen_pairs.earliest(times),
    )


def micros(created_at: pd.Series) -> IntArray:
    """Event times as int64 microseconds since the epoch, UTC (naive times are taken as UTC)."""
    utc = pd.to_datetime(created_at, utc=True).dt.tz_convert(None)
    values = np.asarray(utc.to_numpy(dtype="datetime64[us]"))
    result: IntArray = values.astype(np.int64)
    return result


class _PairGroups:
    """Events grouped by (row, col) pair key with one argsort; sums and minima per pair by reduceat."""

    def __init__(self, pair_keys: IntArray) -> None:
        self._order = np.argsort(pair_keys)
        ordered = pair_keys[self._order]
        self._starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]])[: len(ordered)])
        self.keys: IntArray = ordered[self._starts].astype(np.int64)

    def sum(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if not len(self.keys):
            return np.zeros(0, dtype=np.float64)
        return np.add.reduceat(values[self._order].astype(np.float64), self._starts)

    def earliest(self, times: IntArray) -> IntArray:
        if not len(self.keys):
            return np.zeros(0, dtype=np.int64)
        first: IntArray = np.minimum.reduceat(times[self._order], self._starts).astype(np.int64)
        return first


def _ids(table_ids: pd.Series, interaction_ids: pd.Series) -> IntArray:
    both = np.concatenate([table_ids.to_numpy(dtype=np.int64), interaction_ids.to_numpy(dtype=np.int64)])
    return sorted_unique(both)


def sorted_unique(values: npt.ArrayLike) -> IntArray:
    """`np.unique` for int64 by sorting (numpy 2.4's hash-based unique is much slower on these arrays)."""
    ordered = np.sort(np.asarray(values, dtype=np.int64))
    if len(ordered) < 2:
        return ordered
    distinct: IntArray = ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]
    return distinct


def _contains(sorted_keys: IntArray, values: IntArray) -> npt.NDArray[np.bool_]:
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    found: npt.NDArray[np.bool_] = sorted_keys[at] == values
    return found


def _feature_space(
    ids: IntArray, features: pd.DataFrame, id_column: str, normalize: bool, scale: float
) -> FeatureSpace:
    n = len(ids)
    owner = features[id_column].to_numpy(dtype=np.int64)
    weight = features["weight"].to_numpy(dtype=np.float64, na_value=np.nan)
    pos = np.searchsorted(ids, owner)
    known = np.zeros(len(owner), dtype=bool)
    if n:
        known = (pos < n) & (ids[np.minimum(pos, n - 1)] == owner)
    with np.errstate(over="ignore"):
        usable = np.isfinite(weight.astype(np.float32)) & (weight != 0)  # LightFM computes in float32
    keep = known & usable
    codes, uniques = pd.factorize(features["feature"][keep].astype(str), sort=True)
    names = tuple(str(name) for name in uniques)
    rows = np.concatenate([np.arange(n), pos[keep]])
    cols = np.concatenate([np.arange(n), n + codes])
    data = np.concatenate([np.ones(n), weight[keep] * scale])
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(n, n + len(names)), dtype=np.float32)
    matrix.sum_duplicates()
    matrix.sort_indices()
    if normalize:
        matrix = normalize_rows(matrix)
    return FeatureSpace(ids=ids, names=names, matrix=matrix)


def normalize_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each row to an L1 norm of 1 (LightFM's `normalize_*_features`); empty rows stay empty."""
    norms = np.asarray(abs(matrix).sum(axis=1), dtype=np.float64).ravel()
    norms[norms == 0] = 1.0
    scaled = sp.csr_matrix(sp.diags(1.0 / norms) @ matrix, dtype=np.float32)
    scaled.sort_indices()
    return scaled
