"""Model artifacts and dataset snapshots in an S3-compatible bucket, with a local cache per replica.

The objects have the filesystem store's format and layout under the prefix:
`<prefix>/models/<model_id>/model.npz` + `model.json`, `<prefix>/datasets/<model_id>/dataset.npz` +
`dataset.json`. The JSON (which records the sha256) is written last and read first: a version whose
upload stopped half-way has no JSON and is missing to every reader.

Client: boto3 run in worker threads (`asyncio.to_thread`). It is AWS's own SDK, kept in step with S3,
and its transfer manager streams files in both directions, multipart above a threshold, so no whole
file is held in memory. aioboto3 pins botocore versions tightly through aiobotocore and lags behind;
obstore is small and async but its error and typing surface is younger. The cost is install size
(botocore carries every AWS service's model), accepted since the test server (moto) needs boto3 anyway.

The cache is a `FilesystemArtifactStore` under the data dir: a version downloads once per replica and
every load, first or not, is served through it, so its sha256 is checked before serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from adapters.artifacts.filesystem_artifacts import (
    ARRAYS_FILE,
    META_FILE,
    SNAPSHOT_ARRAYS_FILE,
    SNAPSHOT_META_FILE,
    TEMP_PREFIX,
    FilesystemArtifactStore,
    _checked_id,
)
from application.ports import ArtifactBundle
from application.ports.artifact_store import ArtifactStore
from domain.errors import ArtifactError, ConflictError, UnavailableError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_T = TypeVar("_T")
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_PART_SIZE = 8 << 20  # multipart above this size, in parts of this size


class S3ArtifactStore(ArtifactStore):
    """`ArtifactStore` on a bucket; `cache_dir` holds the versions this replica has downloaded."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        cache_dir: Path,
        *,
        endpoint_url: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix.strip("/")
        self._cache_root = Path(cache_dir)
        self._cache = FilesystemArtifactStore(self._cache_root)
        self._client: S3Client = client or make_s3_client(endpoint_url)
        self._transfer = TransferConfig(
            multipart_threshold=_PART_SIZE, multipart_chunksize=_PART_SIZE, max_concurrency=4
        )
        cache = self._cache
        self._model = _Kind("model", "models", ARRAYS_FILE, META_FILE, cache.save, cache.load)
        self._dataset = _Kind(
            "dataset",
            "datasets",
            SNAPSHOT_ARRAYS_FILE,
            SNAPSHOT_META_FILE,
            cache.save_snapshot,
            cache.load_snapshot,
        )

    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        return await self._save(self._model, _checked_id(model_id), bundle)

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        return await self._load(self._model, _checked_id(model_id), sha256)

    async def save_snapshot(self, model_id: str, bundle: ArtifactBundle) -> str:
        return await self._save(self._dataset, _checked_id(model_id), bundle)

    async def load_snapshot(self, model_id: str, sha256: str) -> ArtifactBundle:
        return await self._load(self._dataset, _checked_id(model_id), sha256)

    async def delete(self, model_id: str) -> None:
        checked = _checked_id(model_id)
        for kind in (self._model, self._dataset):
            # the JSON first: a reader never finds arrays whose version is half deleted
            keys = [self._key(kind, checked, kind.meta_file), self._key(kind, checked, kind.arrays_file)]
            await self._call(partial(self._delete_keys, keys), f"delete the artifacts of {checked}")
        await self._cache.delete(checked)

    async def ping(self) -> None:
        await self._call(lambda: self._client.head_bucket(Bucket=self._bucket), "reach the bucket")

    async def _save(self, kind: _Kind, model_id: str, bundle: ArtifactBundle) -> str:
        meta_key = self._key(kind, model_id, kind.meta_file)
        if await self._call(partial(self._exists, meta_key), f"check the {kind.what} artifact of {model_id}"):
            raise ConflictError(f"an artifact for model {model_id} already exists")
        await self._drop_cached(kind, model_id)  # left by a save that stopped before its upload
        digest = await kind.save_locally(model_id, bundle)
        folder = self._cache_root / kind.folder / model_id
        try:
            for name in (kind.arrays_file, kind.meta_file):  # the JSON last: it completes the version
                key = self._key(kind, model_id, name)
                await self._call(partial(self._upload, folder / name, key), f"upload {kind.what} {model_id}")
        except UnavailableError:
            keys = [meta_key, self._key(kind, model_id, kind.arrays_file)]
            await asyncio.to_thread(self._forget, keys)
            await self._drop_cached(kind, model_id)
            raise
        return digest

    async def _load(self, kind: _Kind, model_id: str, sha256: str) -> ArtifactBundle:
        read = kind.load_locally
        if self._cached(kind, model_id):
            try:
                return await read(model_id, sha256)
            except ArtifactError:
                await self._drop_cached(kind, model_id)  # a damaged local copy: fetch it again
        else:
            await self._drop_cached(kind, model_id)  # a partial copy (a crash while caching) is dropped
        await self._call(
            partial(self._download, kind, model_id), f"download the {kind.what} artifact of {model_id}"
        )
        try:
            return await read(model_id, sha256)
        except ArtifactError:
            await self._drop_cached(kind, model_id)  # never keep a copy that fails its checksum
            raise

    def _download(self, kind: _Kind, model_id: str) -> None:
        """Both objects into a staging folder renamed into the cache: the cache holds whole versions."""
        folder = self._cache_root / kind.folder
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{model_id}-", dir=folder))
        try:
            for name in (kind.meta_file, kind.arrays_file):  # the JSON first: no JSON, no version
                key = self._key(kind, model_id, name)
                try:
                    self._client.download_file(self._bucket, key, str(staging / name), Config=self._transfer)
                except ClientError as exc:
                    if _error_code(exc) in _MISSING_CODES:
                        raise ArtifactError(
                            f"the {kind.what} artifact of {model_id} is missing: no {key}"
                        ) from None
                    raise
            try:
                staging.rename(folder / model_id)
            except OSError:
                if not (folder / model_id).is_dir():  # else another load put the same version there first
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _upload(self, path: Path, key: str) -> None:
        self._client.upload_file(str(path), self._bucket, key, Config=self._transfer)

    def _exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return False
            raise
        return True

    def _delete_keys(self, keys: list[str]) -> None:
        for key in keys:  # one by one, in order; deleting an absent key succeeds
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def _forget(self, keys: list[str]) -> None:
        """Best effort after a failed upload: the version has no JSON, so leftovers are never served."""
        with contextlib.suppress(BotoCoreError, ClientError):
            self._delete_keys(keys)

    def _cached(self, kind: _Kind, model_id: str) -> bool:
        folder = self._cache_root / kind.folder / model_id
        return (folder / kind.meta_file).is_file() and (folder / kind.arrays_file).is_file()

    async def _drop_cached(self, kind: _Kind, model_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._cache_root / kind.folder / model_id, True)

    def _key(self, kind: _Kind, model_id: str, name: str) -> str:
        parts = [self._prefix, kind.folder, model_id, name] if self._prefix else [kind.folder, model_id, name]
        return "/".join(parts)

    async def _call(self, work: Callable[[], _T], doing: str) -> _T:
        """Run blocking client work in a thread; the client's failures become `UnavailableError`."""
        try:
            return await asyncio.to_thread(work)
        except ClientError as exc:
            reason = f"cannot {doing} in bucket {self._bucket}: {_error_code(exc)}"
            raise UnavailableError(reason) from None
        except (BotoCoreError, OSError) as exc:
            raise UnavailableError(f"cannot {doing} in bucket {self._bucket}: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Kind:
    """Models or dataset snapshots: where they go, and the local cache's methods for them."""

    what: str
    folder: str
    arrays_file: str
    meta_file: str
    save_locally: Callable[[str, ArtifactBundle], Awaitable[str]]
    load_locally: Callable[[str, str], Awaitable[ArtifactBundle]]


def make_s3_client(endpoint_url: str | None) -> S3Client:
    """Credentials and region come from the standard `AWS_*` variables; creating it connects to nothing."""
    config = Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
    client: S3Client = boto3.client("s3", endpoint_url=endpoint_url, config=config)
    return client


def _error_code(exc: ClientError) -> str:
    error: Any = exc.response.get("Error", {})
    return str(error.get("Code", "unknown"))
