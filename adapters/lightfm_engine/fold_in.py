"""Fold-in: a hot event moves one user's representation while every item stays fixed.

A few steps of LightFM's pairwise objective (BPR form: ``log sigma(s_p - s_j)``) between the event's
title ``p`` and titles ``j`` sampled uniformly, weighted by the event weight, with an L2 pull back to
the representation the user had before the event (so one event shifts the list, it does not replace
the user's history). Only the latent vector moves: in a pairwise loss the user bias cancels out, and
a user bias never changes that user's ranking. The step is scaled by the mean squared norm of the item
vectors, so the size of the move does not depend on how large one model's embeddings happen to be.
"""

from __future__ import annotations

import numpy as np

from adapters.lightfm_engine.vectors import F32

STEPS = 8
NEGATIVES = 64
RATE = 1.0
PULL = 0.1  # share of the move taken back toward the pre-event representation, per step


def step_size(item_aug: F32) -> float:
    """RATE over the mean squared norm of the item latent vectors (augmented columns excluded)."""
    latent = item_aug[:, :-2]
    mean_square = float(np.mean(np.einsum("ij,ij->i", latent, latent))) if len(latent) else 0.0
    return RATE / max(mean_square, 1e-6)


def fold_in(
    user_aug: F32, item_aug: F32, positive_row: int, weight: float, rate: float, rng: np.random.Generator
) -> F32:
    """The user's augmented vector ``[u, b_u, 1]`` after one event on item row `positive_row`.

    One sample of negatives serves every step (gradient descent on a fixed mini-batch): the steps are
    then two small matrix-vector products each, a fraction of a millisecond per event.
    """
    d = item_aug.shape[1] - 2
    sampled = rng.integers(0, item_aug.shape[0], NEGATIVES)
    sampled = sampled[sampled != positive_row]
    out = np.array(user_aug, dtype=np.float32, copy=True)
    if not len(sampled):
        return out
    gaps = item_aug[positive_row, :d] - item_aug[sampled, :d]  # (negatives, d)
    bias_gaps = item_aug[positive_row, d + 1] - item_aug[sampled, d + 1]
    # sigma(-m) = (1 - tanh(m / 2)) / 2, so the gradient `sigma(-margins) @ gaps` is
    # `sum(gaps) / 2 - tanh(margins / 2) @ (gaps / 2)`: with the halves computed once, a step is two
    # matrix-vector products and a tanh, in place (no overflow to clip, few temporaries).
    half = np.float32(0.5) * gaps
    half_bias = np.float32(0.5) * bias_gaps
    half_sum = half.sum(axis=0)
    start = out[:d].copy()
    latent = start.copy()
    step = np.float32(rate * weight / len(sampled))
    keep = np.float32(1.0 - PULL)
    anchor = np.float32(PULL) * start
    for _ in range(STEPS):
        half_margins = half @ latent
        half_margins += half_bias
        np.tanh(half_margins, out=half_margins)
        latent += step * (half_sum - half_margins @ half)
        latent *= keep  # the pull back toward the pre-event representation:
        latent += anchor  # latent - PULL * (latent - start)
    out[:d] = latent
    return out
