"""The tuning phase of `make bench-replicas`: one tuning job of `n_trials` run by the trainer alone,
then the same with two `rec-service tune-worker` processes joining it through Optuna's RDB storage
on the MariaDB registry. Timed three ways: the admin call until the job ended (client), the job's
own start to end, and the search alone (the study's first trial start to last trial end)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import httpx

from bench.common import say
from bench.replicas_probes import until
from bench.replicas_stack import REGISTRY_DB, Replica, Stack, kill

TIMEOUT_SECONDS = 1800  # the budget is the trials, not the time


@dataclass(frozen=True, slots=True)
class TuningRun:
    workers: int
    status: str
    job_seconds: float  # started_at to finished_at, as the registry has them
    search_seconds: float  # the study's first trial start to its last trial's end
    trials_by_process: dict[str, int]
    work: float  # component-epochs the trials computed (trials differ: points, early stops, pruning)

    @property
    def work_rate(self) -> float:
        """Component-epochs per second of the search: its throughput, whatever trials were drawn."""
        return self.work / self.search_seconds if self.search_seconds else float("nan")


async def tune_once(replica: Replica, n_trials: int, workers: int) -> TuningRun:
    params: dict[str, str | int] = {
        "n_trials": n_trials,
        "timeout_seconds": TIMEOUT_SECONDS,
        "activate": "false",
    }
    async with httpx.AsyncClient(timeout=60) as client:
        accepted = await client.post(f"{replica.url}/admin/tune", params=params)
        if accepted.status_code != 202:
            raise RuntimeError(f"tuning refused: {accepted.status_code} {accepted.text}")
        job_id = accepted.json()["job_id"]
        job: dict[str, str] = {}

        async def ended() -> bool:
            job.update((await client.get(f"{replica.url}/admin/jobs/{job_id}")).json())
            return job["status"] in ("succeeded", "failed", "cancelled")

        await until(ended, 1800, 0.5)
    span = _seconds(job.get("started_at"), job.get("finished_at"))
    found = _study(job_id)
    return TuningRun(workers, job["status"], span, found.search_seconds, found.trials_by_process, found.work)


async def tuning(stack: Stack, replica: Replica, n_trials: int) -> tuple[TuningRun, TuningRun]:
    say(f"bench-replicas: tuning ({n_trials} trials) by the trainer alone")
    alone = await tune_once(replica, n_trials, 0)
    say("bench-replicas: the same with two tune-workers")
    started = stack.start_tune_workers(2)
    try:
        joined = await tune_once(replica, n_trials, len(started))
    finally:
        for process in started:
            kill(process)
    return alone, joined


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        return float("nan")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


@dataclass(frozen=True, slots=True)
class StudyFigures:
    search_seconds: float
    trials_by_process: dict[str, int]
    work: float  # the trials' epochs run times their components: what the search computed


def _study(job_id: str) -> StudyFigures:
    import optuna

    from adapters.lightfm_engine.tuning.study import PREFIX, RECORD
    from adapters.lightfm_engine.tuning.trial import PROCESS

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"mysql+pymysql://root@127.0.0.1/{REGISTRY_DB}"
    storage = optuna.storages.RDBStorage(url, skip_compatibility_check=True)
    trials = optuna.load_study(study_name=PREFIX + job_id, storage=storage).get_trials(deepcopy=False)
    ran = [t for t in trials if t.datetime_start and t.datetime_complete]
    by_process: dict[str, int] = {}
    work = 0.0
    for trial in ran:
        name = str(trial.user_attrs.get(PROCESS, "?"))
        by_process[name] = by_process.get(name, 0) + 1
        if RECORD in trial.user_attrs:
            record = json.loads(trial.user_attrs[RECORD])
            work += int(record["epochs_run"]) * int(record["params"]["no_components"])
    if not ran:
        return StudyFigures(float("nan"), by_process, work)
    first = min(t.datetime_start for t in ran if t.datetime_start)
    last = max(t.datetime_complete for t in ran if t.datetime_complete)
    return StudyFigures((last - first).total_seconds(), by_process, work)
