"""Where model artifacts and dataset snapshots are kept."""

from __future__ import annotations

from typing import Protocol

from application.ports.recommender_engine import ArtifactBundle


class ArtifactStore(Protocol):
    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        """Write atomically; return the sha256 of the stored arrays."""
        ...

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        """Raise ArtifactError when missing or when the checksum differs."""
        ...

    async def save_snapshot(self, model_id: str, bundle: ArtifactBundle) -> str:
        """Store the dataset a version was trained on; return its sha256."""
        ...

    async def load_snapshot(self, model_id: str, sha256: str) -> ArtifactBundle: ...

    async def delete(self, model_id: str) -> None:
        """Remove the model and its dataset snapshot."""
        ...

    async def ping(self) -> None: ...
