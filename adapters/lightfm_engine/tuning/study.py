"""The Optuna study of a search, shared through Optuna's RDB storage on the registry database.

The trainer creates one study per tuning job (`rec-tune-<job id>`) and writes into its user
attributes what a `rec-service tune-worker` needs to join: whether it is open, its deadline and trial
budget, the data cutoff, a fingerprint of the prepared data and how the validation split is taken
(`rec_validation`: a worker validates exactly as the trainer does). Every process that runs a trial
stores the trial's `TrialRecord` with it, so the trainer reads every trial back, whoever ran it;
pruning reads the intermediate values of all of them. Workers write a heartbeat on their running
trials, so the trainer does not wait for a worker that died. Without a storage URL the study lives
in memory (one process, no workers).

Optuna creates its own tables beside the registry's (`studies`, `trials`, ...). It would also stamp
Alembic's `alembic_version`, which the registry's migrations own: processes migrate the registry
first, and the storage skips Optuna's schema check (the table holds the registry's revision).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.storages import BaseStorage, InMemoryStorage, RDBStorage
from optuna.trial import FrozenTrial
from optuna.trial import TrialState as OptunaState

from domain.model_version import TrainParams
from domain.tuning import DEFAULT_VALIDATION, TrialRecord, TrialState, TuneValidation

PREFIX = "rec-tune-"
RECORD = "rec_record"
HEARTBEAT = "rec_heartbeat"
SKIPPED = "rec_skipped"  # asked past the budget (trials asked at once by several processes)
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0  # a worker's running trial without a heartbeat this long is taken as dead


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What the trainer publishes with its study for the workers."""

    search_id: str
    deadline: float  # unix time: no trial starts after it, a trial running at it ends there
    n_trials: int
    cutoff: str  # ISO time of the newest interaction the trainer read ("" for none)
    fingerprint: str  # of the prepared data: a worker joins only when its data is the same
    open: bool = True
    validation: str = DEFAULT_VALIDATION.value  # how every process takes the validation split

    def closed(self) -> SearchTerms:
        return dataclasses.replace(self, open=False)

    def attrs(self) -> dict[str, Any]:
        return {
            "rec_search": self.search_id, "rec_deadline": self.deadline, "rec_n_trials": self.n_trials,
            "rec_cutoff": self.cutoff, "rec_data": self.fingerprint, "rec_open": self.open,
            "rec_validation": self.validation,
        }  # fmt: skip

    @classmethod
    def of(cls, attrs: dict[str, Any]) -> SearchTerms | None:
        try:
            return cls(
                str(attrs["rec_search"]), float(attrs["rec_deadline"]), int(attrs["rec_n_trials"]),
                str(attrs["rec_cutoff"]), str(attrs["rec_data"]), bool(attrs["rec_open"]),
                TuneValidation(str(attrs.get("rec_validation", "random"))).value,  # older trainers: random
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None


class StudyStore:
    """Where studies live: Optuna's RDB storage at `url` (a synchronous SQLAlchemy URL), or memory.
    Every method does blocking I/O: call it in a worker thread."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self._storage: BaseStorage | None = None
        self._lock = threading.Lock()

    @property
    def shared(self) -> bool:
        return self.url is not None

    def storage(self) -> BaseStorage:
        with self._lock:
            if self._storage is None:
                self._storage = (
                    InMemoryStorage()
                    if self.url is None
                    else RDBStorage(self.url, skip_compatibility_check=True)
                )
            return self._storage

    def create(self, terms: SearchTerms, sampler: optuna.samplers.BaseSampler,
               pruner: optuna.pruners.BasePruner) -> optuna.Study:  # fmt: skip
        study = optuna.create_study(
            storage=self.storage(), study_name=PREFIX + terms.search_id, direction="maximize",
            sampler=sampler, pruner=pruner,
        )  # fmt: skip
        self.publish(study, terms)
        return study

    def load(self, search_id: str, sampler: optuna.samplers.BaseSampler,
             pruner: optuna.pruners.BasePruner) -> optuna.Study:  # fmt: skip
        return optuna.load_study(
            study_name=PREFIX + search_id, storage=self.storage(), sampler=sampler, pruner=pruner
        )

    @staticmethod
    def publish(study: optuna.Study, terms: SearchTerms) -> None:
        for key, value in terms.attrs().items():
            study.set_user_attr(key, value)

    @staticmethod
    def terms(study: optuna.Study) -> SearchTerms | None:
        storage = study._storage
        return SearchTerms.of(storage.get_study_user_attrs(study._study_id))

    def open_searches(self) -> list[SearchTerms]:
        """Searches a worker may join: open, before their deadline (none without shared storage)."""
        if not self.shared:
            return []
        found = [SearchTerms.of(s.user_attrs) for s in self.storage().get_all_studies()]
        now = time.time()
        return [t for t in found if t is not None and t.open and t.deadline > now]


# --- trials --------------------------------------------------------------------------------
def tell(study: optuna.Study, trial: optuna.Trial, record: TrialRecord) -> None:
    """Store the record with the trial, then finish it in Optuna's terms."""
    if not _running(study, trial):
        return  # failed meanwhile by the trainer as stale: it no longer counts
    trial.set_user_attr(RECORD, json.dumps(record.to_dict()))
    if record.state is TrialState.COMPLETE and record.value is not None:
        study.tell(trial, record.value)
    elif record.state is TrialState.PRUNED:
        study.tell(trial, state=OptunaState.PRUNED)
    else:
        study.tell(trial, state=OptunaState.FAIL)


def fail(study: optuna.Study, trial: optuna.Trial) -> None:
    if _running(study, trial):
        study.tell(trial, state=OptunaState.FAIL)


def skip(study: optuna.Study, trial: optuna.Trial) -> None:
    trial.set_user_attr(SKIPPED, True)
    study.tell(trial, state=OptunaState.FAIL)


def _running(study: optuna.Study, trial: optuna.Trial) -> bool:
    storage = study._storage
    return storage.get_trial(trial._trial_id).state is OptunaState.RUNNING


def started(study: optuna.Study) -> int:
    """Trials begun so far, by any process (waiting, enqueued ones not counted; skipped ones neither)."""
    begun = (OptunaState.RUNNING, OptunaState.COMPLETE, OptunaState.PRUNED, OptunaState.FAIL)
    return sum(1 for t in study.get_trials(deepcopy=False, states=begun) if not t.user_attrs.get(SKIPPED))


def within_budget(study: optuna.Study, trial: optuna.Trial, n_trials: int) -> bool:
    """Whether fewer than `n_trials` begun trials come before `trial` (by number): of two processes
    asking at once for the last trial of the budget, the later number is skipped."""
    begun = (OptunaState.RUNNING, OptunaState.COMPLETE, OptunaState.PRUNED, OptunaState.FAIL)
    before = [
        t for t in study.get_trials(deepcopy=False, states=begun)
        if t.number < trial.number and not t.user_attrs.get(SKIPPED)
    ]  # fmt: skip
    return len(before) < n_trials


def records(study: optuna.Study) -> list[TrialRecord]:
    """Every finished trial's record, whoever ran it, by trial number."""
    found = [_record(t) for t in study.get_trials(deepcopy=False)]
    return sorted((r for r in found if r is not None), key=lambda r: r.number)


def running_elsewhere(study: optuna.Study, mine: set[int]) -> list[FrozenTrial]:
    """Other processes' running trials that still beat; stale ones are failed on the way."""
    alive = []
    for trial in study.get_trials(deepcopy=False, states=(OptunaState.RUNNING,)):
        if trial.number in mine:
            continue
        begun = trial.datetime_start.timestamp() if trial.datetime_start else time.time()
        beat = float(trial.user_attrs.get(HEARTBEAT, begun))
        if time.time() - beat > STALE_SECONDS:
            study.tell(trial.number, state=OptunaState.FAIL)
        else:
            alive.append(trial)
    return alive


def _record(trial: FrozenTrial) -> TrialRecord | None:
    raw = trial.user_attrs.get(RECORD)
    if not isinstance(raw, str):
        return None
    found = json.loads(raw)
    return TrialRecord(
        number=int(found["number"]),
        params=TrainParams.from_dict(found["params"]),
        state=TrialState(found["state"]),
        value=found["value"],
        epochs_run=int(found["epochs_run"]),
        seconds=float(found["seconds"]),
    )
