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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from application.ports import ArtifactBundle, ArtifactStore
from domain.errors import ArtifactError, ConflictError, InvalidArgumentError, UnavailableError

FORMAT_VERSION = 1
ARRAYS_FILE = "model.npz"
META_FILE = "model.json"
SNAPSHOT_ARRAYS_FILE = "dataset.npz"
SNAPSHOT_META_FILE = "dataset.json"
TEMP_PREFIX = ".tmp-"
_HASH_BLOCK = 1 << 20


class FilesystemArtifactStore(ArtifactStore):
    """`ArtifactStore` writing each model into a temporary directory renamed into place when complete."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)
        self._models = _Place(self._root / "models", ARRAYS_FILE, META_FILE, "model")
        self._datasets = _Place(self._root / "datasets", SNAPSHOT_ARRAYS_FILE, SNAPSHOT_META_FILE, "dataset")

    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        return await asyncio.to_thread(self._save, self._models, _checked_id(model_id), bundle)

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        return await asyncio.to_thread(self._load, self._models, _checked_id(model_id), sha256)

    async def save_snapshot(self, model_id: str, bundle: ArtifactBundle) -> str:
        """The dataset a version was trained on, under `datasets/<model_id>/`."""
        return await asyncio.to_thread(self._save, self._datasets, _checked_id(model_id), bundle)

    async def load_snapshot(self, model_id: str, sha256: str) -> ArtifactBundle:
        return await asyncio.to_thread(self._load, self._datasets, _checked_id(model_id), sha256)

    async def delete(self, model_id: str) -> None:
        checked = _checked_id(model_id)
        for place in (self._models, self._datasets):
            await asyncio.to_thread(shutil.rmtree, place.root / checked, True)

    async def ping(self) -> None:
        await asyncio.to_thread(self._ping)

    def _ping(self) -> None:
        if not self._root.is_dir():
            raise UnavailableError(f"the artifact directory {self._root} does not exist")
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise UnavailableError(f"the artifact directory {self._root} is not writable")

    def _save(self, place: _Place, model_id: str, bundle: ArtifactBundle) -> str:
        arrays = _plain_arrays(bundle.arrays)
        final = place.root / model_id
        if final.exists():
            raise ConflictError(f"an artifact for model {model_id} already exists")
        try:
            place.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{model_id}-", dir=place.root))
        except OSError as exc:
            reason = f"the artifact directory {place.root} cannot be written: {exc}"
            raise UnavailableError(reason) from None
        try:
            digest = _write_arrays(staging / place.arrays_file, arrays)
            document = {"format": FORMAT_VERSION, "model_id": model_id, "sha256": digest, "meta": bundle.meta}
            _write_durably(staging / place.meta_file, _json_bytes(document))
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
        _fsync_dir(place.root)
        return digest

    def _load(self, place: _Place, model_id: str, expected: str) -> ArtifactBundle:
        folder = place.root / model_id
        arrays_file, meta_file = place.arrays_file, place.meta_file
        for name in (arrays_file, meta_file):
            if not (folder / name).is_file():
                missing = folder / name
                raise ArtifactError(f"the {place.what} artifact of {model_id} is missing: no {missing}")
        try:
            document = json.loads((folder / meta_file).read_text(encoding="utf-8"))
            recorded = str(document.get("sha256"))
            actual = _sha256_of(folder / arrays_file)
        except (OSError, ValueError, AttributeError) as exc:
            raise ArtifactError(f"the {place.what} artifact of {model_id} cannot be read: {exc}") from None
        if actual != expected or recorded != expected:
            raise ArtifactError(
                f"the {place.what} artifact of {model_id} fails its checksum: expected {expected}, "
                f"{meta_file} records {recorded} and {arrays_file} hashes to {actual}"
            )
        try:
            with np.load(folder / arrays_file, allow_pickle=False) as stored:
                # each member is read into its own new array: no copy needed (it would double the peak)
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ArtifactError(f"the {place.what} arrays of {model_id} cannot be read: {exc}") from None
        return ArtifactBundle(arrays=arrays, meta=document.get("meta", {}))


@dataclass(frozen=True, slots=True)
class _Place:
    root: Path
    arrays_file: str
    meta_file: str
    what: str


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
