"""Titles that joined the catalogue after the active model was trained enter its lists by their features.

Run after every catalogue refresh. Each title is tried once per model version: a title without a
feature the model knows stays out of model lists (it still gets `relevant` answers, from the popular
list) until a training includes it. Lists cached before the addition show it after they expire.
"""

from __future__ import annotations

import logging

from application.ports import FeatureSource
from application.serving_state import ServingState

log = logging.getLogger(__name__)

MAX_TITLES_PER_RUN = 2000  # one feature lookup each; the rest wait for the next refresh


class AddNewTitles:
    def __init__(self, state: ServingState, features: FeatureSource) -> None:
        self._state = state
        self._features = features
        self._model_id = ""
        self._checked: set[int] = set()  # titles of the catalogue already looked at for this model

    async def execute(self) -> int:
        model = self._state.model
        if model is None:
            return 0
        if model.version.model_id != self._model_id:
            self._model_id, self._checked = model.version.model_id, set()
        catalogue, scorer = self._state.catalogue, model.scorer
        fresh = catalogue.title_ids - catalogue.inactive - self._checked
        unknown = sorted(t for t in fresh if not scorer.knows_title(t))
        batch = unknown[:MAX_TITLES_PER_RUN]
        self._checked |= fresh - set(unknown[MAX_TITLES_PER_RUN:])
        features = {t: await self._features.title_features(t) for t in batch}
        added = scorer.add_titles({t: named for t, named in features.items() if named})
        if added:
            log.info("new_titles_added_to_model", extra={"model_id": self._model_id, "titles": added})
        return added
