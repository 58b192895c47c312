"""LightFM's scoring as plain linear algebra, shared by evaluation and serving.

LightFM scores a (user, item) pair as ``u . v + b_u + b_i`` where ``u = x_u @ E_user``,
``b_u = x_u @ bias_user`` (same for items). Appending ``[b_u, 1]`` to users and ``[1, b_i]`` to items
folds both biases into one dot product: ``[u, b_u, 1] . [v, 1, b_i] = u . v + b_u + b_i``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

F32 = npt.NDArray[np.float32]


def representations(features: sp.csr_matrix, embeddings: F32, biases: F32) -> tuple[F32, F32]:
    """Latent vectors and biases of every row of `features` (features included)."""
    weights = sp.csr_matrix(features, dtype=np.float32)
    latent = np.ascontiguousarray(weights @ np.asarray(embeddings, dtype=np.float32), dtype=np.float32)
    bias = np.asarray(weights @ np.asarray(biases, dtype=np.float32), dtype=np.float32).ravel()
    return latent, bias


def augment(latent: F32, bias: F32, *, user_side: bool) -> F32:
    """``[latent, bias, 1]`` for users, ``[latent, 1, bias]`` for items, float32 C-contiguous."""
    n, d = latent.shape
    out = np.empty((n, d + 2), dtype=np.float32)
    out[:, :d] = latent
    out[:, d] = bias if user_side else 1.0
    out[:, d + 1] = 1.0 if user_side else bias
    return out


def augmented(features: sp.csr_matrix, embeddings: F32, biases: F32, *, user_side: bool) -> F32:
    latent, bias = representations(features, embeddings, biases)
    return augment(latent, bias, user_side=user_side)


def unit_rows(latent: F32) -> F32:
    """Rows scaled to unit L2 norm (zero rows stay zero), for cosine similarity."""
    norms = np.linalg.norm(latent, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(latent / norms, dtype=np.float32)
