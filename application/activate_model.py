"""Make a registered version the one that serves, and restore it after a restart."""

from __future__ import annotations

import logging

from application.model_views import ModelVersionView
from application.ports import ArtifactStore, ModelRegistry, RecommenderEngine
from application.serving_state import ActiveModel, ServingState
from domain.errors import ArtifactError, ConflictError, NotFoundError

log = logging.getLogger(__name__)


class ActivateModel:
    def __init__(
        self,
        registry: ModelRegistry,
        artifacts: ArtifactStore,
        engine: RecommenderEngine,
        state: ServingState,
    ) -> None:
        self._registry = registry
        self._artifacts = artifacts
        self._engine = engine
        self._state = state

    async def execute(self, model_id: str) -> ModelVersionView:
        """Serve `model_id` here and record it as the active version for every process."""
        version = await self.prepare(model_id)
        await self._registry.set_active(model_id)
        self._state.model = version
        log.info("model_activated", extra={"model_id": model_id})
        return ModelVersionView(version.version, is_active=True)

    async def load(self, model_id: str) -> None:
        """Serve `model_id` in this process only (a replica following the registry)."""
        self._state.model = await self.prepare(model_id)

    async def prepare(self, model_id: str) -> ActiveModel:
        """`model_id` loaded and verified, not served: 404 unknown, 409 not ready or a bad artifact."""
        version = await self._registry.get_version(model_id)
        if version is None:
            raise NotFoundError(f"model {model_id!r} does not exist")
        if version.status != "ready":
            raise ConflictError(f"model {model_id} is {version.status} and cannot be activated")
        # Load and verify before touching anything: a bad artifact leaves the old model serving.
        bundle = await self._artifacts.load(model_id, version.sha256)
        scorer = await self._engine.build_scorer(bundle)
        return ActiveModel(version, scorer)

    async def restore(self) -> str | None:
        """Load the version the registry marks active; keep serving popular lists if it is broken."""
        model_id = await self._registry.active_model_id()
        if model_id is None:
            return None
        try:
            await self.load(model_id)
        except (ArtifactError, NotFoundError, ConflictError) as exc:
            log.error("active_model_unusable", extra={"model_id": model_id, "error": str(exc)})
            return None
        return model_id
