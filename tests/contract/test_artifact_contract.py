"""One behaviour for every `ArtifactStore`: the in-memory fake and the filesystem.

A new store (S3, say) joins by one entry in `STORES`: a factory taking the test's request and
returning a ready store. File layout, durability and refused contents stay in
`tests/integration/test_filesystem_artifacts.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest

from adapters.artifacts.filesystem_artifacts import FilesystemArtifactStore
from adapters.memory.stores import InMemoryArtifactStore
from application.ports import ArtifactBundle, ArtifactStore
from domain.errors import ArtifactError, ConflictError, InvalidArgumentError

STORES: dict[str, Callable[[pytest.FixtureRequest], ArtifactStore]] = {
    "memory": lambda _: InMemoryArtifactStore(),
    "filesystem": lambda request: FilesystemArtifactStore(request.getfixturevalue("tmp_path")),
}
# Ids that would leave the store's own place (a directory, a key prefix).
BAD_IDS = ["../escape", "a/b", "..", ".", "", "a\\b", "nul\x00byte"]


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest) -> ArtifactStore:
    return STORES[request.param](request)


def bundle(scale: float = 1.0) -> ArtifactBundle:
    arrays = {
        "item_embeddings": np.arange(12, dtype=np.float32).reshape(4, 3) * np.float32(scale),
        "user_ids": np.array([7, 8, 2**62], dtype=np.int64),
        "mask": np.array([True, False]),
        "scalar": np.float64(0.25),
    }
    return ArtifactBundle(arrays=arrays, meta={"loss": "warp", "features": ["genre:drama"], "n": 3})


def assert_same(loaded: ArtifactBundle, original: ArtifactBundle) -> None:
    assert dict(loaded.meta) == dict(original.meta)
    assert set(loaded.arrays) == set(original.arrays)
    for name, value in original.arrays.items():
        np.testing.assert_array_equal(loaded.arrays[name], value)
        assert np.asarray(loaded.arrays[name]).dtype == np.asarray(value).dtype


async def test_a_saved_model_loads_back_under_its_checksum(store: ArtifactStore) -> None:
    digest = await store.save("m-1", bundle())
    await store.save("m-2", bundle(2.0))

    assert len(digest) == 64 and int(digest, 16) >= 0
    assert_same(await store.load("m-1", digest), bundle())
    await store.ping()


async def test_different_contents_have_different_checksums(store: ArtifactStore) -> None:
    assert await store.save("m-1", bundle()) != await store.save("m-2", bundle(2.0))


async def test_a_wrong_checksum_is_refused(store: ArtifactStore) -> None:
    digest = await store.save("m-1", bundle())
    with pytest.raises(ArtifactError):
        await store.load("m-1", "0" * 64)
    with pytest.raises(ArtifactError):
        await store.load("m-1", digest[::-1])


async def test_a_missing_model_is_refused(store: ArtifactStore) -> None:
    with pytest.raises(ArtifactError):
        await store.load("never-saved", "0" * 64)
    with pytest.raises(ArtifactError):
        await store.load_snapshot("never-saved", "0" * 64)


async def test_a_saved_id_is_never_overwritten(store: ArtifactStore) -> None:
    digest = await store.save("m-1", bundle())
    with pytest.raises(ConflictError):
        await store.save("m-1", bundle(2.0))
    assert_same(await store.load("m-1", digest), bundle())


async def test_a_snapshot_round_trips_beside_its_model(store: ArtifactStore) -> None:
    model = await store.save("m-1", bundle())
    snapshot = await store.save_snapshot("m-1", bundle(3.0))

    assert_same(await store.load_snapshot("m-1", snapshot), bundle(3.0))
    assert_same(await store.load("m-1", model), bundle())
    with pytest.raises(ArtifactError):
        await store.load_snapshot("m-1", "0" * 64)


async def test_delete_removes_model_and_snapshot_and_is_idempotent(store: ArtifactStore) -> None:
    model = await store.save("m-1", bundle())
    snapshot = await store.save_snapshot("m-1", bundle(3.0))
    kept = await store.save("m-2", bundle(2.0))

    await store.delete("m-1")
    await store.delete("m-1")
    await store.delete("never-saved")

    with pytest.raises(ArtifactError):
        await store.load("m-1", model)
    with pytest.raises(ArtifactError):
        await store.load_snapshot("m-1", snapshot)
    assert_same(await store.load("m-2", kept), bundle(2.0))
    assert_same(await store.load("m-1", await store.save("m-1", bundle(4.0))), bundle(4.0))


@pytest.mark.parametrize("model_id", BAD_IDS)
async def test_ids_that_leave_the_store_are_refused(store: ArtifactStore, model_id: str) -> None:
    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: store.save(model_id, bundle()),
        lambda: store.load(model_id, "0" * 64),
        lambda: store.save_snapshot(model_id, bundle()),
        lambda: store.load_snapshot(model_id, "0" * 64),
        lambda: store.delete(model_id),
    ]
    for call in calls:
        with pytest.raises(InvalidArgumentError):
            await call()
