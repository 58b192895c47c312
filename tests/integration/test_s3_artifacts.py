"""S3ArtifactStore against a real S3-compatible server (moto in a subprocess).

The behaviour tests take a ready store from the `s3_store` fixture (fresh bucket, fresh cache) so that
they can later join a contract suite parametrised over every `ArtifactStore`.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from adapters.artifacts.s3_artifacts import S3ArtifactStore
from application.ports import ArtifactBundle
from domain.errors import ArtifactError, ConflictError, InvalidArgumentError, UnavailableError
from tests.s3_server import MotoServer, use_test_credentials

pytestmark = pytest.mark.integration
PREFIX = "team/recs"


@dataclass
class S3Setup:
    server: MotoServer
    bucket: str
    cache: Path
    raw: Any  # a plain boto3 client on the same server

    def store(self, cache: Path | None = None) -> S3ArtifactStore:
        return S3ArtifactStore(self.bucket, PREFIX, cache or self.cache, endpoint_url=self.server.url)

    def keys(self) -> list[str]:
        listed = self.raw.list_objects_v2(Bucket=self.bucket)
        return sorted(entry["Key"] for entry in listed.get("Contents", []))


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    with pytest.MonkeyPatch.context() as patch:
        use_test_credentials(patch)
        server.start()
        yield server
    server.stop()


@pytest.fixture
def s3(moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3Setup:
    use_test_credentials(monkeypatch)
    return S3Setup(moto_server, moto_server.new_bucket(), tmp_path / "cache", moto_server.client())


@pytest.fixture
def s3_store(s3: S3Setup) -> S3ArtifactStore:
    """A ready store on a fresh bucket and cache (the shape a parametrised contract suite needs)."""
    return s3.store()


@pytest.fixture
def own_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Setup]:
    """A server of this test alone, which it may stop."""
    use_test_credentials(monkeypatch)
    server = MotoServer()
    server.start()
    yield S3Setup(server, server.new_bucket(), tmp_path / "cache", server.client())
    server.stop()


def bundle(size: int = 12) -> ArtifactBundle:
    arrays = {
        "item_embeddings": np.arange(size, dtype=np.float32).reshape(-1, 3),
        "user_ids": np.array([7, 8, 2**62], dtype=np.int64),
        "mask": np.array([True, False]),
    }
    return ArtifactBundle(arrays=arrays, meta={"loss": "warp", "features": ["genre:drama"], "n": 3})


def assert_same(loaded: ArtifactBundle, original: ArtifactBundle) -> None:
    assert loaded.meta == original.meta
    assert set(loaded.arrays) == set(original.arrays)
    for name, value in original.arrays.items():
        np.testing.assert_array_equal(loaded.arrays[name], value)
        assert loaded.arrays[name].dtype == value.dtype


async def test_model_and_snapshot_round_trip_through_the_bucket(s3: S3Setup, tmp_path: Path) -> None:
    model, dataset = bundle(), bundle(30)
    digest = await s3.store().save("m-1", model)
    snapshot_digest = await s3.store().save_snapshot("m-1", dataset)

    fresh = s3.store(cache=tmp_path / "another-replica")  # nothing cached: everything comes from S3
    assert_same(await fresh.load("m-1", digest), model)
    assert_same(await fresh.load_snapshot("m-1", snapshot_digest), dataset)

    assert s3.keys() == [
        f"{PREFIX}/{p}"
        for p in (
            "datasets/m-1/dataset.json",
            "datasets/m-1/dataset.npz",
            "models/m-1/model.json",
            "models/m-1/model.npz",
        )
    ]
    stored = s3.raw.get_object(Bucket=s3.bucket, Key=f"{PREFIX}/models/m-1/model.npz")["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == digest
    document = json.loads(
        s3.raw.get_object(Bucket=s3.bucket, Key=f"{PREFIX}/models/m-1/model.json")["Body"].read()
    )
    assert document == {"format": 1, "model_id": "m-1", "sha256": digest, "meta": dict(model.meta)}


async def test_a_large_model_goes_up_in_parts_and_comes_back_whole(s3: S3Setup, tmp_path: Path) -> None:
    large = bundle(3 * 1_000_000)  # 12 MB of float32: above the multipart threshold
    digest = await s3.store().save("big", large)

    head = s3.raw.head_object(Bucket=s3.bucket, Key=f"{PREFIX}/models/big/model.npz")
    assert "-" in head["ETag"]  # S3 gives multipart objects an ETag of the form <md5>-<parts>
    assert_same(await s3.store(cache=tmp_path / "other").load("big", digest), large)


async def test_a_tampered_object_is_refused(s3: S3Setup, tmp_path: Path) -> None:
    digest = await s3.store().save("m-1", bundle())
    tampered = io.BytesIO()
    np.savez(tampered, item_embeddings=np.zeros((4, 3), dtype=np.float32))
    s3.raw.put_object(Bucket=s3.bucket, Key=f"{PREFIX}/models/m-1/model.npz", Body=tampered.getvalue())

    replica = s3.store(cache=tmp_path / "replica")
    with pytest.raises(ArtifactError, match="checksum"):
        await replica.load("m-1", digest)
    assert not (tmp_path / "replica" / "models" / "m-1").exists()  # a bad copy is not kept
    with pytest.raises(ArtifactError, match="checksum"):
        await replica.load("m-1", digest)


async def test_a_wrong_expected_checksum_is_refused(s3_store: S3ArtifactStore) -> None:
    await s3_store.save("m-1", bundle())
    with pytest.raises(ArtifactError, match="checksum"):
        await s3_store.load("m-1", "0" * 64)


async def test_missing_objects_are_artifact_errors(s3: S3Setup, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="missing"):
        await s3.store().load("never-saved", "0" * 64)
    with pytest.raises(ArtifactError, match="missing"):
        await s3.store().load_snapshot("never-saved", "0" * 64)

    digest = await s3.store().save("m-1", bundle())
    s3.raw.delete_object(Bucket=s3.bucket, Key=f"{PREFIX}/models/m-1/model.npz")
    with pytest.raises(ArtifactError, match="missing"):
        await s3.store(cache=tmp_path / "replica").load("m-1", digest)


async def test_a_version_without_its_json_is_not_visible(s3: S3Setup, tmp_path: Path) -> None:
    """An upload stopped before its last object (the JSON) leaves a version no reader serves."""
    store = s3.store()
    digest = await store.save("m-1", bundle())
    arrays_key = f"{PREFIX}/models/m-1/model.npz"
    s3.raw.copy_object(
        Bucket=s3.bucket,
        Key=f"{PREFIX}/models/half/model.npz",
        CopySource={"Bucket": s3.bucket, "Key": arrays_key},
    )

    with pytest.raises(ArtifactError, match="missing"):
        await s3.store(cache=tmp_path / "replica").load("half", digest)


async def test_a_failed_last_upload_leaves_nothing_visible(s3: S3Setup, tmp_path: Path) -> None:
    store = s3.store()
    uploaded: list[str] = []

    def refuse_json(params: dict[str, Any], **_: Any) -> None:
        uploaded.append(params["Key"])
        if params["Key"].endswith(".json"):
            raise ConnectionError("the network went away")

    store._client.meta.events.register("before-parameter-build.s3.PutObject", refuse_json)
    with pytest.raises(UnavailableError):
        await store.save("m-1", bundle())

    assert uploaded == [f"{PREFIX}/models/m-1/model.npz", f"{PREFIX}/models/m-1/model.json"]  # JSON last
    assert s3.keys() == []  # the arrays uploaded first were removed again
    with pytest.raises(ArtifactError, match="missing"):
        await s3.store(cache=tmp_path / "replica").load("m-1", "0" * 64)


async def test_a_second_load_is_served_from_the_local_cache(own_s3: S3Setup, tmp_path: Path) -> None:
    original = bundle()
    digest = await own_s3.store(cache=tmp_path / "writer").save("m-1", original)
    reader_cache = tmp_path / "reader"
    assert_same(await own_s3.store(cache=reader_cache).load("m-1", digest), original)

    own_s3.server.stop()  # no network from here on
    restarted = own_s3.store(cache=reader_cache)  # a new process on the same data dir
    assert_same(await restarted.load("m-1", digest), original)
    with pytest.raises(UnavailableError):
        await own_s3.store(cache=tmp_path / "empty").load("m-1", digest)


async def test_a_damaged_local_copy_is_fetched_again(s3: S3Setup) -> None:
    original = bundle()
    digest = await s3.store().save("m-1", original)
    cached = s3.cache / "models" / "m-1" / "model.npz"
    cached.write_bytes(b"not an npz any more")

    assert_same(await s3.store().load("m-1", digest), original)
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == digest


async def test_delete_removes_the_objects_and_the_local_copy(s3: S3Setup) -> None:
    store = s3.store()
    digest = await store.save("m-1", bundle())
    await store.save_snapshot("m-1", bundle(30))
    kept = await store.save("m-2", bundle())

    await store.delete("m-1")

    assert s3.keys() == [f"{PREFIX}/models/m-2/model.json", f"{PREFIX}/models/m-2/model.npz"]
    assert not (s3.cache / "models" / "m-1").exists() and not (s3.cache / "datasets" / "m-1").exists()
    with pytest.raises(ArtifactError):
        await store.load("m-1", digest)
    assert_same(await store.load("m-2", kept), bundle())
    await store.delete("m-1")  # deleting twice is fine


async def test_saving_an_existing_version_is_a_conflict(s3_store: S3ArtifactStore) -> None:
    await s3_store.save("m-1", bundle())
    with pytest.raises(ConflictError):
        await s3_store.save("m-1", bundle())


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "..", "", ".tmp-sneaky"])
async def test_ids_that_could_leave_the_prefix_are_refused(s3_store: S3ArtifactStore, bad_id: str) -> None:
    with pytest.raises(InvalidArgumentError):
        await s3_store.save(bad_id, bundle())
    with pytest.raises(InvalidArgumentError):
        await s3_store.load(bad_id, "0" * 64)


async def test_ping_answers_while_up_and_fails_cleanly_when_down(own_s3: S3Setup) -> None:
    store = own_s3.store()
    await store.ping()
    missing_bucket = S3ArtifactStore("no-such-bucket", "", own_s3.cache, endpoint_url=own_s3.server.url)
    with pytest.raises(UnavailableError, match="no-such-bucket"):
        await missing_bucket.ping()

    own_s3.server.stop()
    started = time.monotonic()
    with pytest.raises(UnavailableError):
        await store.ping()
    assert time.monotonic() - started < 15
    with pytest.raises(UnavailableError):
        await store.save("m-1", bundle())
