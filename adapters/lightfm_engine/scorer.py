"""Serving scores with numpy over representations precomputed once per model (contract section 6)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.bundle import check_bundle, csr_from_parts
from adapters.lightfm_engine.prepare import normalize_rows
from adapters.lightfm_engine.vectors import F32, augment, representations, unit_rows
from application.ports import ArtifactBundle, Scorer
from domain.recommendation import RankedList

Ids = npt.NDArray[np.int64]
_EMPTY = RankedList((), ())


class NumpyScorer(Scorer):
    """Ranks titles for one model; immutable after construction, so safe to share between threads.

    A user's scores are one matrix-vector product ``V' @ U'[row]`` with the biases folded into
    ``U' = [U, b_u, 1]`` and ``V' = [V, 1, b_i]``; similar titles are cosines over ``V``.
    """

    def __init__(
        self,
        user_ids: npt.ArrayLike,
        title_ids: npt.ArrayLike,
        user_features: sp.csr_matrix,
        item_features: sp.csr_matrix,
        user_embeddings: F32,
        user_biases: F32,
        item_embeddings: F32,
        item_biases: F32,
        *,
        user_feature_names: Sequence[str] = (),
        item_feature_names: Sequence[str] = (),
        normalize_features: bool = False,
    ) -> None:
        users = np.asarray(user_ids, dtype=np.int64)
        titles = np.asarray(title_ids, dtype=np.int64)
        user_order, item_order = np.argsort(users, kind="stable"), np.argsort(titles, kind="stable")
        user_features = sp.csr_matrix(user_features)[user_order]
        item_features = sp.csr_matrix(item_features)[item_order]
        self._user_ids = _frozen(users[user_order])
        self._title_ids = _frozen(titles[item_order])
        user_latent, user_bias = representations(user_features, user_embeddings, user_biases)
        item_latent, item_bias = representations(item_features, item_embeddings, item_biases)
        self._user_aug = augment(user_latent, user_bias, user_side=True)
        self._item_aug = augment(item_latent, item_bias, user_side=False)
        self._item_unit = unit_rows(item_latent)
        self._normalize = normalize_features
        self._user_named = _NamedFeatures(user_feature_names, user_embeddings, user_biases, len(users))
        self._item_named = _NamedFeatures(item_feature_names, item_embeddings, item_biases, len(titles))

    @classmethod
    def from_bundle(cls, bundle: ArtifactBundle) -> NumpyScorer:
        check_bundle(bundle)
        arrays, meta = bundle.arrays, bundle.meta
        return cls(
            arrays["user_ids"],
            arrays["title_ids"],
            csr_from_parts(arrays, "user_features"),
            csr_from_parts(arrays, "item_features"),
            arrays["user_embeddings"],
            arrays["user_biases"],
            arrays["item_embeddings"],
            arrays["item_biases"],
            user_feature_names=meta.get("user_feature_names", ()),
            item_feature_names=meta.get("item_feature_names", ()),
            normalize_features=bool(meta.get("normalize_features", False)),
        )

    # --- lookups ----------------------------------------------------------------------
    @property
    def user_ids(self) -> Ids:
        """Known user ids, ascending (read-only)."""
        return self._user_ids

    @property
    def title_ids(self) -> Ids:
        """Known title ids, ascending (read-only)."""
        return self._title_ids

    def knows_user(self, user_id: int) -> bool:
        return _row(self._user_ids, user_id) is not None

    def knows_title(self, title_id: int) -> bool:
        return _row(self._title_ids, title_id) is not None

    # --- rankings ---------------------------------------------------------------------
    def top_for_user(self, user_id: int, n: int, exclude: Collection[int]) -> RankedList:
        """Best `n` titles for a known user (KeyError otherwise), never one of `exclude`."""
        row = _row(self._user_ids, user_id)
        if row is None:
            raise KeyError(user_id)
        return self._top(self._item_aug @ self._user_aug[row], n, self._title_rows(exclude))

    def similar_titles(self, title_id: int, n: int, exclude: Collection[int]) -> RankedList:
        """Titles by cosine over item representations, never the title itself (KeyError if unknown)."""
        row = _row(self._title_ids, title_id)
        if row is None:
            raise KeyError(title_id)
        banned = np.append(self._title_rows(exclude), row)
        return self._top(self._item_unit @ self._item_unit[row], n, banned)

    def top_for_features(self, features: Mapping[str, float], n: int, exclude: Collection[int]) -> RankedList:
        """Cold start: rank for a user known only by named features; empty when none is known."""
        found = self._user_named.vector(features, self._normalize)
        if found is None:
            return _EMPTY
        latent, bias = found
        query = np.concatenate([latent, [bias, 1.0]]).astype(np.float32)
        return self._top(self._item_aug @ query, n, self._title_rows(exclude))

    def similar_to_features(
        self, features: Mapping[str, float], n: int, exclude: Collection[int]
    ) -> RankedList:
        """Similar titles for a title known only by named features; empty when none is known."""
        found = self._item_named.vector(features, self._normalize)
        if found is None:
            return _EMPTY
        latent = found[0]
        norm = float(np.linalg.norm(latent))
        if norm == 0:
            return _EMPTY
        return self._top(self._item_unit @ (latent / norm), n, self._title_rows(exclude))

    def _title_rows(self, title_ids: Collection[int]) -> npt.NDArray[np.int64]:
        if not title_ids:
            return np.empty(0, dtype=np.int64)
        try:
            wanted = np.fromiter(title_ids, dtype=np.int64, count=len(title_ids))
        except OverflowError:  # ids outside int64 are unknown to the model anyway
            wanted = np.fromiter((t for t in title_ids if 0 <= t < 2**63), dtype=np.int64)
        rows: npt.NDArray[np.int64] = np.searchsorted(self._title_ids, wanted)
        inside = rows < len(self._title_ids)
        rows = rows[inside]
        known: npt.NDArray[np.int64] = rows[self._title_ids[rows] == wanted[inside]]
        return known

    def _top(self, scores: F32, n: int, banned: npt.NDArray[np.int64]) -> RankedList:
        """Best `n` of `scores` outside rows `banned` (repeats allowed), best first, ties by row."""
        k = min(n, len(scores) - _count_distinct(banned))
        if k <= 0:
            return _EMPTY
        scores[banned] = -np.inf
        if k < len(scores):
            top = np.argpartition(-scores, k - 1)[:k]
            top.sort()
        else:
            top = np.arange(len(scores))
        best = top[np.argsort(-scores[top], kind="stable")][:k]
        return RankedList(tuple(self._title_ids[best].tolist()), tuple(scores[best].tolist()))


class _NamedFeatures:
    """Embeddings of one side's named features, to represent ids the model has never seen."""

    def __init__(self, names: Sequence[str], embeddings: F32, biases: F32, n_ids: int) -> None:
        self._column = {name: j for j, name in enumerate(names)}
        self._embeddings = np.asarray(embeddings, dtype=np.float32)[n_ids:]
        self._biases = np.asarray(biases, dtype=np.float32)[n_ids:]

    def vector(self, features: Mapping[str, float], normalize: bool) -> tuple[F32, float] | None:
        pairs = [(self._column[name], w) for name, w in features.items() if name in self._column and w]
        if not pairs:
            return None
        cols = np.array([c for c, _ in pairs], dtype=np.int64)
        weights = sp.csr_matrix(
            (np.array([w for _, w in pairs], dtype=np.float32), (np.zeros(len(cols), dtype=np.int64), cols)),
            shape=(1, len(self._column)),
        )
        if normalize:
            weights = normalize_rows(weights)
        latent, bias = representations(weights, self._embeddings, self._biases)
        return latent[0], float(bias[0])


def _row(sorted_ids: Ids, value: int) -> int | None:
    if not 0 < value < 2**63:
        return None
    row = int(np.searchsorted(sorted_ids, value))
    if row < len(sorted_ids) and sorted_ids[row] == value:
        return row
    return None


def _count_distinct(rows: npt.NDArray[np.int64]) -> int:
    if len(rows) < 2:
        return len(rows)
    ordered = np.sort(rows)
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))  # np.unique costs ~20 us


def _frozen(values: Ids) -> Ids:
    out = np.ascontiguousarray(values, dtype=np.int64)
    out.flags.writeable = False
    return out
