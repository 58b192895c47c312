"""Model versions and which one is active.

Writes given a `fence` (the epoch of the trainer making them) are refused with LeaseLostError once
another term has begun; manual administration writes without one.
"""

from __future__ import annotations

from typing import Protocol

from domain.model_version import ModelVersion


class ModelRegistry(Protocol):
    async def add_version(self, version: ModelVersion, fence: int | None = None) -> None: ...

    async def get_version(self, model_id: str) -> ModelVersion | None: ...

    async def list_versions(self) -> list[ModelVersion]: ...

    async def delete_version(self, model_id: str, fence: int | None = None) -> None: ...

    async def active_model_id(self) -> str | None: ...

    async def set_active(self, model_id: str, fence: int | None = None) -> None: ...

    async def ping(self) -> None: ...
