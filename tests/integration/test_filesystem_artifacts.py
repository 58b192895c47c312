"""FilesystemArtifactStore on a real directory: layout, atomic writes, tampered files, refusals (the
port's behaviour, shared with every store, runs in `tests/contract/test_artifact_contract.py`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from adapters.artifacts.filesystem_artifacts import FilesystemArtifactStore
from application.ports import ArtifactBundle
from domain.errors import ArtifactError, ConflictError, InvalidArgumentError, UnavailableError

pytestmark = pytest.mark.integration

# Filesystem-only refusals (the ids every store refuses are in tests/contract/test_artifact_contract.py).
BAD_IDS = ["../escape", "x..y", ".tmp-sneaky"]


def bundle() -> ArtifactBundle:
    arrays = {
        "item_embeddings": np.arange(12, dtype=np.float32).reshape(4, 3),
        "user_ids": np.array([7, 8, 2**62], dtype=np.int64),
        "mask": np.array([True, False]),
        "scalar": np.float64(0.25),
    }
    return ArtifactBundle(arrays=arrays, meta={"loss": "warp", "features": ["genre:drama"], "n": 3})


def leftovers(root: Path) -> list[str]:
    models = root / "models"
    return sorted(p.name for p in models.iterdir() if p.name.startswith(".")) if models.exists() else []


async def test_round_trip(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    original = bundle()

    digest = await store.save("m-1", original)
    loaded = await store.load("m-1", digest)

    folder = tmp_path / "models" / "m-1"
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.npz"]
    assert digest == hashlib.sha256((folder / "model.npz").read_bytes()).hexdigest()
    assert json.loads((folder / "model.json").read_text()) == {
        "format": 1,
        "model_id": "m-1",
        "sha256": digest,
        "meta": dict(original.meta),
    }
    assert loaded.meta == original.meta
    assert set(loaded.arrays) == set(original.arrays)
    for name, value in original.arrays.items():
        np.testing.assert_array_equal(loaded.arrays[name], value)
        assert loaded.arrays[name].dtype == np.asarray(value).dtype
    assert leftovers(tmp_path) == []


async def test_corrupted_arrays_are_refused(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    digest = await store.save("m-1", bundle())
    npz = tmp_path / "models" / "m-1" / "model.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))

    with pytest.raises(ArtifactError, match="checksum") as caught:
        await store.load("m-1", digest)
    assert digest in str(caught.value)


async def test_tampered_json_checksum_is_refused(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    digest = await store.save("m-1", bundle())
    meta_file = tmp_path / "models" / "m-1" / "model.json"
    document = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**document, "sha256": "f" * 64}))

    with pytest.raises(ArtifactError, match="f" * 64):
        await store.load("m-1", digest)


async def test_a_missing_metadata_file_is_named(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    digest = await store.save("m-1", bundle())
    (tmp_path / "models" / "m-1" / "model.json").unlink()
    with pytest.raises(ArtifactError, match=r"model\.json"):
        await store.load("m-1", digest)


@pytest.mark.parametrize("model_id", BAD_IDS)
async def test_ids_that_leave_the_models_directory_are_refused(tmp_path: Path, model_id: str) -> None:
    store = FilesystemArtifactStore(tmp_path / "root")
    with pytest.raises(InvalidArgumentError):
        await store.save(model_id, bundle())
    with pytest.raises(InvalidArgumentError):
        await store.load(model_id, "0" * 64)
    with pytest.raises(InvalidArgumentError):
        await store.delete(model_id)
    assert not (tmp_path / "root").exists()


async def test_failed_saves_leave_nothing_behind(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    await store.save("kept", bundle())

    with pytest.raises(InvalidArgumentError, match="JSON"):
        await store.save("m-2", ArtifactBundle(arrays={"a": np.ones(3)}, meta={"bad": {1, 2}}))
    with pytest.raises(InvalidArgumentError, match="objects"):
        await store.save("m-3", ArtifactBundle(arrays={"a": np.array([{"x": 1}], dtype=object)}, meta={}))
    with pytest.raises(ConflictError):
        await store.save("kept", bundle())

    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["kept"]
    first = await store.load(
        "kept", hashlib.sha256((tmp_path / "models/kept/model.npz").read_bytes()).hexdigest()
    )
    assert first.meta == bundle().meta


async def test_delete_removes_the_directories(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    await store.save("m-1", bundle())
    await store.save_snapshot("m-1", bundle())
    await store.delete("m-1")
    assert not (tmp_path / "models" / "m-1").exists()
    assert not (tmp_path / "datasets" / "m-1").exists()


async def test_ping_checks_the_root(tmp_path: Path) -> None:
    await FilesystemArtifactStore(tmp_path).ping()
    with pytest.raises(UnavailableError, match="does not exist"):
        await FilesystemArtifactStore(tmp_path / "absent").ping()
