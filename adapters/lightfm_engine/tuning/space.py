"""The search space: every searched name is an /admin/train parameter, within its accepted bounds.

A regularisation weight is either exactly 0 (the default) or drawn on a log scale, so the defaults
are a point of the space. `epochs` is a trial's ceiling; early stopping records the epoch of its
best validation check instead.
"""

from __future__ import annotations

from typing import Any

import optuna

from domain.model_version import LOSSES, TrainParams

COMPONENTS = (16, 256)
LEARNING_RATE = (0.005, 0.3)
ALPHA = (1e-9, 1e-3)
EPOCHS = (10, 150, 10)  # low, high, step

STARTING_POINTS: tuple[dict[str, Any], ...] = (
    {  # the service's defaults (`TrainParams`)
        "loss": "warp",
        "no_components": 100,
        "learning_rate": 0.05,
        "item_regularised": False,
        "user_regularised": False,
        "epochs": 30,
        "normalize_features": False,
    },
    {  # a generic second guess: WARP narrower and slower, more epochs (early stopping picks how many)
        "loss": "warp",
        "no_components": 64,
        "learning_rate": 0.03,
        "item_regularised": False,
        "user_regularised": False,
        "epochs": 80,
        "normalize_features": False,
    },
)


def suggest(trial: optuna.Trial) -> TrainParams:
    return TrainParams(
        loss=trial.suggest_categorical("loss", LOSSES),
        no_components=trial.suggest_int("no_components", *COMPONENTS, log=True),
        learning_rate=trial.suggest_float("learning_rate", *LEARNING_RATE, log=True),
        item_alpha=_alpha(trial, "item"),
        user_alpha=_alpha(trial, "user"),
        epochs=trial.suggest_int("epochs", EPOCHS[0], EPOCHS[1], step=EPOCHS[2]),
        normalize_features=trial.suggest_categorical("normalize_features", (False, True)),
    )


def _alpha(trial: optuna.Trial, side: str) -> float:
    if not trial.suggest_categorical(f"{side}_regularised", (False, True)):
        return 0.0
    return trial.suggest_float(f"{side}_alpha", *ALPHA, log=True)
