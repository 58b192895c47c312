"""Tuning (contract sections 4.3 and 6): search /admin/train parameters, then train the best as a version.

A tuning is a job like any training (trigger `tune`): one at a time with every other training (409),
its progress in the job store after every epoch of every trial, cancellable between epochs. The
search gets the first 90 % of the progress bar and writes where it stands into the job's
`note`; then the best trial's parameters go through the normal training pipeline (its
holdout evaluation, its refit on everything, registration, activation as `activate` says).

The version records the search: in `metrics`, `tune_trials`, `tune_complete_trials`,
`tune_pruned_trials`, `tune_failed_trials`, `tune_best_trial`, `tune_best_value` (the objective on
the validation split), `tune_best_confirmation` (its score on the second split, when the tuner
confirmed the best few), `tune_seconds`, `tune_validation_users`, `tune_validation_positives` and
one `tune_trial_NNN` per validated trial (its best validation score); in `extra["tune"]`, the
validation split (`tune_validation`: `random` or `time`) and the whole history as JSON (each
trial's number, state, value, confirmation, epochs run, seconds, parameters).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from application.job_progress import JobProgress
from application.job_runner import JobRunner, JobWork
from application.ports import InteractionSource, Tuner
from application.training_desk import TrainingDesk
from application.training_pipeline import PipelineResult, TrainCommand, TrainingPipeline
from domain.training_job import JobTrigger, TrainingJob, TrainMode
from domain.tuning import (
    DEFAULT_VALIDATION,
    TrialState,
    TuneBudget,
    TuneOutcome,
    TuneProgress,
    TuneValidation,
)

log = logging.getLogger(__name__)

SEARCH_SHARE = 0.9
"""Share of the job's progress the search fills; the final training fills the rest."""


@dataclass(frozen=True, slots=True)
class TuneCommand:
    budget: TuneBudget = field(default_factory=TuneBudget)
    activate: bool = True
    validation: TuneValidation = DEFAULT_VALIDATION
    """How the search's validation split is taken (random share or each user's newest positives)."""


class TuneModel:
    def __init__(
        self,
        runner: JobRunner,
        pipeline: TrainingPipeline,
        source: InteractionSource,
        tuner: Tuner,
        desk: TrainingDesk | None = None,
    ) -> None:
        self._runner = runner
        self._pipeline = pipeline
        self._source = source
        self._tuner = tuner
        self._desk = desk

    async def submit(self, command: TuneCommand) -> TrainingJob:
        """Start a tuning job in the background; return the running job (409 while another runs).
        Off the trainer it goes to the registry for the trainer, as a training does."""
        if self._desk is not None and not self._desk.runs_here():
            return await self._desk.submit(self._runner.new_job(_job_command(command)), wait=False)
        return await self._runner.spawn(_job_command(command), self._work(command))

    async def execute(self, command: TuneCommand) -> TrainingJob:
        """Tune and wait for the finished job."""
        if self._desk is not None and not self._desk.runs_here():
            return await self._desk.submit(self._runner.new_job(_job_command(command)), wait=True)
        return await self._runner.run(_job_command(command), self._work(command))

    def work_for(self, job: TrainingJob) -> JobWork:
        """The work of a stored tuning job (accepted by another replica), from its budget."""
        return self._work(
            TuneCommand(
                job.tune_budget or TuneBudget(),
                job.activate is not False,
                job.tune_validation or DEFAULT_VALIDATION,
            )
        )

    def _work(self, command: TuneCommand) -> JobWork:
        async def tune_then_train(job: TrainingJob, progress: JobProgress) -> PipelineResult:
            data = await self._source.load_training_data()
            budget = command.budget

            async def on_progress(where: TuneProgress) -> None:
                await progress.report(SEARCH_SHARE * _search_fraction(where, budget), _note(where, budget))

            outcome = await self._tuner.tune(
                data, budget, on_progress, search_id=job.job_id, validation=command.validation
            )
            log.info(
                "tuning_finished",
                extra={
                    "job_id": job.job_id,
                    "trials": len(outcome.trials),
                    "stopped": outcome.stopped,
                    "best_trial": outcome.best.number,
                    "best_value": outcome.best.value,
                    "validation": command.validation.value,
                    "params": outcome.best.params.to_dict(),
                },
            )
            progress.job = dataclasses.replace(progress.job, params=outcome.best.params)
            await progress.report(
                SEARCH_SHARE, f"training the best trial ({outcome.best.number}) on all data"
            )
            train = self._pipeline.work(_final_command(outcome, command))
            return await train(progress.job, progress.between(SEARCH_SHARE, 1.0))

        return tune_then_train


def _job_command(command: TuneCommand) -> TrainCommand:
    return TrainCommand(
        trigger=JobTrigger.TUNE,
        activate=command.activate,
        tune_budget=command.budget,
        tune_validation=command.validation,
    )


def _final_command(outcome: TuneOutcome, command: TuneCommand) -> TrainCommand:
    """The best trial's parameters through the normal pipeline, the search recorded with the version."""
    return TrainCommand(
        outcome.best.params,
        JobTrigger.TUNE,
        TrainMode.FULL,
        command.activate,
        extra_metrics=tune_metrics(outcome),
        extra={"tune": tune_history(outcome, command.budget, command.validation)},
    )


def _search_fraction(where: TuneProgress, budget: TuneBudget) -> float:
    return min(1.0, max(where.trials_done / budget.n_trials, where.elapsed_seconds / budget.timeout_seconds))


def _note(where: TuneProgress, budget: TuneBudget) -> str:
    best = (
        f"best {where.best_value:.4f} (trial {where.best_trial})"
        if where.best_value is not None
        else "none validated yet"
    )
    if where.confirming:
        return f"tuning: confirming trial {where.trial} on a second split, epoch {where.epoch}; {best}"
    return f"tuning: trial {where.trial + 1} of at most {budget.n_trials}, epoch {where.epoch}; {best}"


def tune_metrics(outcome: TuneOutcome) -> dict[str, float]:
    metrics = {
        "tune_trials": float(len(outcome.trials)),
        "tune_complete_trials": float(outcome.count(TrialState.COMPLETE)),
        "tune_pruned_trials": float(outcome.count(TrialState.PRUNED)),
        "tune_failed_trials": float(outcome.count(TrialState.FAILED)),
        "tune_best_trial": float(outcome.best.number),
        "tune_best_value": float(outcome.best.value or 0.0),
        "tune_seconds": round(outcome.seconds, 3),
        "tune_validation_users": float(outcome.validation_users),
        "tune_validation_positives": float(outcome.validation_positives),
    }
    if outcome.best.confirmation is not None:
        metrics["tune_best_confirmation"] = float(outcome.best.confirmation)
    for trial in outcome.trials:
        if trial.value is not None:
            metrics[f"tune_trial_{trial.number:03d}"] = float(trial.value)
    return metrics


def tune_history(
    outcome: TuneOutcome, budget: TuneBudget, validation: TuneValidation = DEFAULT_VALIDATION
) -> dict[str, Any]:
    return {
        "objective": outcome.objective,
        "tune_validation": validation.value,
        "stopped": outcome.stopped,
        "budget": {"n_trials": budget.n_trials, "timeout_seconds": budget.timeout_seconds},
        "best_trial": outcome.best.number,
        "trials": [trial.to_dict() for trial in outcome.trials],
    }
