"""Reload titles, the source blacklist and the popular list from the source."""

from __future__ import annotations

import logging

from application.ports import InteractionSource
from application.serving_state import ServingState

log = logging.getLogger(__name__)


class RefreshCatalogue:
    def __init__(self, source: InteractionSource, state: ServingState) -> None:
        self._source = source
        self._state = state

    async def execute(self) -> None:
        catalogue = await self._source.load_catalogue()
        self._state.set_catalogue(catalogue)
        log.info(
            "catalogue_loaded",
            extra={
                "titles": len(catalogue.title_ids),
                "inactive": len(catalogue.inactive),
                "blacklisted": len(catalogue.source_blacklist),
            },
        )
