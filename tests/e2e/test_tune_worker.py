"""`rec-service tune-worker` as a real process beside a trainer, both on a MariaDB registry: the
worker's trials land in the same Optuna study as the trainer's, the trainer registers the best of
all, and cancelling the job stops the worker's trials."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import optuna
import pytest

from adapters.lightfm_engine.tuning.study import PREFIX, RECORD
from adapters.lightfm_engine.tuning.trial import PROCESS, PROCESS_NAME
from adapters.sql.engines import sync_url
from application.tune_model import TuneCommand
from domain.training_job import JobStatus
from domain.tuning import TuneBudget
from entrypoints.container import Container, alone
from entrypoints.settings import Settings
from tests.conftest import MySqlDatabase
from tools.demo_data import generate_demo_source

pytestmark = [pytest.mark.slow, pytest.mark.mysql]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry_url(mysql_db: MySqlDatabase) -> str:
    return mysql_db.url


@pytest.fixture
async def trainer(tmp_path: Path, registry_url: str) -> AsyncIterator[Container]:
    generate_demo_source(tmp_path / "demo_source.db")
    container = alone(Container())  # trains here, outside the trainer lease
    container.settings.override(
        Settings(data_dir=tmp_path, registry_url=registry_url, train_cron="off", train_threads=1)
    )
    await container.registry().create_schema()
    await container.hot_events().create_schema()
    yield container
    await container.job_runner().drain(30)
    for close in (container.source().close, container.hot_events().close, container.registry().close):
        await close()


@pytest.fixture
async def worker(tmp_path: Path, registry_url: str, trainer: Container) -> AsyncIterator[Path]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REC_")}
    env.update(
        REC_DATA_DIR=str(tmp_path), REC_REGISTRY_URL=registry_url, REC_TRAIN_CRON="off",
        REC_TRAIN_THREADS="1", REC_LOG_FORMAT="json",
    )  # fmt: skip
    log = tmp_path / "tune-worker.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "entrypoints.cli", "tune-worker", "--poll-seconds", "0.3",
            cwd=REPO, env=env, stdout=sink, stderr=sink,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while "tune_worker_started" not in log.read_text(errors="replace"):
            assert process.returncode is None and time.monotonic() < deadline, tail(log)
            await asyncio.sleep(0.2)
        yield log
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def study_of(registry_url: str, job_id: str) -> optuna.Study:
    storage = optuna.storages.RDBStorage(sync_url(registry_url), skip_compatibility_check=True)
    return optuna.load_study(study_name=PREFIX + job_id, storage=storage)


def by_process(study: optuna.Study) -> dict[str, list[optuna.trial.FrozenTrial]]:
    found: dict[str, list[optuna.trial.FrozenTrial]] = {}
    for trial in study.get_trials(deepcopy=False):
        if PROCESS in trial.user_attrs:
            found.setdefault(trial.user_attrs[PROCESS], []).append(trial)
    return found


async def wait_for_job(container: Container, job_id: str, seconds: float) -> JobStatus:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = await container.registry().get_job(job_id)
        assert job is not None
        if job.status.finished:
            return job.status
        await asyncio.sleep(0.5)
    pytest.fail(f"job {job_id} did not finish within {seconds} s")


async def test_a_worker_runs_trials_of_the_trainers_search_and_stops_when_it_is_cancelled(
    trainer: Container, worker: Path, registry_url: str
) -> None:
    budget = TuneBudget(n_trials=4, timeout_seconds=20)  # the time bounds the search: its trials are slow
    job = await trainer.tune_model().submit(TuneCommand(budget, activate=False))
    assert await wait_for_job(trainer, job.job_id, 480) is JobStatus.SUCCEEDED, tail(worker)

    study = study_of(registry_url, job.job_id)
    processes = by_process(study)
    assert PROCESS_NAME in processes, processes
    assert len(processes) == 2, f"the worker ran no trial: {tail(worker)}"
    recorded = [t for t in study.get_trials(deepcopy=False) if RECORD in t.user_attrs]
    assert len(recorded) <= budget.n_trials
    done = await trainer.registry().get_job(job.job_id)
    assert done is not None and done.model_id
    version = await trainer.registry().get_version(done.model_id)
    assert version is not None and version.metrics["tune_trials"] == len(recorded)
    assert not study.user_attrs["rec_open"]

    # a long search: cancel it while a worker trial runs, and the worker's trials stop
    long = await trainer.tune_model().submit(TuneCommand(TuneBudget(n_trials=200, timeout_seconds=600)))
    study = await until_worker_runs(registry_url, long.job_id, worker)
    await trainer.cancel_job().execute(long.job_id)
    assert await wait_for_job(trainer, long.job_id, 60) is JobStatus.CANCELLED
    await until_no_trial_runs(study, 30)
    settled = len(study.get_trials(deepcopy=False))
    await asyncio.sleep(3)
    assert len(study.get_trials(deepcopy=False)) == settled, "trials started after the cancel"
    assert not study.user_attrs["rec_open"]


async def until_worker_runs(registry_url: str, job_id: str, log: Path) -> optuna.Study:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            study = study_of(registry_url, job_id)
        except KeyError:  # not created yet
            await asyncio.sleep(0.3)
            continue
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if any(t.user_attrs.get(PROCESS) not in (None, PROCESS_NAME) for t in running):
            return study
        await asyncio.sleep(0.3)
    pytest.fail(f"no worker trial ran: {tail(log)}")


async def until_no_trial_runs(study: optuna.Study, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        assert time.monotonic() < deadline, "a trial still runs after the cancel"
        await asyncio.sleep(0.3)
