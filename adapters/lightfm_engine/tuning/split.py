"""The validation split of a search, taken from the training data only.

The engine's own evaluation holdout (same seed and draw as `LightFMEngine._plan`) is left out of the
search entirely: the version trained from the best trial then reports holdout figures that the
search never looked at. Of the remaining positives, per user (each with at least two of them keeps
at least one to fit on), round(20 %) and at least one are validation; trials fit on the rest.
Ranking excludes every seen title except the validation ones, as serving does.

How the validation positives are chosen (`TuneValidation`, the job's `validation`):

- ``random``: a seeded random share; the confirmation (draw 2) is an independent random draw.
- ``time``: each user's newest positives (by the time of the pair's first positive event; ties
  broken by the seeded draw), so trials are judged as deployment judges them: on what users do next.
  The confirmation (draw 2) takes the next-newest share instead and leaves the newest out of both
  fitting and validation: a second, older window, still predicted from the past only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.evaluate import holdout_in_order, pair_matrix, split_holdout, without
from adapters.lightfm_engine.prepare import Prepared
from domain.tuning import DEFAULT_VALIDATION, TuneValidation

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ValidationSplit:
    fit: Mask  # positives a trial trains on
    heldout: sp.csr_matrix  # validation pairs of the sampled users (bool)
    exclude: sp.csr_matrix  # titles never ranked for a user
    positives: int  # validation positives scored

    @property
    def users(self) -> int:
        return int(np.count_nonzero(np.diff(self.heldout.indptr)))


def validation_split(
    prepared: Prepared,
    seed: int,
    fraction: float,
    max_users: int,
    draw: int = 1,
    validation: TuneValidation = DEFAULT_VALIDATION,
) -> ValidationSplit:
    """Draw number `draw` of the validation split (the search's is 1, its confirmation's 2)."""
    rows, cols = prepared.pos_rows, prepared.pos_cols
    n_users = prepared.shape[0]
    engine_holdout = split_holdout(rows, n_users, fraction, np.random.default_rng(seed))
    rng = np.random.default_rng([seed, draw])
    if validation is TuneValidation.TIME:
        validation_mask, dropped = newest_split(prepared, ~engine_holdout, fraction, rng, draw)
    else:
        rest = np.flatnonzero(~engine_holdout)
        validation_mask = np.zeros(len(rows), dtype=bool)
        validation_mask[rest[split_holdout(rows[rest], n_users, fraction, rng)]] = True
        dropped = np.zeros(len(rows), dtype=bool)
    all_validation = pair_matrix(rows[validation_mask], cols[validation_mask], prepared.shape)
    users = np.flatnonzero(np.diff(all_validation.indptr))
    if len(users) > max_users:  # scoring every few epochs must stay cheap on large catalogues
        users = np.sort(rng.choice(users, size=max_users, replace=False))
    scored = validation_mask & np.isin(rows, users)
    return ValidationSplit(
        fit=~(engine_holdout | validation_mask | dropped),
        heldout=pair_matrix(rows[scored], cols[scored], prepared.shape),
        exclude=without(prepared.seen, all_validation),
        positives=int(np.count_nonzero(scored)),
    )


def newest_split(
    prepared: Prepared, candidates: Mask, fraction: float, rng: np.random.Generator, draw: int = 1
) -> tuple[Mask, Mask]:
    """(validation, dropped) over the prepared positives: among `candidates`, each user's newest
    share is taken `draw` times in turn; the last share taken is validation, the earlier ones are
    dropped (neither fitted nor validated). Each take leaves a user at least one candidate."""
    rows, times = prepared.pos_rows, prepared.pos_first_us
    left = np.flatnonzero(candidates)
    taken = np.zeros(len(rows), dtype=bool)
    dropped = np.zeros(len(rows), dtype=bool)
    tie_break = rng.random(len(rows))
    for _ in range(draw):
        dropped |= taken
        order = np.lexsort((tie_break[left], -times[left], rows[left]))  # per user, newest first
        newest = holdout_in_order(rows[left], prepared.shape[0], fraction, order)
        taken = np.zeros(len(rows), dtype=bool)
        taken[left[newest]] = True
        left = left[~newest]
    return taken, dropped
