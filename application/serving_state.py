"""What every request reads: the active model, the running experiment, the catalogue and the
blacklist.

Each is swapped by one attribute assignment, so a request that reads `state.model` (or
`state.experiment`) once is answered wholly by one version.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Catalogue, Scorer
from domain.blacklist import Blacklist, BlacklistEntry
from domain.experiment import Arm, Experiment, arm_index, assignment_point
from domain.model_version import ModelVersion


@dataclass(frozen=True, slots=True)
class ActiveModel:
    version: ModelVersion
    scorer: Scorer


@dataclass(frozen=True, slots=True)
class ArmModel:
    arm: Arm
    model: ActiveModel


@dataclass(frozen=True, slots=True)
class RunningExperiment:
    """A running experiment with each arm's version loaded (verified when it started)."""

    experiment: Experiment
    arms: tuple[ArmModel, ...]
    bounds: tuple[float, ...]

    @classmethod
    def of(cls, experiment: Experiment, models: tuple[ActiveModel, ...]) -> RunningExperiment:
        arms = tuple(ArmModel(arm, model) for arm, model in zip(experiment.arms, models, strict=True))
        return cls(experiment, arms, experiment.bounds())

    def arm_for(self, user_id: int) -> ArmModel:
        """The user's arm: a stable hash of (experiment_id, user_id) against the cumulative shares."""
        point = assignment_point(self.experiment.experiment_id, user_id)
        return self.arms[arm_index(self.bounds, point)]


class ServingState:
    def __init__(self) -> None:
        self.model: ActiveModel | None = None
        self.experiment: RunningExperiment | None = None
        self.catalogue: Catalogue = Catalogue.empty()
        self.catalogue_loaded = False
        self._admin_blacklist: tuple[BlacklistEntry, ...] = ()
        self._ineligible: frozenset[int] = frozenset()

    @property
    def model_id(self) -> str | None:
        model = self.model
        return model.version.model_id if model else None

    @property
    def ineligible(self) -> frozenset[int]:
        """Titles that must not appear in any list: inactive or blacklisted anywhere."""
        return self._ineligible

    @property
    def admin_blacklist(self) -> tuple[BlacklistEntry, ...]:
        return self._admin_blacklist

    def model_for(self, user_id: int) -> tuple[ActiveModel | None, RunningExperiment | None, ArmModel | None]:
        """The version that answers the user's personal lists: their arm's while an experiment runs."""
        running = self.experiment
        if running is None:
            return self.model, None, None
        arm = running.arm_for(user_id)
        return arm.model, running, arm

    def blacklist(self) -> Blacklist:
        return Blacklist.combine(self._admin_blacklist, self.catalogue.source_blacklist)

    def set_catalogue(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.catalogue_loaded = True
        self._recompute()

    def set_admin_blacklist(self, entries: tuple[BlacklistEntry, ...]) -> None:
        self._admin_blacklist = entries
        self._recompute()

    def _recompute(self) -> None:
        self._ineligible = self.catalogue.inactive | self.blacklist().title_ids()
