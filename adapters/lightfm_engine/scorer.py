"""Serving scores with numpy over representations precomputed once per model."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from adapters.lightfm_engine.bundle import check_bundle, csr_from_parts, feature_scale_of
from adapters.lightfm_engine.fold_in import fold_in, step_size
from adapters.lightfm_engine.prepare import normalize_rows
from adapters.lightfm_engine.ranking import EMPTY, Ids, Items, frozen, ranked, row_of, title_rows
from adapters.lightfm_engine.vectors import F32, augment, representations, unit_rows
from application.ports import ArtifactBundle, Scorer
from domain.recommendation import RankedList

MAX_FOLDED_USERS = 100_000  # users whose representation hot events changed, least recent dropped first
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
        self._user_named = _NamedFeatures(user_feature_names, user_embeddings, user_biases, len(users), scale)
        self._item_named = _NamedFeatures(
            item_feature_names, item_embeddings, item_biases, len(titles), scale
        )
        self._folded: OrderedDict[int, F32] = OrderedDict()
        self._lock = threading.Lock()  # one writer of the overlays at a time
        self._fold_rate = step_size(item_aug)

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

    # --- fold-in ----------------------------------------------------------------------
    def fold_in_user(
        self, user_id: int, title_id: int, weight: float, features: Mapping[str, float] | None = None
    ) -> bool:
        """Move the user toward `title_id` (see `fold_in.py`); an unknown user starts from features."""
        items = self._items
        item_row = row_of(items.ids, title_id)
        if item_row is None or not weight > 0:
            return False
        rng = np.random.default_rng([user_id, title_id])
        with self._lock:
            start = self._user_vector(user_id)
            if start is None:
                start = self._feature_start(features or {})
            moved = fold_in(start, items.aug, item_row, weight, self._fold_rate, rng)
            self._folded[user_id] = moved
            self._folded.move_to_end(user_id)
            while len(self._folded) > MAX_FOLDED_USERS:
                self._folded.popitem(last=False)
        return True

    def _user_vector(self, user_id: int) -> F32 | None:
        folded = self._folded.get(user_id)
        if folded is not None:
            return folded
        row = row_of(self._user_ids, user_id)
        return None if row is None else self._user_aug[row]

    def _feature_start(self, features: Mapping[str, float]) -> F32:
        """``[latent, bias, 1]`` of a new user: their features' representation, or zero."""
        start = np.zeros(self._items.aug.shape[1], dtype=np.float32)
        start[-1] = 1.0
        found = self._user_named.vector(features, self._normalize)
        if found is not None:
            start[:-2], start[-2] = found
        return start

    # --- titles that joined after training ----------------------------------------------
    def add_titles(self, features: Mapping[int, Mapping[str, float]]) -> int:
        """Represent titles unknown to the model by their named features, so that they are ranked in
        every list from now on; titles already known or without a known feature are skipped."""
        with self._lock:
            items = self._items
            rows = [
                (title_id, found)
                for title_id, named in sorted(features.items())
                if 0 < title_id < 2**63
                and row_of(items.ids, title_id) is None
                and (found := self._item_named.vector(named, self._normalize)) is not None
            ]
            if not rows:
                return 0
            latent = np.vstack([found[0] for _, found in rows]).astype(np.float32)
            bias = np.array([found[1] for _, found in rows], dtype=np.float32)
            ids = np.concatenate([items.ids, np.array([t for t, _ in rows], dtype=np.int64)])
            aug = np.vstack([items.aug, augment(latent, bias, user_side=False)])
            unit = np.vstack([items.unit, unit_rows(latent)])
            order = np.argsort(ids, kind="stable")
            self._items = Items(frozen(ids[order]), aug[order], unit[order])
        return len(rows)


class _NamedFeatures:
    """Embeddings of one side's named features, to represent ids the model has never seen.

    Source weights are multiplied by `scale`, as the model's training did (`prepare.py`).
    """

    def __init__(self, names: Sequence[str], embeddings: F32, biases: F32, n_ids: int, scale: float) -> None:
        self._scale = scale
        self._column = {name: j for j, name in enumerate(names)}
        self._embeddings = np.asarray(embeddings, dtype=np.float32)[n_ids:]
        self._biases = np.asarray(biases, dtype=np.float32)[n_ids:]

    def vector(self, features: Mapping[str, float], normalize: bool) -> tuple[F32, float] | None:
        pairs = [
            (self._column[name], w * self._scale)
            for name, w in features.items()
            if name in self._column and w
        ]
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
