"""The baselines of the quality table: popularity and implicit's ALS, on the same training positives."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bench.quality_data import Split

ALS_FACTORS = 64
ALS_ITERATIONS = 15


def popularity(split: Split) -> np.ndarray:
    """Every user gets the titles by number of training positives."""
    counts = np.asarray(split.train_positive.sum(axis=0), dtype=np.float64).ravel()
    return np.broadcast_to(counts, split.train_positive.shape)


def als(split: Split, seed: int, threads: int) -> np.ndarray | str:
    """implicit's ALS (64 factors, 15 iterations, its other defaults) on the binary training positives;
    a note instead of scores when the bench extra is not installed."""
    try:
        from implicit.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits
    except ImportError as exc:
        return f"skipped: implicit is not installed ({exc}); `make bench-quality` installs the bench extra"
    with threadpool_limits(1, "blas"):  # implicit's advice: its own threads, single-threaded BLAS
        model = AlternatingLeastSquares(
            factors=ALS_FACTORS, iterations=ALS_ITERATIONS, random_state=seed, num_threads=threads
        )
        model.fit(sp.csr_matrix(split.train_positive, dtype=np.float32), show_progress=False)
    factors_u = np.asarray(model.user_factors)
    factors_i = np.asarray(model.item_factors)
    scores: np.ndarray = factors_u @ factors_i.T
    return scores
