"""A/B experiments between model versions: start, stop (with an optional promotion), follow.

Starting loads and verifies every arm's version before anything is stored (404 unknown, 409 not
ready or a bad artifact, 409 when an experiment runs already). While it runs, personal lists come
from the user's arm (`ServingState.model_for`); the active version serves everything else, and an
activation leaves the arms alone. Every replica follows the registry's running experiment (polled
by the runtime), so assignments and arms are the same everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from application.activate_model import ActivateModel
from application.ports import Clock, ExperimentStore, IdGenerator
from application.serving_state import ActiveModel, RunningExperiment, ServingState
from domain.errors import ConflictError, NotFoundError, RecommenderError
from domain.experiment import Arm, Experiment

log = logging.getLogger(__name__)


class Experiments:
    def __init__(
        self,
        store: ExperimentStore,
        activator: ActivateModel,
        state: ServingState,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._store = store
        self._activator = activator
        self._state = state
        self._ids = ids
        self._clock = clock

    async def start(self, name: str, arms: Sequence[Arm]) -> Experiment:
        now = self._clock.now()
        experiment = Experiment.start(self._ids.new_experiment_id(now), name, arms, now)
        running = await self._store.running()
        if running is not None:
            raise ConflictError(f"experiment {running.experiment_id} is running; stop it first")
        loaded = await self._load(experiment)
        await self._store.save(experiment)
        self._state.experiment = loaded
        log.info("experiment_started", extra={"experiment_id": experiment.experiment_id})
        return experiment

    async def stop(self, experiment_id: str, promote: str | None = None) -> Experiment:
        experiment = await self._store.get(experiment_id)
        if experiment is None:
            raise NotFoundError(f"experiment {experiment_id!r} does not exist")
        stopped = experiment.stop(self._clock.now(), promote)
        if stopped.winner is not None:
            # First: a winner that cannot be activated leaves the experiment running (409).
            await self._activator.execute(stopped.arm(stopped.winner).model_id)
        await self._store.save(stopped)
        current = self._state.experiment
        if current is not None and current.experiment.experiment_id == experiment_id:
            self._state.experiment = None
        log.info("experiment_stopped", extra={"experiment_id": experiment_id, "winner": stopped.winner})
        return stopped

    async def follow(self) -> bool:
        """Serve the registry's running experiment (or none); True when this process changed."""
        wanted = await self._store.running()
        current = self._state.experiment
        if wanted is None:
            self._state.experiment = None
            return current is not None
        if current is not None and current.experiment.experiment_id == wanted.experiment_id:
            return False
        try:
            self._state.experiment = await self._load(wanted)
        except RecommenderError as exc:  # an arm's artifact went missing: keep serving without it
            log.error("experiment_unusable", extra={"experiment_id": wanted.experiment_id, "error": str(exc)})
            return False
        return True

    async def _load(self, experiment: Experiment) -> RunningExperiment:
        """Each arm's version, loaded once even when several arms or the active version share it."""
        loaded: dict[str, ActiveModel] = {}
        active = self._state.model
        if active is not None:
            loaded[active.version.model_id] = active
        for arm in experiment.arms:
            if arm.model_id not in loaded:
                loaded[arm.model_id] = await self._activator.prepare(arm.model_id)
        return RunningExperiment.of(experiment, tuple(loaded[arm.model_id] for arm in experiment.arms))
