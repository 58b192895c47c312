"""ModelVersion / TrainingJob <-> registry rows: JSON text for mappings, ISO-8601 UTC text for times."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.model_version import DatasetStats, ModelVersion, TrainParams
from domain.training_job import JobStatus, JobTrigger, TrainingJob, TrainMode
from domain.tuning import TuneBudget, TuneValidation

Row = Mapping[Any, Any]


def to_stamp(moment: datetime) -> str:
    """Fixed-width ISO-8601 in UTC (naive values are taken as UTC) so that text order is time order."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def from_stamp(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _optional_stamp(moment: datetime | None) -> str | None:
    return None if moment is None else to_stamp(moment)


def _optional_moment(text: str | None) -> datetime | None:
    return None if text is None else from_stamp(text)


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), sort_keys=True)


def version_to_row(version: ModelVersion) -> dict[str, Any]:
    return {
        "model_id": version.model_id,
        "created_at": to_stamp(version.created_at),
        "status": version.status,
        "params": _dumps(version.params.to_dict()),
        "metrics": _dumps(version.metrics),
        "dataset": _dumps(version.dataset.to_dict()),
        "train_seconds": float(version.train_seconds),
        "sha256": version.sha256,
        "data_cutoff": _optional_stamp(version.data_cutoff),
        "job_id": version.job_id,
        "extra": _dumps(version.extra),
    }


def row_to_version(row: Row) -> ModelVersion:
    return ModelVersion(
        model_id=row["model_id"],
        created_at=from_stamp(row["created_at"]),
        params=TrainParams.from_dict(json.loads(row["params"])),
        metrics=json.loads(row["metrics"]),
        dataset=DatasetStats(**json.loads(row["dataset"])),
        train_seconds=float(row["train_seconds"]),
        sha256=row["sha256"],
        status=row["status"],
        data_cutoff=_optional_moment(row["data_cutoff"]),
        job_id=row["job_id"],
        extra=json.loads(row["extra"]),
    )


def job_to_row(job: TrainingJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "trigger": job.trigger.value,
        "status": job.status.value,
        "mode": job.mode.value,
        "activate": job.activate,
        "params": _dumps(job.params.to_dict()),
        "created_at": to_stamp(job.created_at),
        "scheduled_at": _optional_stamp(job.scheduled_at),
        "started_at": _optional_stamp(job.started_at),
        "finished_at": _optional_stamp(job.finished_at),
        "model_id": job.model_id,
        "metrics": _dumps(job.metrics),
        "error": job.error,
        "progress": float(job.progress),
        "activation": job.activation,
        "note": job.note,
        "runner_epoch": job.runner,
        "tune_budget": _tuning_text(job.tune_budget, job.tune_validation),
    }


def _tuning_text(budget: TuneBudget | None, validation: TuneValidation | None) -> str | None:
    """A tuning's budget and validation split, in the one `tune_budget` column (JSON)."""
    if budget is None:
        return None
    fields: dict[str, Any] = {"n_trials": budget.n_trials, "timeout_seconds": budget.timeout_seconds}
    if validation is not None:
        fields["validation"] = validation.value
    return _dumps(fields)


def _budget(text: str | None) -> TuneBudget | None:
    if text is None:
        return None
    fields = json.loads(text)
    return TuneBudget(int(fields["n_trials"]), float(fields["timeout_seconds"]))


def _validation(text: str | None) -> TuneValidation | None:
    """None for a job that is not a tuning, or was stored before the option existed."""
    validation = None if text is None else json.loads(text).get("validation")
    return None if validation is None else TuneValidation(validation)


def row_to_job(row: Row) -> TrainingJob:
    return TrainingJob(
        job_id=row["job_id"],
        trigger=JobTrigger(row["trigger"]),
        params=TrainParams.from_dict(json.loads(row["params"])),
        created_at=from_stamp(row["created_at"]),
        status=JobStatus(row["status"]),
        mode=TrainMode(row["mode"]),
        activate=None if row["activate"] is None else bool(row["activate"]),
        scheduled_at=_optional_moment(row["scheduled_at"]),
        started_at=_optional_moment(row["started_at"]),
        finished_at=_optional_moment(row["finished_at"]),
        model_id=row["model_id"],
        metrics=json.loads(row["metrics"]),
        error=row["error"],
        progress=float(row["progress"]),
        activation=row["activation"],
        note=row["note"],
        runner=None if row["runner_epoch"] is None else int(row["runner_epoch"]),
        tune_budget=_budget(row["tune_budget"]),
        tune_validation=_validation(row["tune_budget"]),
    )
