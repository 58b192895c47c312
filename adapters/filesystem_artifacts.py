"""Model artifacts on the local filesystem: `models/<model_id>/model.npz` + `model.json` (never pickle)."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from application.ports import ArtifactBundle
from domain.errors import ArtifactError, ConflictError, InvalidArgumentError, UnavailableError

FORMAT_VERSION = 1
ARRAYS_FILE = "model.npz"
META_FILE = "model.json"
TEMP_PREFIX = ".tmp-"
_HASH_BLOCK = 1 << 20


class FilesystemArtifactStore:
    """`ArtifactStore` writing each model into a temporary directory renamed into place when complete."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)
        self._models = self._root / "models"

    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        return await asyncio.to_thread(self._save, _checked_id(model_id), bundle)

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        return await asyncio.to_thread(self._load, _checked_id(model_id), sha256)

    async def delete(self, model_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._models / _checked_id(model_id), True)

    async def ping(self) -> None:
        await asyncio.to_thread(self._ping)

    def _ping(self) -> None:
        if not self._root.is_dir():
            raise UnavailableError(f"the artifact directory {self._root} does not exist")
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise UnavailableError(f"the artifact directory {self._root} is not writable")

    def _save(self, model_id: str, bundle: ArtifactBundle) -> str:
        arrays = _plain_arrays(bundle.arrays)
        final = self._models / model_id
        if final.exists():
            raise ConflictError(f"an artifact for model {model_id} already exists")
        try:
            self._models.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{model_id}-", dir=self._models))
        except OSError as exc:
            reason = f"the artifact directory {self._models} cannot be written: {exc}"
            raise UnavailableError(reason) from None
        try:
            digest = _write_arrays(staging / ARRAYS_FILE, arrays)
            document = {"format": FORMAT_VERSION, "model_id": model_id, "sha256": digest, "meta": bundle.meta}
            _write_durably(staging / META_FILE, _json_bytes(document))
            _fsync_dir(staging)
            os.rename(staging, final)  # atomic: readers see the whole directory or none
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise ConflictError(f"an artifact for model {model_id} already exists") from None
            raise UnavailableError(f"the artifact of model {model_id} cannot be written: {exc}") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(self._models)
        return digest

    def _load(self, model_id: str, expected: str) -> ArtifactBundle:
        folder = self._models / model_id
        for name in (ARRAYS_FILE, META_FILE):
            if not (folder / name).is_file():
                missing = folder / name
                raise ArtifactError(f"the artifact of model {model_id} is missing: {missing} does not exist")
        try:
            document = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
            recorded = str(document.get("sha256"))
            actual = _sha256_of(folder / ARRAYS_FILE)
        except (OSError, ValueError, AttributeError) as exc:
            raise ArtifactError(f"the artifact of model {model_id} cannot be read: {exc}") from None
        if actual != expected or recorded != expected:
            raise ArtifactError(
                f"the artifact of model {model_id} fails its checksum: the registry expects {expected}, "
                f"{META_FILE} records {recorded} and {ARRAYS_FILE} hashes to {actual}"
            )
        try:
            with np.load(folder / ARRAYS_FILE, allow_pickle=False) as stored:
                arrays = {name: np.array(stored[name]) for name in stored.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ArtifactError(f"the arrays of model {model_id} cannot be read: {exc}") from None
        return ArtifactBundle(arrays=arrays, meta=document.get("meta", {}))


def _checked_id(model_id: str) -> str:
    """Model ids become directory names: refuse anything that could leave `models/`."""
    bad = not model_id or model_id in (".", "..") or ".." in model_id or "\x00" in model_id
    if bad or any(sep in model_id for sep in ("/", "\\", os.sep, os.altsep or "/")):
        raise InvalidArgumentError(f"model id {model_id!r} is not a valid artifact name")
    if model_id.startswith(TEMP_PREFIX):
        raise InvalidArgumentError(f"model id {model_id!r} must not start with {TEMP_PREFIX!r}")
    return model_id


def _plain_arrays(arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    plain = {str(name): np.asarray(value) for name, value in arrays.items()}
    for name, value in plain.items():
        if value.dtype.hasobject:
            reason = f"artifact array {name!r} holds Python objects; only numeric data can be stored"
            raise InvalidArgumentError(reason)
    return plain


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(document, indent=2, sort_keys=True, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"artifact metadata is not plain JSON: {exc}") from None


def _write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> str:
    with path.open("wb") as handle:
        np.savez(handle, allow_pickle=False, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    return _sha256_of(path)


def _write_durably(path: Path, payload: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
