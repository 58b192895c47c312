"""The floor: the naive server, `LightFM.predict` over every title on each request, no cache, no DB.

A LightFM model (WARP, the service's default width, no features) is fitted on MovieLens 100k at
start; each request predicts every title for the user, drops the titles the user rated and returns
the best `k`, blocking the event loop while it computes, as a first prototype would.

Run: REC_BENCH_MOVIELENS=... granian --interface asgi --factory bench.bare_naive:create_app
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM
from litestar import Litestar, get

from bench.bare_litestar import Listing, ready

EPOCHS = 5


def _fit(directory: Path) -> tuple[LightFM, sp.csr_matrix]:
    raw = np.loadtxt(directory / "u.data", dtype=np.int64, usecols=(0, 1, 2))
    users, titles = raw[:, 0] - 1, raw[:, 1] - 1
    shape = (int(users.max()) + 1, int(titles.max()) + 1)
    seen = sp.csr_matrix((np.ones(len(raw), dtype=np.float32), (users, titles)), shape=shape)
    positive = raw[:, 2] >= 4
    train = sp.coo_matrix(
        (np.ones(int(positive.sum()), dtype=np.float32), (users[positive], titles[positive])), shape=shape
    )
    model = LightFM(no_components=100, loss="warp", random_state=42)
    model.fit(train, epochs=EPOCHS, num_threads=1)
    return model, seen


def create_app() -> Litestar:
    model, seen = _fit(Path(os.environ.get("REC_BENCH_MOVIELENS", "../shared/data/ml-100k")))
    n_users, n_titles = seen.shape
    every_title = np.arange(n_titles, dtype=np.int32)

    @get("/titles/recommendations")
    async def recommendations(user_id: int, k: int = 10) -> Listing:
        row = min(max(user_id - 1, 0), n_users - 1)
        scores = model.predict(row, every_title, num_threads=1)
        scores[seen.indices[seen.indptr[row] : seen.indptr[row + 1]]] = -np.inf
        best = np.argsort(-scores)[:k]
        return Listing(user_id, (best + 1).tolist(), scores[best].tolist(), "naive", "model", False)

    return Litestar(route_handlers=[recommendations, ready], openapi_config=None)
