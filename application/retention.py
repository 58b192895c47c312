"""Keep the active version, the versions of a running experiment's arms, plus the newest N; delete
older artifacts, snapshots and rows."""

from __future__ import annotations

import logging

from application.ports import ArtifactStore, ExperimentStore, ModelRegistry

log = logging.getLogger(__name__)


class ApplyRetention:
    def __init__(
        self,
        registry: ModelRegistry,
        artifacts: ArtifactStore,
        keep: int,
        experiments: ExperimentStore | None = None,
    ) -> None:
        self._experiments = experiments
        self._registry = registry
        self._artifacts = artifacts
        self._keep = keep

    async def execute(self) -> list[str]:
        active = await self._registry.active_model_id()
        running = await self._experiments.running() if self._experiments is not None else None
        in_experiment = {arm.model_id for arm in running.arms} if running is not None else set()
        versions = await self._registry.list_versions()  # newest first
        others = [v.model_id for v in versions if v.model_id != active]
        doomed = [model_id for model_id in others[self._keep :] if model_id not in in_experiment]
        for model_id in doomed:
            await self._artifacts.delete(model_id)
            await self._registry.delete_version(model_id)
        if doomed:
            log.info("retention_deleted", extra={"model_ids": doomed, "kept": len(versions) - len(doomed)})
        return doomed
