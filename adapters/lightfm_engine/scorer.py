"""Serving scores with numpy over representations precomputed once per model."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from adapters.lightfm_engine.bundle import check_bundle, csr_from_parts, feature_scale_of
from adapters.lightfm_engine.ranking import (
    EMPTY,
    Ids,
    Items,
    NamedFeatures,
    frozen,
    ranked,
    row_of,
    title_rows,
)
from adapters.lightfm_engine.scorer_growth import FoldedUsers, feature_start, with_titles
from adapters.lightfm_engine.vectors import F32, augment, representations, unit_rows
from application.ports import ArtifactBundle, Scorer
from domain.recommendation import RankedList

_blas_pinned = False


def pin_blas_to_one_thread() -> None:
    """One BLAS thread for the whole process, once.

    A request's product is one user against every title: small work for one core. OpenBLAS splits
    it over every core and then waits for the slowest, which on a machine loaded by the other
    requests and a training makes it several times slower. Training's own parallelism is explicit
    (REC_TRAIN_THREADS), so this leaves a core for serving.
    """
    global _blas_pinned
    if not _blas_pinned:
        threadpool_limits(limits=1, user_api="blas")
        _blas_pinned = True


class NumpyScorer(Scorer):
    """Ranks titles for one model; safe to share between threads.

    Everything is immutable after construction except two overlays, each changed by one assignment
    under a lock: users moved by hot events (fold-in, a bounded LRU) and titles that joined the
    catalogue after training, represented by their features (`add_titles`).

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
        feature_scale: float = 1.0,
    ) -> None:
        pin_blas_to_one_thread()
        users = np.asarray(user_ids, dtype=np.int64)
        titles = np.asarray(title_ids, dtype=np.int64)
        user_order, item_order = np.argsort(users, kind="stable"), np.argsort(titles, kind="stable")
        user_features = sp.csr_matrix(user_features)[user_order]
        item_features = sp.csr_matrix(item_features)[item_order]
        self._user_ids = frozen(users[user_order])
        user_latent, user_bias = representations(user_features, user_embeddings, user_biases)
        item_latent, item_bias = representations(item_features, item_embeddings, item_biases)
        self._user_aug = augment(user_latent, user_bias, user_side=True)
        item_aug = augment(item_latent, item_bias, user_side=False)
        self._items = Items(frozen(titles[item_order]), item_aug, unit_rows(item_latent))
        self._normalize = normalize_features
        scale = feature_scale
        self._user_named = NamedFeatures(user_feature_names, user_embeddings, user_biases, len(users), scale)
        self._item_named = NamedFeatures(item_feature_names, item_embeddings, item_biases, len(titles), scale)
        self._lock = threading.Lock()  # one writer of the overlays at a time
        self._folded = FoldedUsers(self._items)

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
            feature_scale=feature_scale_of(bundle),
        )

    # --- lookups ----------------------------------------------------------------------
    @property
    def user_ids(self) -> Ids:
        """Known user ids, ascending (read-only)."""
        return self._user_ids

    @property
    def title_ids(self) -> Ids:
        """Known title ids, ascending (read-only)."""
        return self._items.ids

    def knows_user(self, user_id: int) -> bool:
        return user_id in self._folded or row_of(self._user_ids, user_id) is not None

    def knows_title(self, title_id: int) -> bool:
        return row_of(self._items.ids, title_id) is not None

    # --- rankings ---------------------------------------------------------------------
    def top_for_user(
        self, user_id: int, n: int, exclude: Collection[int], only: Collection[int] | None = None
    ) -> RankedList:
        """Best `n` titles for a known user (KeyError otherwise), never one of `exclude`."""
        vector = self._user_vector(user_id)
        if vector is None:
            raise KeyError(user_id)
        items = self._items
        return ranked(items, items.aug @ vector, n, title_rows(items, exclude), only)

    def similar_titles(
        self, title_id: int, n: int, exclude: Collection[int], only: Collection[int] | None = None
    ) -> RankedList:
        """Titles by cosine over item representations, never the title itself (KeyError if unknown)."""
        items = self._items
        row = row_of(items.ids, title_id)
        if row is None:
            raise KeyError(title_id)
        banned = np.append(title_rows(items, exclude), row)
        return ranked(items, items.unit @ items.unit[row], n, banned, only)

    def top_for_features(
        self,
        features: Mapping[str, float],
        n: int,
        exclude: Collection[int],
        only: Collection[int] | None = None,
    ) -> RankedList:
        """Cold start: rank for a user known only by named features; empty when none is known."""
        found = self._user_named.vector(features, self._normalize)
        if found is None:
            return EMPTY
        latent, bias = found
        query = np.concatenate([latent, [bias, 1.0]]).astype(np.float32)
        items = self._items
        return ranked(items, items.aug @ query, n, title_rows(items, exclude), only)

    def similar_to_features(
        self,
        features: Mapping[str, float],
        n: int,
        exclude: Collection[int],
        only: Collection[int] | None = None,
    ) -> RankedList:
        """Similar titles for a title known only by named features; empty when none is known."""
        found = self._item_named.vector(features, self._normalize)
        if found is None:
            return EMPTY
        latent = found[0]
        norm = float(np.linalg.norm(latent))
        if norm == 0:
            return EMPTY
        items = self._items
        return ranked(items, items.unit @ (latent / norm), n, title_rows(items, exclude), only)

    # --- fold-in (`scorer_growth`) --------------------------------------------------------
    def fold_in_user(
        self, user_id: int, title_id: int, weight: float, features: Mapping[str, float] | None = None
    ) -> bool:
        """Move the user toward `title_id` (see `fold_in.py`); an unknown user starts from features."""
        items = self._items
        item_row = row_of(items.ids, title_id)
        if item_row is None or not weight > 0:
            return False
        with self._lock:
            start = self._user_vector(user_id)
            if start is None:
                start = feature_start(items.aug.shape[1], self._user_named, features or {}, self._normalize)
            self._folded.move(user_id, start, items, item_row, weight)
        return True

    def _user_vector(self, user_id: int) -> F32 | None:
        folded = self._folded.get(user_id)
        if folded is not None:
            return folded
        row = row_of(self._user_ids, user_id)
        return None if row is None else self._user_aug[row]

    # --- titles that joined after training (`scorer_growth`) ----------------------------
    def add_titles(self, features: Mapping[int, Mapping[str, float]]) -> int:
        """Represent titles unknown to the model by their named features, so that they are ranked in
        every list from now on; titles already known or without a known feature are skipped."""
        with self._lock:
            self._items, added = with_titles(self._items, self._item_named, features, self._normalize)
        return added
