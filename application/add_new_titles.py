"""Titles that joined the catalogue after a served model was trained enter its lists by their features.

Run after every catalogue refresh, over every version this process serves: the active one and, while
an experiment runs, each arm's (an arm's version is loaded on its own, so it grows on its own). Each
title is tried once per loaded model: a title without a feature the model knows stays out of its
lists (it still gets `relevant` answers, from the popular list) until a training includes it. Lists
cached before the addition show it after they expire.
"""

from __future__ import annotations

import logging

from application.ports import FeatureSource, Scorer
from application.serving_state import ActiveModel, ServingState

log = logging.getLogger(__name__)

MAX_TITLES_PER_RUN = 2000  # one feature lookup each; the rest wait for the next refresh


class AddNewTitles:
    def __init__(self, state: ServingState, features: FeatureSource) -> None:
        self._state = state
        self._features = features
        # per loaded model (its scorer object, held here so that its id is not reused while listed: a
        # version loaded again starts afresh), the catalogue titles already looked at for it
        self._checked: dict[int, tuple[Scorer, set[int]]] = {}

    def _served(self) -> list[ActiveModel]:
        models = [self._state.model] if self._state.model is not None else []
        if (running := self._state.experiment) is not None:
            models += [arm.model for arm in running.arms]
        unique = {id(model.scorer): model for model in models}
        return list(unique.values())

    async def execute(self) -> int:
        """Titles added, summed over the served models."""
        served = self._served()
        self._checked = {id(m.scorer): self._checked.get(id(m.scorer), (m.scorer, set())) for m in served}
        looked_up: dict[int, dict[str, float]] = {}  # one lookup per title whatever the model count
        added = 0
        for model in served:
            added += await self._grow(model, looked_up)
        return added

    async def _grow(self, model: ActiveModel, looked_up: dict[int, dict[str, float]]) -> int:
        catalogue, scorer, checked = self._state.catalogue, model.scorer, self._checked[id(model.scorer)][1]
        fresh = catalogue.title_ids - catalogue.inactive - checked
        unknown = sorted(t for t in fresh if not scorer.knows_title(t))
        batch = unknown[:MAX_TITLES_PER_RUN]
        checked |= fresh - set(unknown[MAX_TITLES_PER_RUN:])
        for title in batch:
            if title not in looked_up:
                looked_up[title] = dict(await self._features.title_features(title))
        added = scorer.add_titles({t: looked_up[t] for t in batch if looked_up[t]})
        if added:
            log.info("new_titles_added_to_model", extra={"model_id": model.version.model_id, "titles": added})
        return added
