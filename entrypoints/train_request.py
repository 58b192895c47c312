"""Training parameters as any transport receives them (REST query/body, gRPC fields) -> a command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from application.train_model import TrainCommand
from domain.model_version import TrainParams
from domain.training_job import JobTrigger, TrainMode, parse_mode

PARTIAL_DEFAULT_EPOCHS = 5
"""Partial retraining continues the active model: a few epochs unless `epochs` is given."""


def train_command(
    given: Mapping[str, Any], trigger: JobTrigger = JobTrigger.MANUAL
) -> tuple[TrainCommand, bool]:
    """Unset values take the /admin/train defaults. Manual jobs activate unless told not to;
    scheduled ones follow REC_AUTO_ACTIVATE unless told. Returns the command and `wait`."""
    values = dict(given)
    wait = bool(values.pop("wait", True))
    mode = parse_mode(str(values.pop("mode", "full")))
    default_activate = True if trigger is JobTrigger.MANUAL else None
    activate = values.pop("activate", default_activate)
    if mode is TrainMode.PARTIAL:
        values.setdefault("epochs", PARTIAL_DEFAULT_EPOCHS)
    params = TrainParams(**{**TrainParams().to_dict(), **values})
    return TrainCommand(params, trigger, mode, activate), wait
