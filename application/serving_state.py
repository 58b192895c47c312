"""What every request reads: the active model, the catalogue and the blacklist.

Each is swapped by one attribute assignment, so a request that reads `state.model` once is
answered wholly by one version.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Catalogue, Scorer
from domain.blacklist import Blacklist, BlacklistEntry
from domain.model_version import ModelVersion


@dataclass(frozen=True, slots=True)
class ActiveModel:
    version: ModelVersion
    scorer: Scorer


class ServingState:
    def __init__(self) -> None:
        self.model: ActiveModel | None = None
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
